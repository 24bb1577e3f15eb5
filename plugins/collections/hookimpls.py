"""Hook implementations of the collections plugin."""

from __future__ import annotations

from flask_appbuilder import AppBuilder
from sqlalchemy.orm import Session

from portal import hookimpl
from portal.security.roles import READ
from portal.settings import StateProfile


@hookimpl
def spkms_register_models() -> list[type]:
    from plugins.collections.models import FeeType

    return [FeeType]


@hookimpl
def spkms_register_views(appbuilder: AppBuilder) -> None:
    from plugins.collections import views

    views.register(appbuilder)


@hookimpl
def spkms_register_roles() -> dict[str, list[tuple[str, str]]]:
    read = [(r"FeeType(View|Api)", READ), (r"(Kutipan|Jadual Fi)", "menu_access")]
    return dict.fromkeys(("Chief Registrar", "Registrar", "Clerk", "Cashier"), read)


@hookimpl
def spkms_load_profile(profile: StateProfile, session: Session) -> int:
    from plugins.collections.profile import load_fee_types

    return load_fee_types(profile, session)
