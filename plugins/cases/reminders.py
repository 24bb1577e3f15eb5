"""The cases plugin's reminder rules, from the courts' client charter.

Each rule is one query over the cases it watches; periods, margins and who is
told come from the profile's ``[reminders.rules."cases.*"]`` and default to
the charter: a case resolved within its case type's period (six months for
mal and jenayah, 30 days for faraid), a hearing date given on registration,
the written order within 14 days of judgment.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from plugins.cases.models import Case, CaseStatus, CaseType, Document, Hearing
from portal.court_calendar import WORKING_DAYS
from portal.extensions import db
from portal.models import Court, Judge
from portal.reminders.rules import ReminderRule
from portal.settings import StateProfile

#: The document type that is the extracted written order.
ORDER_DOCUMENT = "Perintah"


def _case_columns(anchor: Any) -> sa.Select[Any]:
    """The columns every case rule answers, from open joins a case always has.

    The judge is joined under an alias so the access check's own subquery on
    judges (a judge sees their confidential cases) stays correlated to the case.
    """
    judge = aliased(Judge)
    return (
        sa.select(
            Case.id.label("subject_id"),
            Case.court_id.label("court_id"),
            anchor.label("anchor"),
            Case.case_number.label("label"),
            sa.literal("/cases/show/")
            .concat(sa.cast(Case.id, sa.String))
            .label("link"),
            CaseType.code.label("case_type"),
            Court.level.label("court_level"),
            judge.user_id.label("judge_user_id"),
        )
        .select_from(Case)
        .join(CaseType, CaseType.id == Case.case_type_id)
        .join(Court, Court.id == Case.court_id)
        .outerjoin(judge, judge.id == Case.judge_id)
    )


def unresolved_cases() -> sa.Select[Any]:
    """Open cases, counted from registration."""
    return _case_columns(Case.registered_at).where(
        Case.status.in_(sorted(CaseStatus.OPEN))
    )


def cases_without_hearing() -> sa.Select[Any]:
    """Open cases for which no hearing of any kind has been fixed."""
    fixed = sa.select(Hearing.id).where(Hearing.case_id == Case.id).exists()
    return _case_columns(Case.registered_at).where(
        Case.status.in_(sorted(CaseStatus.OPEN)), ~fixed
    )


def orders_not_extracted() -> sa.Select[Any]:
    """Decided cases without an uploaded written order, counted from the decision."""
    extracted = (
        sa.select(Document.id)
        .where(Document.case_id == Case.id, Document.doc_type == ORDER_DOCUMENT)
        .exists()
    )
    return _case_columns(Case.closed_at).where(
        Case.status == CaseStatus.DECIDED, Case.closed_at.is_not(None), ~extracted
    )


def resolution_periods() -> dict[str, int]:
    """Each case type's own resolution period, loaded from the profile's case types."""
    return dict(
        db.session.execute(sa.select(CaseType.code, CaseType.resolution_days)).all()
    )


def profile_case_types(profile: StateProfile) -> set[str]:
    """The case type codes a profile declares (for checking its reminder keys)."""
    from plugins.cases.profile import case_type_rows

    return {row["code"] for row in case_type_rows(profile)}


def rules() -> list[ReminderRule]:
    """The rules this plugin registers through ``spkms_reminder_rules``."""
    return [
        ReminderRule(
            name="cases.unresolved",
            title="Kes belum selesai",
            query=unresolved_cases,
            days=180,
            warn_before_days=30,
            escalate_after_days=30,
            periods_by_case_type=resolution_periods,
            case_types=profile_case_types,
            scope_model=Case,
        ),
        ReminderRule(
            name="cases.no_hearing_date",
            title="Tarikh perbicaraan belum ditetapkan",
            query=cases_without_hearing,
            days=1,
            unit=WORKING_DAYS,
            warn_before_days=0,
            escalate_after_days=3,
            notify={
                "overdue": ("registrar",),
                "escalation": ("registrar", "chief_registrar"),
            },
            case_types=profile_case_types,
            scope_model=Case,
        ),
        ReminderRule(
            name="cases.order_not_extracted",
            title="Perintah bertulis belum dikeluarkan",
            query=orders_not_extracted,
            days=14,
            warn_before_days=3,
            escalate_after_days=14,
            case_types=profile_case_types,
            scope_model=Case,
        ),
    ]
