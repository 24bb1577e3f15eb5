"""spkms-sample: a third-party SPKMS plugin, as small as a state's own can be.

It reaches the portal only through the hook contract (``portal.hookspecs``)
and the base classes the host offers plugins, so the portal's tests can prove
that an installed package, found by its ``spkms.plugins`` entry point, does
everything a built-in plugin does.
"""

from __future__ import annotations

__version__ = "0.3.1"
