"""Hook implementations of the cases plugin."""

from __future__ import annotations

from flask_appbuilder import AppBuilder
from sqlalchemy.orm import Session

from portal import hookimpl
from portal.security.roles import READ
from portal.settings import StateProfile


@hookimpl
def spkms_register_models() -> list[type]:
    from plugins.cases.models import CaseType

    return [CaseType]


@hookimpl
def spkms_register_views(appbuilder: AppBuilder) -> None:
    from plugins.cases import views

    views.register(appbuilder)


@hookimpl
def spkms_register_roles() -> dict[str, list[tuple[str, str]]]:
    read = [(r"CaseType(View|Api)", READ), (r"(Kes|Jenis Kes)", "menu_access")]
    readers = ("Chief Registrar", "Registrar", "Judge", "Clerk", "Cashier")
    return dict.fromkeys((*readers, "Records Officer"), read)


@hookimpl
def spkms_load_profile(profile: StateProfile, session: Session) -> int:
    from plugins.cases.profile import load_case_types

    return load_case_types(profile, session)
