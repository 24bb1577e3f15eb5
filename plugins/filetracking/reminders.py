"""The file-tracking reminder rule: a volume on loan past its due date.

The borrower and the keeping court's records officers are told; a new loan
of the same volume starts its reminders afresh (the rule's ``round`` is the
loan's movement id).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from plugins.cases.models import Case, CaseType
from plugins.filetracking.models import CaseFile, FileMovement, FileState, MovementKind
from portal.models import Court
from portal.reminders.rules import ReminderRule


def volumes_on_loan() -> sa.Select[Any]:
    """Lent volumes, counted from their due date."""
    loan = (
        sa.select(sa.func.max(FileMovement.id))
        .where(
            FileMovement.file_id == CaseFile.id,
            FileMovement.kind == MovementKind.CHECKOUT,
        )
        .scalar_subquery()
    )
    return (
        sa.select(
            CaseFile.id.label("subject_id"),
            CaseFile.court_id.label("court_id"),
            CaseFile.due_on.label("anchor"),
            CaseFile.label.label("label"),
            sa.literal("/file-desk/file/")
            .concat(sa.cast(CaseFile.id, sa.String))
            .label("link"),
            CaseType.code.label("case_type"),
            Court.level.label("court_level"),
            CaseFile.holder_id.label("holder_user_id"),
            loan.label("round"),
        )
        .select_from(CaseFile)
        .join(Case, Case.id == CaseFile.case_id)
        .join(CaseType, CaseType.id == Case.case_type_id)
        .join(Court, Court.id == CaseFile.court_id)
        .where(CaseFile.state == FileState.ON_LOAN, CaseFile.due_on.is_not(None))
    )


def rules() -> list[ReminderRule]:
    """The rule this plugin registers through ``spkms_reminder_rules``.

    The deadline is the day after the due date: a volume due back today is
    not late until tomorrow. The warning comes on the due date itself.
    """
    return [
        ReminderRule(
            name="filetracking.file_overdue",
            title="Fail lewat dipulangkan",
            query=volumes_on_loan,
            anchor_is_date=True,
            days=1,
            warn_before_days=1,
            escalate_after_days=7,
            notify={
                "warning": ("holder",),
                "overdue": ("holder", "records_officer"),
                "escalation": ("holder", "records_officer", "registrar"),
            },
            user_audiences=("holder",),
            scope_model=CaseFile,
        )
    ]
