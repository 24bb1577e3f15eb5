"""The public status answer: what a member of the public may learn of a case.

Asked with a case number or an e-filing reference together with an identity
number, it answers only a party of the case (or the applicant of the filing),
and only with non-confidential essentials: status, court, next hearing. Every
other question, whatever is on file, gets the same "nothing found", so the
answer cannot be used to learn whether a case exists. Free of request objects
like ``services``; the page is ``plugins.cases.public``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from plugins.cases import efiling
from plugins.cases.efiling import EFiling
from plugins.cases.models import Case, CaseParty, CaseStatus, Hearing
from plugins.cases.services import CaseError
from portal.extensions import db
from portal.models import utcnow
from portal.timezone import to_local

if TYPE_CHECKING:
    from plugins.parties.identity import Identity

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublicStatus:
    """What the public status page may say: non-confidential essentials only."""

    court_name: str
    status: str
    case_number: str | None = None
    reference: str | None = None
    next_hearing: datetime | None = None
    return_reason: str | None = None


def _local(moment: datetime) -> datetime:
    """A stored time in the state's time zone (SQLite hands back naive UTC)."""
    return to_local(moment)


def _next_hearing(case_id: int) -> datetime | None:
    starts_at = db.session.scalar(
        sa.select(Hearing.starts_at)
        .where(Hearing.case_id == case_id, Hearing.starts_at >= utcnow())
        .order_by(Hearing.starts_at)
        .limit(1)
    )
    return _local(starts_at) if starts_at is not None else None


def _case_answer(case: Case, reference: str | None = None) -> PublicStatus:
    return PublicStatus(
        reference=reference,
        court_name=case.court.name,
        status=case.status_label,
        case_number=case.case_number,
        next_hearing=(
            _next_hearing(case.id) if case.status in CaseStatus.OPEN else None
        ),
    )


#: A lookup's result: the table and row the access log names, and the answer.
Lookup = tuple[str, int | None, PublicStatus | None]


def _lookup_case(number: str, identity: Identity) -> Lookup:
    from plugins.parties.services import find_by_identity

    case = db.session.scalar(
        sa.select(Case).where(
            sa.or_(Case.case_number == number, Case.legacy_number == number)
        )
    )
    if case is None:
        return Case.__tablename__, None, None
    party = find_by_identity(
        identity.identity_type, identity.number, identity.nationality
    )
    is_party = party is not None and db.session.scalar(
        sa.select(CaseParty.id)
        .where(CaseParty.case_id == case.id, CaseParty.party_id == party.id)
        .limit(1)
    )
    if not is_party or case.confidential:
        return Case.__tablename__, case.id, None
    return Case.__tablename__, case.id, _case_answer(case)


def _lookup_filing(reference: str, identity: Identity) -> Lookup:
    filing = db.session.scalar(sa.select(EFiling).where(EFiling.reference == reference))
    if filing is None:
        return Case.__tablename__, None, None
    case = filing.case
    mine = (
        filing.applicant_identity_type,
        filing.applicant_identity_number,
        filing.applicant_nationality,
    ) == (identity.identity_type, identity.number, identity.nationality)
    if case is not None:
        if not mine or case.confidential:
            return Case.__tablename__, case.id, None
        return Case.__tablename__, case.id, _case_answer(case, reference)
    # Not a case yet: the log names the filing itself.
    if not mine:
        return EFiling.__tablename__, filing.id, None
    return (
        EFiling.__tablename__,
        filing.id,
        PublicStatus(
            reference=reference,
            court_name=filing.court.name,
            status=filing.state_label,
            return_reason=filing.return_reason,
        ),
    )


def public_status(
    number: str | None,
    identity_type: str | None,
    identity_number: str | None,
    nationality: str | None = None,
) -> PublicStatus | None:
    """The status of a case or e-filing for a member of the public, or ``None``.

    ``number`` is a case number or an e-filing reference. An answer is given
    only when the identity belongs to a party of the case (or the applicant of
    the filing) and the case is not confidential; every other lookup, a case
    that does not exist included, gets the same ``None``, so the answer gives
    nothing away. Raises ``CaseError`` only for input that cannot be right
    whatever is on file (an empty number, a malformed identity number).

    Each lookup is written to the access log with action ``public_status``,
    naming the case (table ``court_case``; no row when nothing matched), or
    the filing (table ``efiling``) while it is not a case yet.
    """
    from portal.audit.access_log import record_access

    text = " ".join((number or "").split()).upper()
    if not text:
        raise CaseError("number", "is required")
    if len(text) > 40:
        raise CaseError("number", "must be at most 40 characters")
    identity = efiling.identity_of(
        "",
        {
            "identity_type": identity_type,
            "identity_number": identity_number,
            "nationality": nationality,
        },
    )
    reference = efiling.normalise_reference(text)
    if reference is not None:
        table, record_id, answer = _lookup_filing(reference, identity)
    else:
        table, record_id, answer = _lookup_case(text, identity)
    record_access(table, record_id, action="public_status", allowed=answer is not None)
    logger.info(
        "public status lookup: %s=%s answered=%s", table, record_id, answer is not None
    )
    return answer
