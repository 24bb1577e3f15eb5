"""Hook implementations of the parties plugin.

Registers the party, lawyer and merge tables, their screens and APIs, the
roles that use them, and the demo's sample profiles. The SQLite
``similarity()`` function is installed on the app's engine while the views
are registered: that is the first hook called with the app's database ready,
and it runs for every app, so name search ranks alike on every backend.
"""

from __future__ import annotations

import re

import click
from flask_appbuilder import AppBuilder
from sqlalchemy.orm import Session

from portal import hookimpl
from portal.security.roles import READ
from portal.settings import StateProfile

#: Screen and API permissions that add and change, without deleting.
WRITE = r"can_(list|show|get|info|add|edit|post|put)"


def _menus(*names: str) -> tuple[str, str]:
    return (f"({'|'.join(re.escape(name) for name in names)})", "menu_access")


@hookimpl
def spkms_register_models() -> list[type]:
    from plugins.parties.models import Lawyer, Party, PartyMerge

    return [Party, Lawyer, PartyMerge]


@hookimpl
def spkms_register_views(appbuilder: AppBuilder) -> None:
    from plugins.parties import search, views
    from portal.extensions import db

    search.install_similarity(db.engine)
    views.register(appbuilder)


@hookimpl
def spkms_register_roles() -> dict[str, list[tuple[str, str]]]:
    """Clerks and registrars key parties and lawyers; registrars merge.

    Judges and cashiers read them; the auditor reads the merges through the
    audit trail like every other change, and gets nothing new here.
    """
    from plugins.parties import views

    readers = [
        (r"(Party|Lawyer)(View|Api)", READ),
        (r"PartySearchView", r"can_search"),
        _menus(views.MENU_CATEGORY, views.MENU_SEARCH, views.MENU_LAWYERS),
    ]
    keyers = [
        (r"(Party|Lawyer)(View|Api)", WRITE),
        (r"PartySearchView", r"can_search"),
        _menus(views.MENU_CATEGORY, views.MENU_SEARCH, views.MENU_LAWYERS),
    ]
    registrars = [
        *keyers,
        (r"PartyMergeView", READ),
        (r"PartyMergeFormView", r"can_merge"),
        _menus(*views.MENUS),
    ]
    return {
        "Clerk": keyers,
        "Registrar": registrars,
        "Chief Registrar": registrars,
        "Judge": readers,
        "Cashier": readers,
    }


@hookimpl
def spkms_register_cli_commands() -> list[click.Command]:
    from plugins.parties.cli import parties_group

    return [parties_group]


@hookimpl
def spkms_demo_data(profile: StateProfile, session: Session) -> None:
    from plugins.parties.demo import add_demo_parties

    add_demo_parties(profile, session)
