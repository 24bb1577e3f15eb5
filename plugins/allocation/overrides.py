"""The override screen's rule: only a judge eligible for the case may be chosen.

``services.override`` checks the officer, the reason and that the judge sits
at or covers the court. The screen offers only judges who are eligible for
the case today (leave, competence, conflicts, as at registration), and this
module refuses any other, so a hand-made form cannot put a case with a judge
on leave or in conflict with a party.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from plugins.allocation import services
from plugins.allocation.models import AllocationRecord
from portal.models import Court, utcnow

logger = logging.getLogger(__name__)


def override_choices(
    session: Session, case: Any
) -> tuple[list[int], list[dict[str, Any]]]:
    """Judges eligible for the case today (other than its own), and the others."""
    court = session.get(Court, case.court_id)
    eligible, excluded = services.eligibility(
        session,
        court_id=case.court_id,
        category=case.case_type.category,
        level=court.level,
        on=services.local_date(utcnow()),
        party_ids=services._party_ids(session, case.id),
    )
    return [j for j in eligible if j != case.judge_id], excluded


def override_to_eligible(
    session: Session,
    case: Any,
    judge_id: int | None,
    reason_code: str,
    reason_text: str,
    user: Any,
) -> AllocationRecord:
    """Check the officer first, then the judge's eligibility, then override."""
    services.check_may_override(user)
    if judge_id is None:
        raise services.AllocationError("judge_id", "is required")
    eligible, excluded = override_choices(session, case)
    if judge_id not in eligible:
        why = next((row["why"] for row in excluded if row["judge_id"] == judge_id), "")
        rule = services.EXCLUSION_LABELS.get(why, "not eligible for this case")
        logger.info(
            "override refused: case id=%s judge=%s not eligible (%s) user=%s",
            case.id,
            judge_id,
            why or "-",
            getattr(user, "id", None),
        )
        raise services.AllocationError("judge_id", f"is not eligible: {rule}")
    return services.override(case, judge_id, reason_code, reason_text, user)
