"""Case rules: registration (local and remote), numbering, status, hearings.

Free of request objects: the registration screen, the REST API, e-filing
acceptance, the legacy import and jobs all call these functions. Each public
function works in the caller's session and either completes or raises a
``CaseError`` naming the field and the rule, leaving nothing written once the
caller rolls back (``register_case`` rolls back itself).
"""

# TODO(i18n): the rules of CaseError are English (the API's clients and tests read
#   them); screens show them as they are, after a translated lead-in.
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from plugins.cases.models import (
    Case,
    CaseNumberSeries,
    CaseParty,
    CaseStatus,
    CaseType,
    Hearing,
    HearingKind,
    PartyRole,
)
from portal.extensions import db
from portal.jobs import emit
from portal.models import Court, Judge, utcnow
from portal.security import access

logger = logging.getLogger(__name__)


class CaseError(ValueError):
    """Bad input for a case rule; ``field`` and ``rule`` say what and why."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


@dataclass
class PartyInput:
    """One party as keyed at registration: an identity and a role.

    ``party_id`` reuses a profile found by identity number; otherwise the
    identity fields find or create the profile in the parties plugin.
    """

    role: str
    party_id: int | None = None
    identity_type: str = "mykad"
    identity_number: str | None = None
    nationality: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    lawyer_id: int | None = None


@dataclass
class Registration:
    """What a clerk, a registrar accepting an e-filing, or an API client asks for."""

    court_id: int
    case_type_id: int
    title: str
    parties: Sequence[PartyInput]
    registered_by_id: int | None
    registered_from_id: int | None = None
    confidential: bool = False
    claim_amount_sen: int | None = None
    registered_on: date | None = None


def format_case_number(court_code: str, type_code: str, running: int, year: int) -> str:
    """``CCCCC-TTT-NNNN-YYYY``; the running number is zero-padded to four."""
    return f"{court_code}-{type_code}-{running:04d}-{year}"


def ensure_series(court_id: int, case_type_id: int, year: int) -> None:
    """Create the number series row if missing; safe when two callers race."""
    session = db.session
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
        CaseNumberSeries
    )
    session.execute(
        insert.values(
            court_id=court_id, case_type_id=case_type_id, year=year, last_number=0
        ).on_conflict_do_nothing(index_elements=["court_id", "case_type_id", "year"])
    )


def take_running_number(court_id: int, case_type_id: int, year: int) -> int:
    """Take the next running number for the series in the current transaction.

    The series row is created if missing (a conflict-free insert, safe when
    two first registrations race) and then bumped by one UPDATE ... RETURNING:
    PostgreSQL holds the row lock, SQLite the database write lock, until the
    transaction ends, so concurrent registrations queue and none shares or
    skips a number. A rollback gives the number back.
    """
    session = db.session
    ensure_series(court_id, case_type_id, year)
    return session.execute(
        sa.update(CaseNumberSeries)
        .where(
            CaseNumberSeries.court_id == court_id,
            CaseNumberSeries.case_type_id == case_type_id,
            CaseNumberSeries.year == year,
        )
        .values(last_number=CaseNumberSeries.last_number + 1)
        .returning(CaseNumberSeries.last_number)
    ).scalar_one()


def _check_registration(request: Registration) -> tuple[Court, CaseType, Court]:
    session = db.session
    court = session.get(Court, request.court_id) if request.court_id else None
    if court is None or not court.active:
        raise CaseError("court", "is not an active court of this state")
    case_type = (
        session.get(CaseType, request.case_type_id) if request.case_type_id else None
    )
    if case_type is None or not case_type.active:
        raise CaseError("case_type", "is not a known, active case type")
    if case_type.level != court.level:
        raise CaseError(
            "case_type",
            f"{case_type.code} {case_type.name} is heard at the {case_type.level}"
            f" level, not at {court.name}",
        )
    from_id = request.registered_from_id or request.court_id
    registered_from = session.get(Court, from_id)
    if registered_from is None:
        raise CaseError("registered_from", "is not a court of this state")
    allowed = access.allowed_court_ids()
    if allowed is not None and from_id not in allowed:
        raise CaseError("registered_from", "you are not posted to that court")
    title = (request.title or "").strip()
    if not title:
        raise CaseError("title", "is required")
    if len(title) > 300:
        raise CaseError("title", "must be at most 300 characters")
    if "<" in title or ">" in title:
        raise CaseError("title", "must not contain markup")
    if request.claim_amount_sen is not None and request.claim_amount_sen < 0:
        raise CaseError("claim_amount_sen", "must not be negative")
    today = datetime.now(UTC).date()
    if request.registered_on and request.registered_on > today:
        raise CaseError("registered_on", "must not be in the future")
    roles = [p.role for p in request.parties]
    unknown = [r for r in roles if r not in PartyRole.LABELS]
    if unknown:
        raise CaseError("parties.role", f"unknown role {unknown[0]!r}")
    opening = PartyRole.ACCUSED if case_type.category == "jenayah" else None
    if opening and opening not in roles:
        raise CaseError("parties", "a criminal case needs the accused (tertuduh)")
    if not opening and not set(roles) & PartyRole.OPENING:
        raise CaseError("parties", "needs a plaintiff or an applicant")
    return court, case_type, registered_from


def _resolve_party(item: PartyInput, index: int) -> int:
    from plugins.parties import services as parties

    where = f"parties[{index}]"
    if item.party_id:
        party = parties.get_party(item.party_id)
        if party is None:
            raise CaseError(f"{where}.party_id", "no such party profile")
        return party.id  # a merged profile answers with its survivor
    if not item.identity_number:
        raise CaseError(f"{where}.identity_number", "is required")
    try:
        party = parties.get_or_create_party(
            identity_type=item.identity_type,
            identity_number=item.identity_number,
            nationality=item.nationality,
            **item.details,
        )
    except ValueError as exc:
        field_name = getattr(exc, "field", "identity_number")
        rule = getattr(exc, "rule", str(exc))
        raise CaseError(f"{where}.{field_name}", rule) from exc
    return party.id


def register_case(request: Registration) -> Case:
    """Register a case in one transaction and commit it; return the case.

    Finds or creates each party by identity number, takes the next running
    number of the court, case type and year, records the registration fee due
    and the court where it was keyed, and queues the ``case_registered`` event.
    Any refusal rolls the whole transaction back: no number is used up.
    """
    session = db.session
    try:
        court, case_type, registered_from = _check_registration(request)
        party_ids = [_resolve_party(item, i) for i, item in enumerate(request.parties)]
        seen: set[tuple[int, str]] = set()
        for index, (party_id, item) in enumerate(
            zip(party_ids, request.parties, strict=True)
        ):
            if (party_id, item.role) in seen:
                raise CaseError(
                    f"parties[{index}]", "the same person is listed twice in one role"
                )
            seen.add((party_id, item.role))
        registered_on = request.registered_on or datetime.now(UTC).date()
        year = registered_on.year
        running = take_running_number(court.id, case_type.id, year)
        case = Case(
            court_id=court.id,
            case_type_id=case_type.id,
            year=year,
            running_number=running,
            case_number=format_case_number(court.code, case_type.code, running, year),
            title=request.title.strip(),
            registered_at=utcnow(),
            registered_by_id=request.registered_by_id,
            registered_from_id=registered_from.id,
            confidential=request.confidential,
            claim_amount_sen=request.claim_amount_sen,
            fee_due_sen=case_type.fee_sen,
        )
        for party_id, item in zip(party_ids, request.parties, strict=True):
            case.parties.append(
                CaseParty(party_id=party_id, role=item.role, lawyer_id=item.lawyer_id)
            )
        session.add(case)
        session.flush()
        case.judge_id = _assign_judge(case)
        emit(
            "case_registered",
            case_id=case.id,
            court_id=court.id,
            registered_from_court_id=registered_from.id,
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    logger.info(
        "case registered: %s id=%s court=%s from=%s by=%s",
        case.case_number,
        case.id,
        court.code,
        registered_from.code,
        request.registered_by_id,
    )
    return case


def _assign_judge(case: Case) -> int | None:
    """Ask the enabled allocation plugin (if any) for the case's judge."""
    from portal.app import spkms

    judge_id = spkms().hook.spkms_assign_judge(session=db.session, case_id=case.id)
    if judge_id is not None:
        emit("judge_assigned", case_id=case.id, judge_id=judge_id)
    return judge_id


def change_status(case: Case, new_status: str, *, reason: str | None = None) -> Case:
    """Move a case to ``new_status`` if the workflow allows it, and commit."""
    old = case.status
    if new_status not in CaseStatus.LABELS:
        raise CaseError("status", f"unknown status {new_status!r}")
    if new_status not in CaseStatus.ALLOWED.get(old, set()):
        raise CaseError(
            "status",
            f"a case that is {CaseStatus.LABELS[old]} cannot become"
            f" {CaseStatus.LABELS[new_status]}",
        )
    if new_status in {
        CaseStatus.WITHDRAWN,
        CaseStatus.STRUCK_OUT,
        CaseStatus.TRANSFERRED,
    } and not (reason and reason.strip()):
        raise CaseError("reason", "is required for this status")
    case.status = new_status
    case.status_reason = reason.strip() if reason else None
    if new_status not in CaseStatus.OPEN:
        case.closed_at = utcnow()
    emit("case_status_changed", case_id=case.id, old_status=old, new_status=new_status)
    db.session.commit()
    logger.info("case status: %s %s -> %s", case.case_number, old, new_status)
    return case


def schedule_hearing(
    case: Case, kind: str, starts_at: datetime, courtroom: str | None = None
) -> Hearing:
    """Fix a sitting for an open case and commit; the first one starts the case."""
    if kind not in HearingKind.LABELS:
        raise CaseError("kind", f"unknown hearing kind {kind!r}")
    if starts_at.tzinfo is None:
        raise CaseError("starts_at", "must carry a time zone")
    if case.status not in CaseStatus.OPEN:
        raise CaseError("case", f"is {case.status_label}; no hearing can be fixed")
    # Stored in UTC: SQLite keeps no time zone, so anything else reads back wrong.
    hearing = Hearing(
        case=case, kind=kind, starts_at=starts_at.astimezone(UTC), courtroom=courtroom
    )
    db.session.add(hearing)
    if case.status == CaseStatus.REGISTERED:
        old = case.status
        case.status = CaseStatus.IN_PROGRESS
        emit(
            "case_status_changed",
            case_id=case.id,
            old_status=old,
            new_status=case.status,
        )
    db.session.flush()
    emit("hearing_scheduled", hearing_id=hearing.id, case_id=case.id)
    db.session.commit()
    logger.info(
        "hearing fixed: %s %s at %s", case.case_number, kind, starts_at.isoformat()
    )
    return hearing


@dataclass(frozen=True)
class EarlierCase:
    """A case of a person found at registration; sealed ones say only where."""

    court_code: str
    court_name: str
    visible: bool
    case_id: int | None = None
    case_number: str | None = None
    case_type: str | None = None
    status: str | None = None
    role: str | None = None


def earlier_cases(party_id: int) -> list[EarlierCase]:
    """Every case of the person in every court of the state.

    Registration needs the person's history across the state, so the
    essentials (number, type, status, role, court) of every non-confidential
    case are shown whatever the officer's courts. A confidential case the
    officer may not open shows only that one exists and at which court.
    """
    rows = db.session.execute(
        sa.select(Case, CaseParty.role, Court)
        .join(CaseParty, CaseParty.case_id == Case.id)
        .join(Court, Court.id == Case.court_id)
        .where(CaseParty.party_id == party_id)
        .order_by(Case.registered_at.desc())
    ).all()
    visible_ids = set()
    if rows:
        clause = access.scope_clause(Case, access.current_viewer())
        query = sa.select(Case.id).where(
            Case.id.in_([case.id for case, _r, _c in rows])
        )
        if clause is not None:
            query = query.where(clause)
        visible_ids = set(db.session.scalars(query))
    found = []
    for case, role, court in rows:
        if not case.confidential or case.id in visible_ids:
            found.append(
                EarlierCase(
                    court_code=court.code,
                    court_name=court.name,
                    visible=True,
                    case_id=case.id,
                    case_number=case.case_number,
                    case_type=case.case_type.name,
                    status=case.status_label,
                    role=PartyRole.LABELS.get(role, role),
                )
            )
        else:
            found.append(
                EarlierCase(court_code=court.code, court_name=court.name, visible=False)
            )
    return found


def registrars_of(court_id: int) -> list[int]:
    """User ids of the registrars posted to a court (for notices)."""
    from portal.notifications import officers_of

    return officers_of(court_id, "Registrar")


def judge_for_user(user_id: int) -> Judge | None:
    return db.session.scalar(sa.select(Judge).where(Judge.user_id == user_id))
