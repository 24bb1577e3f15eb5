"""SPKMS portal host: app factory, plugin contract and shared machinery.

Plugins import ``hookimpl`` from here so that every plugin marks its hooks the
same way, and ``create_app`` builds a configured application.
"""

from __future__ import annotations

import pluggy

hookimpl = pluggy.HookimplMarker("spkms")

from portal.app import create_app  # noqa: E402  (plugins import hookimpl first)

__all__ = ["create_app", "hookimpl"]
