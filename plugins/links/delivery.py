"""Delivering an agency's queue: in order, with back-off, without doubles.

``deliver(agency)`` is the ``links.deliver`` job. It takes the agency's lane
lease (one deliverer per agency at a time), then sends the agency's waiting
messages oldest first. A message whose next try is not due yet stops the
lane: later messages wait behind it, so an agency that was down for hours
gets everything in the order it was written once it is back. A message the
agency rejects, or one out of tries, is parked (dead) and the lane moves on.

No database transaction is open during an HTTP call, so a slow agency never
holds a lock that registrations or the agency's own callback need. The
idempotency key travels as a header: a message sent again after a time-out
the agency had in fact processed is recognised there and applied once.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

import requests
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from plugins.links import services
from plugins.links.connectors import AnswerError
from plugins.links.models import (
    OUT,
    AgencyLane,
    AgencyMessage,
    DeliveryAttempt,
    MessageState,
)
from plugins.links.signing import IDEMPOTENCY_HEADER, sign
from portal.extensions import db
from portal.jobs import enqueue
from portal.models import utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What one HTTP try came to."""

    kind: str  # accepted | answered | rejected | transient
    status_code: int | None
    detail: str
    answer: Any = None
    duration_ms: int = 0


def backoff(attempts: int, base: float, ceiling: float) -> timedelta:
    """The pause after ``attempts`` failed tries: ``base`` doubled each time."""
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), ceiling))


def _lease_seconds() -> float:
    return services.settings().timeout_seconds * 2 + 30


def _take_lane(agency: str, owner: str) -> bool:
    """Lease the agency's lane for this run; False when another run holds it."""
    now = utcnow()
    until = now + timedelta(seconds=_lease_seconds())
    result: Any = db.session.execute(
        sa.update(AgencyLane)
        .where(
            AgencyLane.agency == agency,
            sa.or_(AgencyLane.leased_until.is_(None), AgencyLane.leased_until < now),
        )
        .values(leased_until=until, lease_owner=owner)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        db.session.commit()
        return True
    db.session.rollback()
    exists = db.session.get(AgencyLane, agency)
    if exists is not None:
        db.session.rollback()
        return False
    db.session.add(AgencyLane(agency=agency, leased_until=until, lease_owner=owner))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def _renew_lane(agency: str, owner: str) -> None:
    until = utcnow() + timedelta(seconds=_lease_seconds())
    db.session.execute(
        sa.update(AgencyLane)
        .where(AgencyLane.agency == agency, AgencyLane.lease_owner == owner)
        .values(leased_until=until)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _release_lane(agency: str, owner: str) -> None:
    db.session.rollback()
    db.session.execute(
        sa.update(AgencyLane)
        .where(AgencyLane.agency == agency, AgencyLane.lease_owner == owner)
        .values(leased_until=None, lease_owner=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _head(agency: str) -> AgencyMessage | None:
    """The oldest outgoing message of the agency still to be sent."""
    return db.session.scalar(
        sa.select(AgencyMessage)
        .where(
            AgencyMessage.agency == agency,
            AgencyMessage.direction == OUT,
            AgencyMessage.state.in_(MessageState.PENDING),
        )
        .order_by(AgencyMessage.id)
        .limit(1)
    )


def _due(message: AgencyMessage) -> bool:
    due = message.next_attempt_at
    if due is not None and due.tzinfo is None:  # SQLite gives back naive UTC
        due = due.replace(tzinfo=UTC)
    return due is None or due <= utcnow()


def _head_due(agency: str) -> bool:
    """True when the agency's oldest waiting message may be tried now."""
    head = _head(agency)
    return head is not None and _due(head)


def deliver(agency: str) -> dict[str, int]:
    """The ``links.deliver`` job: send the agency's due messages in order.

    Returns counts by outcome (``accepted``, ``answered``, ``rejected``,
    ``transient``); ``{"busy": 1}`` when another run holds the lane.
    """
    config = services.settings().agency(agency)
    if config is None:
        logger.warning(
            "links.deliver: agency %s is not configured; nothing sent", agency
        )
        return {}
    if not _head_due(agency):
        db.session.rollback()
        return {}
    owner = uuid.uuid4().hex
    if not _take_lane(agency, owner):
        logger.info("links.deliver: lane busy, another run delivers agency=%s", agency)
        return {"busy": 1}
    counts: dict[str, int] = {}
    try:
        while True:
            message = _head(agency)
            if message is None:
                break
            if not _due(message):
                break  # the head waits for its back-off; the rest wait behind it
            message_id = message.id
            request = config.connector.build(
                message.flow, message.idempotency_key, dict(message.payload or {})
            )
            key = message.idempotency_key
            db.session.rollback()  # no transaction open during the call
            outcome = _post(config, request.path, request.body, key)
            blocked = _settle(message_id, outcome)
            counts[outcome.kind] = counts.get(outcome.kind, 0) + 1
            if blocked:
                break
            _renew_lane(agency, owner)
    finally:
        _release_lane(agency, owner)
    return counts


def _post(config: Any, path: str, body: dict[str, Any], key: str) -> Outcome:
    """Send one request; classify the agency's response."""
    data = json.dumps(body, separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        IDEMPOTENCY_HEADER: key,
        **sign(config.secret, data),
    }
    started = time.monotonic()
    try:
        response = requests.post(
            config.endpoint + path,
            data=data,
            headers=headers,
            timeout=services.settings().timeout_seconds,
        )
    except requests.Timeout:
        return Outcome(
            "transient",
            None,
            "tamat masa menunggu agensi (time-out)",
            duration_ms=_ms(started),
        )
    except requests.RequestException as exc:
        return Outcome(
            "transient",
            None,
            f"agensi tidak dapat dihubungi: {type(exc).__name__}",
            duration_ms=_ms(started),
        )
    elapsed = _ms(started)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code >= 500 or response.status_code in (408, 429):
        return Outcome(
            "transient",
            response.status_code,
            f"agensi menjawab HTTP {response.status_code}",
            duration_ms=elapsed,
        )
    if response.status_code >= 400:
        reason = answer.get("reason") if isinstance(answer, dict) else None
        return Outcome(
            "rejected",
            response.status_code,
            f"ditolak oleh agensi (HTTP {response.status_code}): "
            f"{reason or response.text[:300]}",
            duration_ms=elapsed,
        )
    if not isinstance(answer, dict):
        return Outcome(
            "transient",
            response.status_code,
            "jawapan agensi bukan objek JSON",
            duration_ms=elapsed,
        )
    if answer.get("status") == "answered":
        return Outcome(
            "answered", response.status_code, "dijawab", answer.get("answer"), elapsed
        )
    return Outcome("accepted", response.status_code, "diterima agensi", answer, elapsed)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _settle(message_id: int, outcome: Outcome) -> bool:
    """Record the try and the message's new state; True if the lane must wait.

    A synchronous answer is applied in the same transaction; one that breaks
    the contract rolls all of it back and the message is parked with the
    reason instead, so the case data is never half-updated.
    """
    try:
        return _write(message_id, outcome, refused=None)
    except AnswerError as exc:
        db.session.rollback()
        return _write(message_id, outcome, refused=exc)


def _write(message_id: int, outcome: Outcome, refused: AnswerError | None) -> bool:
    links = services.settings()
    # Locked and read afresh: the agency's callback may have answered the
    # message while the request was in flight, and must not be overwritten.
    message = db.session.get(
        AgencyMessage, message_id, with_for_update=True, populate_existing=True
    )
    assert message is not None
    message.attempts += 1
    ok = outcome.kind in ("accepted", "answered")
    db.session.add(
        DeliveryAttempt(
            message_id=message.id,
            agency=message.agency,
            at=utcnow(),
            ok=ok,
            status_code=outcome.status_code,
            error=None if ok else outcome.detail[:1000],
            duration_ms=outcome.duration_ms,
        )
    )
    blocked = False
    answered_meanwhile = message.state == MessageState.ACKNOWLEDGED
    if refused is not None:
        message.state = MessageState.DEAD
        answer = outcome.answer
        message.answer = answer if isinstance(answer, dict) else {"raw": repr(answer)}
        message.last_error = f"jawapan agensi tidak boleh digunakan: {refused}"
    elif ok:
        message.sent_at = message.sent_at or utcnow()
        message.last_error = None
        flow = services.flow_of(message.agency, message.flow)
        if outcome.kind == "answered" and not answered_meanwhile:
            services.apply_answer(message, outcome.answer)
            services.fire_received(message)
        elif not answered_meanwhile and flow.expects_answer:
            # Compare-and-set in one statement: the agency's callback can commit
            # its answer between the read above and this write (seen on SQLite),
            # and an answered message must never go back to "sent".
            db.session.execute(
                sa.update(AgencyMessage)
                .where(
                    AgencyMessage.id == message.id,
                    AgencyMessage.state != MessageState.ACKNOWLEDGED,
                )
                .values(state=MessageState.SENT)
                .execution_options(synchronize_session=False)
            )
            db.session.expire(message, ["state"])
        elif not answered_meanwhile:
            message.state = MessageState.ACKNOWLEDGED
    elif outcome.kind == "rejected":
        message.state = MessageState.DEAD
        message.last_error = outcome.detail
    elif message.attempts >= links.max_attempts:
        message.state = MessageState.DEAD
        message.last_error = f"{outcome.detail}; cubaan habis ({message.attempts})"
    else:
        message.state = MessageState.FAILED
        message.last_error = outcome.detail
        message.next_attempt_at = utcnow() + backoff(
            message.attempts, links.retry_seconds, links.max_backoff_seconds
        )
        blocked = True
    logger.log(
        logging.INFO if ok and refused is None else logging.WARNING,
        "agency message try: message=%s agency=%s flow=%s key=%s attempt=%s "
        "outcome=%s state=%s detail=%s",
        message.id,
        message.agency,
        message.flow,
        message.idempotency_key,
        message.attempts,
        outcome.kind,
        message.state,
        message.last_error or outcome.detail,
    )
    db.session.commit()
    return blocked


def redrive() -> list[str]:
    """The ``links.redrive`` job: queue a delivery for every agency with due work."""
    now = utcnow()
    agencies = sorted(
        set(
            db.session.scalars(
                sa.select(AgencyMessage.agency).where(
                    AgencyMessage.direction == OUT,
                    AgencyMessage.state.in_(MessageState.PENDING),
                    sa.or_(
                        AgencyMessage.next_attempt_at.is_(None),
                        AgencyMessage.next_attempt_at <= now,
                    ),
                )
            )
        )
    )
    for agency in agencies:
        enqueue(services.DELIVER_JOB, agency=agency)
    db.session.commit()
    if agencies:
        logger.info("links.redrive: deliveries queued for %s", ",".join(agencies))
    return agencies
