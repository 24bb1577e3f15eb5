"""The host's hook implementations for the dashboard: its screen and roles.

Registered by ``portal.plugins.build_manager`` before the profile's plugins,
like the reminder engine's; the panels themselves come from the plugins.
"""

from __future__ import annotations

from flask import current_app
from flask_appbuilder import AppBuilder

from portal import hookimpl
from portal.i18n import N_
from portal.security.roles import MENU

MENU_NAME = N_("Papan Pemuka")


@hookimpl
def spkms_register_views(appbuilder: AppBuilder) -> None:
    """Collect the panels (a key given twice stops start-up); add the screen."""
    from portal import dashboard
    from portal.dashboard.views import DashboardView

    dashboard.init_app(current_app._get_current_object())
    appbuilder.add_view(DashboardView, MENU_NAME, icon="fa-bar-chart")


@hookimpl
def spkms_register_roles() -> dict[str, list[tuple[str, str]]]:
    """The chief registrar (every court), registrars and judges (their courts)."""
    see = [(r"DashboardView", r"can_(show|csv)"), (MENU_NAME, MENU)]
    return dict.fromkeys(("Chief Registrar", "Registrar", "Judge"), see)
