"""Hook implementations of the cases plugin."""

from __future__ import annotations

import logging
from typing import Any

import click
import sqlalchemy as sa
from flask_appbuilder import AppBuilder
from sqlalchemy.orm import Session

from portal import hookimpl
from portal.security.roles import MENU, READ
from portal.settings import StateProfile

logger = logging.getLogger(__name__)


@hookimpl
def spkms_register_models() -> list[type]:
    from plugins.cases import models
    from plugins.cases.efiling import EFiling

    return [
        models.CaseType,
        models.Case,
        models.CaseNumberSeries,
        models.CaseParty,
        models.Hearing,
        models.Document,
        EFiling,
    ]


@hookimpl
def spkms_register_views(appbuilder: AppBuilder) -> None:
    from plugins.cases import views

    views.register(appbuilder)


@hookimpl
def spkms_register_roles() -> dict[str, list[tuple[str, str]]]:
    menus = (r"(Kes|Jenis Kes|Senarai Kes|Perbicaraan|Daftar Kes)", MENU)
    prints = [
        (r"CauseListView", r"can_cause_list"),
        (r"CaseSummaryView", r"can_summary"),
        (r"Senarai Sebutan & Bicara", MENU),
    ]
    read = [
        (r"(CaseType|Case|CaseParty|Hearing|Document)(View|Api)", READ),
        menus,
        *prints,
    ]
    register = [
        (r"RegistrationView", r"can_(register|lookup)"),
        (r"CaseApi", r"can_register"),
    ]
    manage = [
        (r"CaseView", r"can_edit"),
        (r"(CaseParty|Hearing|Document)View", r"can_edit"),
        (r"CaseStatusView", r"can_(change_status|schedule)"),
        (r"CaseApi", r"can_status"),
        (r"DocumentFileView", r"can_(upload|download|seal)"),
    ]
    efilings = [
        (r"EFilingView", r"can_(list|show|accept|return)"),
        (r"e-Failing", MENU),
    ]
    return {
        "Chief Registrar": [*read, *register, *manage, *efilings],
        "Registrar": [*read, *register, *manage, *efilings],
        "Judge": [
            *read,
            (r"CaseStatusView", r"can_(change_status|schedule)"),
            (r"DocumentFileView", r"can_(download|seal)"),
        ],
        "Clerk": [*read, *register, (r"DocumentFileView", r"can_(upload|download)")],
        "Cashier": [(r"(CaseType|Case)(View|Api)", READ), menus],
        "Records Officer": [(r"(CaseType|Case)(View|Api)", READ), menus],
    }


@hookimpl
def spkms_load_profile(profile: StateProfile, session: Session) -> int:
    from plugins.cases.profile import load_case_types

    return load_case_types(profile, session)


@hookimpl
def spkms_register_cli_commands() -> list[click.Command]:
    """``spkms import-legacy``: cases and parties from the first SPKMS."""
    from plugins.cases.legacy import import_legacy_command

    return [import_legacy_command]


@hookimpl
def spkms_repoint_party(session: Session, from_party_id: int, to_party_id: int) -> int:
    """Move the duplicate's places in cases onto the surviving profile."""
    from plugins.cases.models import CaseParty

    moved = 0
    for link in session.scalars(
        sa.select(CaseParty).where(CaseParty.party_id == from_party_id)
    ):
        clash = session.scalar(
            sa.select(CaseParty).where(
                CaseParty.case_id == link.case_id,
                CaseParty.party_id == to_party_id,
                CaseParty.role == link.role,
            )
        )
        if clash is not None:
            # Both profiles already stand in this case in the same role.
            session.delete(link)
        else:
            link.party_id = to_party_id
        moved += 1
    return moved


@hookimpl
def spkms_on_case_registered(
    case_id: int, court_id: int, registered_from_court_id: int
) -> None:
    """Tell the owning court's registrars about the new case."""
    from flask_babel import lazy_gettext

    from plugins.cases.models import Case
    from plugins.cases.services import registrars_of
    from portal.extensions import db
    from portal.notifications import notify

    case = db.session.get(Case, case_id)
    if case is None:
        logger.warning("case_registered for a missing case id=%s", case_id)
        return
    subject = lazy_gettext("Kes baharu %(number)s", number=case.case_number)
    if registered_from_court_id != court_id:
        subject = lazy_gettext(
            "Kes baharu %(number)s (didaftarkan di %(court)s)",
            number=case.case_number,
            court=case.registered_from.name,
        )
    notify(
        registrars_of(court_id),
        subject=subject,
        body=f"{case.case_type.name}: {case.title}",
        link=f"/cases/show/{case.id}",
    )


@hookimpl
def spkms_reminder_rules() -> list[Any]:
    """Unresolved cases, hearings not fixed, written orders not extracted."""
    from plugins.cases.reminders import rules

    return rules()


@hookimpl(trylast=True)
def spkms_demo_data(profile: StateProfile, session: Session) -> None:
    from plugins.cases.demo import add_demo_cases
    from plugins.cases.efiling import add_demo_efilings

    add_demo_cases(session)
    add_demo_efilings(session)


@hookimpl
def spkms_dashboard_panels() -> list[Any]:
    """Registrations, decisions, pending cases, charter share."""
    from plugins.cases.panels import panels

    return panels()
