"""System Links rules: what is sent to which agency, and what an answer changes.

Free of request objects: case events, the officers' screens, the inbound
endpoint and jobs call these functions. Queuing a message only adds rows to
the caller's session (the message and its delivery job), so a message exists
exactly when the change that caused it committed. Answers are applied to the
case data and recorded on the message in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from plugins.cases.models import Case, CaseStatus
from plugins.links.connectors import AnswerError, Flow
from plugins.links.models import (
    IN,
    OUT,
    AgencyMessage,
    DeliveryAttempt,
    IdentityCheck,
    LegalAidReferral,
    MessageState,
    ReferralStatus,
    RestrictionStatus,
    TravelRestriction,
    VerificationResult,
    Warrant,
    WarrantStatus,
)
from plugins.links.profile import AgencySettings, LinksSettings
from portal.extensions import db
from portal.jobs import emit, enqueue
from portal.models import Court, utcnow

logger = logging.getLogger(__name__)

#: Key of the plugin's runtime (``LinksSettings``) in ``app.extensions``.
EXTENSION_KEY = "spkms_links"
#: The job that delivers one agency's queue.
DELIVER_JOB = "links.deliver"


class LinksError(ValueError):
    """Bad input for a links rule; ``field`` and ``rule`` say what and why."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


def settings() -> LinksSettings:
    """The running app's validated ``[links]`` settings."""
    return current_app.extensions[EXTENSION_KEY]


def agency_settings(agency: str) -> AgencySettings:
    found = settings().agency(agency)
    if found is None:
        raise LinksError("agency", f"{agency!r} is not configured in [links]")
    return found


def flow_of(agency: str, flow: str) -> Flow:
    return agency_settings(agency).connector.flows[flow]


# -- queuing ----------------------------------------------------------------


def queue_message(
    agency: str,
    flow: str,
    payload: dict[str, Any],
    key: str,
    *,
    case: Case | None = None,
    record_id: int | None = None,
) -> AgencyMessage | None:
    """Add an outgoing message and its delivery job to the caller's session.

    Returns ``None`` (and logs) when the profile has the agency or the flow
    switched off. A message whose key exists already is returned as it is:
    a replayed event never queues a second one.
    """
    if not settings().flow_on(agency, flow):
        logger.info("links flow off, nothing queued: agency=%s flow=%s", agency, flow)
        return None
    existing = db.session.scalar(
        sa.select(AgencyMessage).where(AgencyMessage.idempotency_key == key)
    )
    if existing is not None:
        return existing
    message = AgencyMessage(
        agency=agency,
        flow=flow,
        direction=OUT,
        case_id=case.id if case is not None else None,
        court_id=case.court_id if case is not None else None,
        record_id=record_id,
        idempotency_key=key,
        payload=payload,
        state=MessageState.QUEUED,
        attempts=0,
        next_attempt_at=utcnow(),
        created_at=utcnow(),
    )
    waiting = db.session.scalar(
        sa.select(AgencyMessage.id)
        .where(
            AgencyMessage.agency == agency,
            AgencyMessage.direction == OUT,
            AgencyMessage.state.in_(MessageState.PENDING),
        )
        .limit(1)
    )
    db.session.add(message)
    if waiting is None:
        enqueue(DELIVER_JOB, agency=agency)
    # Otherwise older messages wait their turn: the delivery that sends them
    # (a retry or the re-drive schedule) sends this one after them, in order.
    return message


def _person(party: Any) -> dict[str, Any]:
    return {
        "identity_type": party.identity_type,
        "identity_number": party.identity_number,
        "name": party.full_name,
    }


def _party_of(case: Case, party_id: int, field: str) -> Any:
    for link in case.parties:
        if link.party_id == party_id:
            return link.party
    raise LinksError(field, "is not a party of this case")


# -- flows started by case events -------------------------------------------


def check_identities(case_id: int) -> int:
    """Queue a JPN identity check for each party of a new case holding a MyKad.

    Runs from the case-registered event; the event's job commits the checks
    together with its own completion. Returns the number of checks queued (0
    when the flow is off).
    """
    if not settings().flow_on("jpn", "identity_check"):
        return 0
    case = db.session.get(Case, case_id)
    if case is None:
        raise LinksError("case_id", f"no case {case_id}")
    queued = 0
    for link in case.parties:
        party = link.party
        if party.identity_type != "mykad":
            continue
        key = f"jpn:identity_check:{case.id}:{party.id}"
        check = db.session.scalar(
            sa.select(IdentityCheck).where(
                IdentityCheck.case_id == case.id, IdentityCheck.party_id == party.id
            )
        )
        if check is None:
            check = IdentityCheck(
                case_id=case.id,
                party_id=party.id,
                identity_number=party.identity_number,
                result=VerificationResult.PENDING,
            )
            db.session.add(check)
            db.session.flush()
        queue_message(
            "jpn",
            "identity_check",
            _person(party),
            key,
            case=case,
            record_id=check.id,
        )
        queued += 1
    db.session.flush()
    logger.info("identity checks queued: case=%s count=%d", case.case_number, queued)
    return queued


def report_marital_status(case_id: int, new_status: str) -> bool:
    """Tell JPN of a decided divorce case (the profile lists divorce types).

    Runs from the case-status-changed event, committed by the event's job.
    Returns True when a message was queued.
    """
    jpn = settings().agency("jpn")
    if new_status != CaseStatus.DECIDED or jpn is None:
        return False
    case = db.session.get(Case, case_id)
    if case is None or case.case_type.code not in jpn.options.get(
        "divorce_case_types", []
    ):
        return False
    payload = {
        "event": "divorce",
        "case_number": case.case_number,
        "court_code": case.court.code,
        "decided_on": (case.closed_at or utcnow()).date().isoformat(),
        "persons": [_person(link.party) for link in case.parties],
    }
    queued = queue_message(
        "jpn", "marital_status", payload, f"jpn:marital_status:{case.id}", case=case
    )
    return queued is not None


# -- flows started by an officer --------------------------------------------


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise LinksError("reason", "is required")
    if len(text) > 500:
        raise LinksError("reason", "must be at most 500 characters")
    return text


def _require_flow(agency: str, flow: str) -> None:
    if not settings().flow_on(agency, flow):
        raise LinksError(
            "flow", f"{agency.upper()} {flow} is switched off in the state profile"
        )


def request_warrant(case: Case, party_id: int, reason: str) -> Warrant:
    """Issue a warrant of arrest for a party and send it to PDRM; commit."""
    _require_flow("pdrm", "warrant")
    party = _party_of(case, party_id, "party_id")
    warrant = Warrant(case_id=case.id, party_id=party.id, reason=_reason(reason))
    db.session.add(warrant)
    db.session.flush()
    payload = {
        "warrant_id": warrant.id,
        "case_number": case.case_number,
        "court_code": case.court.code,
        "person": _person(party),
        "reason": warrant.reason,
    }
    queue_message(
        "pdrm",
        "warrant",
        payload,
        f"pdrm:warrant:{warrant.id}",
        case=case,
        record_id=warrant.id,
    )
    db.session.commit()
    logger.info("warrant issued: case=%s warrant=%s", case.case_number, warrant.id)
    return warrant


def request_travel_restriction(
    case: Case, party_id: int, reason: str
) -> TravelRestriction:
    """Ask JIM to stop a party leaving the country; commit."""
    _require_flow("jim", "travel_restriction")
    party = _party_of(case, party_id, "party_id")
    restriction = TravelRestriction(
        case_id=case.id, party_id=party.id, reason=_reason(reason)
    )
    db.session.add(restriction)
    db.session.flush()
    payload = {
        "restriction_id": restriction.id,
        "case_number": case.case_number,
        "court_code": case.court.code,
        "person": _person(party),
        "reason": restriction.reason,
    }
    queue_message(
        "jim",
        "travel_restriction",
        payload,
        f"jim:travel_restriction:{restriction.id}",
        case=case,
        record_id=restriction.id,
    )
    db.session.commit()
    return restriction


def lift_travel_restriction(
    restriction: TravelRestriction, reason: str
) -> TravelRestriction:
    """Ask JIM to lift an active restriction; commit."""
    _require_flow("jim", "travel_restriction_lift")
    if restriction.status != RestrictionStatus.ACTIVE:
        raise LinksError(
            "status",
            f"only an active restriction can be lifted, not {restriction.status_label}",
        )
    text = _reason(reason)
    restriction.status = RestrictionStatus.LIFT_REQUESTED
    payload = {
        "restriction_id": restriction.id,
        "reference": restriction.jim_reference,
        "person": _person(restriction.party),
        "reason": text,
    }
    queue_message(
        "jim",
        "travel_restriction_lift",
        payload,
        f"jim:travel_restriction_lift:{restriction.id}",
        case=restriction.case,
        record_id=restriction.id,
    )
    db.session.commit()
    return restriction


REFERRAL_KINDS = {
    "bantuan_guaman": "Bantuan Guaman",
    "sokongan_keluarga": "Sokongan Keluarga",
}


def refer_legal_aid(case: Case, party_id: int, kind: str) -> LegalAidReferral:
    """Refer a party to BHEUU for legal aid or family support; commit."""
    _require_flow("bheuu", "legal_aid_referral")
    if kind not in REFERRAL_KINDS:
        raise LinksError("kind", f"must be one of {', '.join(REFERRAL_KINDS)}")
    party = _party_of(case, party_id, "party_id")
    referral = LegalAidReferral(case_id=case.id, party_id=party.id, kind=kind)
    db.session.add(referral)
    db.session.flush()
    payload = {
        "referral_id": referral.id,
        "kind": kind,
        "case_number": case.case_number,
        "court_code": case.court.code,
        "person": _person(party),
    }
    queue_message(
        "bheuu",
        "legal_aid_referral",
        payload,
        f"bheuu:legal_aid_referral:{referral.id}",
        case=case,
        record_id=referral.id,
    )
    db.session.commit()
    return referral


def send_case_statistics(period: str | None = None) -> AgencyMessage | None:
    """Queue last month's case counts per court and case type for JAKIM.

    The scheduled job; ``period`` (``YYYY-MM``) sends another month. The key
    is the period, so a second run for a month sends nothing new.
    """
    if period is None:
        first = datetime.now(UTC).date().replace(day=1)
        period = (first - timedelta(days=1)).strftime("%Y-%m")
    try:
        start = date.fromisoformat(f"{period}-01")
    except ValueError:
        raise LinksError("period", "must be YYYY-MM") from None
    end = (start + timedelta(days=32)).replace(day=1)
    begin = datetime(start.year, start.month, 1, tzinfo=UTC)
    finish = datetime(end.year, end.month, 1, tzinfo=UTC)
    from plugins.cases.models import CaseType

    def counts(column: Any) -> dict[tuple[str, str], int]:
        rows = db.session.execute(
            sa.select(Court.code, CaseType.code, sa.func.count(Case.id))
            .join(Court, Court.id == Case.court_id)
            .join(CaseType, CaseType.id == Case.case_type_id)
            .where(column >= begin, column < finish)
            .group_by(Court.code, CaseType.code)
        )
        return {(court, kind): number for court, kind, number in rows}

    registered = counts(Case.registered_at)
    closed = counts(Case.closed_at)
    rows = [
        {
            "court_code": court,
            "case_type_code": kind,
            "registered": registered.get((court, kind), 0),
            "closed": closed.get((court, kind), 0),
        }
        for court, kind in sorted(set(registered) | set(closed))
    ]
    message = queue_message(
        "jakim",
        "case_statistics",
        {"period": period, "rows": rows},
        f"jakim:case_statistics:{period}",
    )
    db.session.commit()
    return message


# -- answers ------------------------------------------------------------------


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise AnswerError("answer.at", "must be an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _record(model: type, message: AgencyMessage) -> Any:
    record = db.session.get(model, message.record_id) if message.record_id else None
    if record is None:
        raise AnswerError("in_reply_to", f"the {model.__tablename__} record is gone")
    return record


def _apply_identity(message: AgencyMessage, answer: dict[str, Any]) -> None:
    check = _record(IdentityCheck, message)
    results = {
        "match": VerificationResult.MATCH,
        "mismatch": VerificationResult.MISMATCH,
        "not_found": VerificationResult.NOT_FOUND,
        "deceased": VerificationResult.DECEASED,
    }
    check.result = results[answer["result"]]
    check.registered_name = (answer.get("registered_name") or None) and str(
        answer["registered_name"]
    )[:200]
    check.checked_at = utcnow()


def _apply_warrant(message: AgencyMessage, answer: dict[str, Any]) -> None:
    warrant = _record(Warrant, message)
    status = {
        "received": WarrantStatus.RECEIVED,
        "executed": WarrantStatus.EXECUTED,
        "unexecuted": WarrantStatus.UNEXECUTED,
    }[answer["status"]]
    if status == warrant.status:
        return
    if warrant.status not in WarrantStatus.MOVES[status]:
        raise AnswerError(
            "answer.status",
            f"a warrant that is {warrant.status_label} cannot become "
            f"{WarrantStatus.LABELS[status]}",
        )
    warrant.status = status
    warrant.police_reference = str(answer["reference"])[:60]
    warrant.status_note = (str(answer.get("note") or "") or None) and str(
        answer["note"]
    )[:500]
    if status == WarrantStatus.EXECUTED:
        warrant.executed_at = _when(answer.get("at")) or utcnow()


def _apply_restriction(message: AgencyMessage, answer: dict[str, Any]) -> None:
    restriction = _record(TravelRestriction, message)
    lift = message.flow == "travel_restriction_lift"
    if answer["status"] == "refused":
        restriction.status = (
            RestrictionStatus.ACTIVE if lift else RestrictionStatus.REFUSED
        )
    else:
        restriction.status = (
            RestrictionStatus.LIFTED if lift else RestrictionStatus.ACTIVE
        )
    restriction.jim_reference = str(answer["reference"])[:60]
    restriction.status_note = answer.get("note") and str(answer["note"])[:500]


def _apply_referral(message: AgencyMessage, answer: dict[str, Any]) -> None:
    referral = _record(LegalAidReferral, message)
    referral.status = (
        ReferralStatus.ACCEPTED
        if answer["status"] == "accepted"
        else ReferralStatus.DECLINED
    )
    referral.bheuu_reference = str(answer["reference"])[:60]
    referral.assigned_lawyer = answer.get("lawyer") and str(answer["lawyer"])[:200]
    referral.status_note = answer.get("note") and str(answer["note"])[:500]


#: Flow -> function that writes an answer into the case data.
APPLIERS: dict[str, Callable[[AgencyMessage, dict[str, Any]], None]] = {
    "identity_check": _apply_identity,
    "warrant": _apply_warrant,
    "travel_restriction": _apply_restriction,
    "travel_restriction_lift": _apply_restriction,
    "legal_aid_referral": _apply_referral,
}


def apply_answer(message: AgencyMessage, raw_answer: Any) -> dict[str, Any]:
    """Check an answer to ``message`` and write it to the case data (no commit).

    The caller commits the answer, the case data and the message's new state
    together, or rolls all of it back.

    :raises AnswerError: the answer breaks the connector's contract or the
        record's rules; nothing has been changed that a rollback would keep.
    """
    connector = agency_settings(message.agency).connector
    answer = connector.parse_answer(message.flow, raw_answer)
    applier = APPLIERS.get(message.flow)
    if applier is not None:
        applier(message, answer)
    message.answer = answer
    message.answered_at = utcnow()
    message.state = MessageState.ACKNOWLEDGED
    message.last_error = None
    return answer


def fire_received(message: AgencyMessage) -> None:
    """Queue ``spkms_on_agency_message_received`` for the caller's commit."""
    emit(
        "agency_message_received",
        message_id=message.id,
        agency=message.agency,
        flow=message.flow,
    )


# -- by hand -------------------------------------------------------------------


def retry_by_hand(message: AgencyMessage) -> AgencyMessage:
    """Put a failed or parked outgoing message back at the head of its queue."""
    if message.direction != OUT:
        raise LinksError("direction", "only an outgoing message can be sent again")
    if message.state not in (MessageState.FAILED, MessageState.DEAD):
        raise LinksError(
            "state",
            f"a message that is {message.state_label} is not waiting for a retry",
        )
    message.state = MessageState.QUEUED
    message.next_attempt_at = utcnow()
    message.attempts = 0
    enqueue(DELIVER_JOB, agency=message.agency)
    db.session.commit()
    logger.info("message queued again by hand: message=%s", message.id)
    return message


def dead_letter_by_hand(message: AgencyMessage, reason: str) -> AgencyMessage:
    """Set a waiting outgoing message aside so it is never sent (parked)."""
    text = _reason(reason)
    if message.direction != OUT or message.state not in MessageState.PENDING:
        raise LinksError(
            "state", "only a queued or failed outgoing message can be parked"
        )
    message.state = MessageState.DEAD
    message.last_error = f"diketepikan oleh pegawai: {text}"
    db.session.commit()
    logger.info("message parked by hand: message=%s reason=%s", message.id, text)
    return message


# -- health ------------------------------------------------------------------


def backlog() -> dict[tuple[str, str], int]:
    """Outgoing messages not yet settled, by agency and state, for ``/metrics``.

    Counts what still needs the delivery job (queued, failed), an agency's
    answer (sent) or a links officer (dead), in one grouped query.
    """
    unsettled = (*MessageState.PENDING, MessageState.SENT, MessageState.DEAD)
    rows = db.session.execute(
        sa.select(AgencyMessage.agency, AgencyMessage.state, sa.func.count())
        .where(AgencyMessage.direction == OUT, AgencyMessage.state.in_(unsettled))
        .group_by(AgencyMessage.agency, AgencyMessage.state)
    )
    return {(agency, state): count for agency, state, count in rows}


def health(since: timedelta = timedelta(hours=24)) -> list[dict[str, Any]]:
    """Per agency: last success, backlog, parked count, error rate of the window."""
    start = utcnow() - since
    found = []
    for agency, config in settings().agencies.items():
        last_success = db.session.scalar(
            sa.select(sa.func.max(DeliveryAttempt.at)).where(
                DeliveryAttempt.agency == agency, DeliveryAttempt.ok.is_(True)
            )
        )
        backlog = db.session.scalar(
            sa.select(sa.func.count(AgencyMessage.id)).where(
                AgencyMessage.agency == agency,
                AgencyMessage.direction == OUT,
                AgencyMessage.state.in_(MessageState.PENDING),
            )
        )
        parked = db.session.scalar(
            sa.select(sa.func.count(AgencyMessage.id)).where(
                AgencyMessage.agency == agency,
                AgencyMessage.state == MessageState.DEAD,
            )
        )
        tries, failures = db.session.execute(
            sa.select(
                sa.func.count(DeliveryAttempt.id),
                sa.func.count(DeliveryAttempt.id).filter(DeliveryAttempt.ok.is_(False)),
            ).where(DeliveryAttempt.agency == agency, DeliveryAttempt.at >= start)
        ).one()
        found.append(
            {
                "agency": agency,
                "title": config.connector.title,
                "endpoint": config.endpoint,
                "last_success": last_success,
                "backlog": backlog,
                "parked": parked,
                "attempts": tries,
                "error_rate": (failures / tries) if tries else 0.0,
            }
        )
    return found


def inbound_rows(agency: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(AgencyMessage.id)).where(
            AgencyMessage.agency == agency, AgencyMessage.direction == IN
        )
    )


def repoint_party(from_party_id: int, to_party_id: int) -> int:
    """Move this plugin's references of a merged party onto the survivor."""
    changed = 0
    for model in (Warrant, TravelRestriction, LegalAidReferral, IdentityCheck):
        for record in db.session.scalars(
            sa.select(model).where(model.party_id == from_party_id)
        ):
            if model is IdentityCheck and db.session.scalar(
                sa.select(IdentityCheck.id).where(
                    IdentityCheck.case_id == record.case_id,
                    IdentityCheck.party_id == to_party_id,
                )
            ):
                # The survivor was checked in the same case: that check stands.
                db.session.delete(record)
            else:
                record.party_id = to_party_id
            changed += 1
    return changed


def case_party_ids(case: Case) -> list[tuple[int, str]]:
    return [(link.party_id, str(link.party)) for link in case.parties]
