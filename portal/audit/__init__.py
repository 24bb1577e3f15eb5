"""The audit trail: Continuum versions of every domain table, and the access log."""

from __future__ import annotations

from flask import Flask
from flask_appbuilder import AppBuilder

from portal.audit import access_log


def init_app(app: Flask) -> None:
    """Hook the access log into every request."""
    access_log.init_app(app)


def register_views(appbuilder: AppBuilder) -> None:
    """Add the auditor's screens."""
    from portal.audit import views

    views.register(appbuilder)
