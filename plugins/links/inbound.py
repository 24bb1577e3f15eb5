"""The signed inbound endpoint: ``POST /links/inbound/<agency>``.

Agencies call it with the answer to a two-way message. It is a plain
blueprint, exempt from CSRF because no browser session may use it: the only
credential it accepts is the agency's signature (HMAC-SHA256 with the shared
secret over the timestamp and body); a logged-in officer's cookie counts for
nothing here. Every call is recorded as an incoming message, refused ones
too, with the reason; an accepted answer is applied to the case and recorded
in one transaction.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, g, jsonify, request
from sqlalchemy.exc import IntegrityError

from plugins.links import services
from plugins.links.connectors import AnswerError
from plugins.links.models import IN, OUT, AgencyMessage, MessageState
from plugins.links.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    verify,
)
from portal.extensions import db
from portal.models import utcnow

logger = logging.getLogger(__name__)

#: The largest body taken from an agency.
MAX_BODY_BYTES = 1024 * 1024
#: How much of a refused body is kept on its record.
KEPT_BYTES = 2000

inbound = Blueprint("links_inbound", __name__, url_prefix="/links/inbound")


def _refuse(
    agency: str, status: int, reason: str, body: bytes, *, reply_to: int | None = None
) -> tuple[Response, int]:
    """Record a refused inbound call (state dead, with the reason) and answer."""
    # TODO(flooding): unsigned calls are recorded too (support needs them),
    # so anyone reaching the endpoint can grow the table; nginx should limit
    # the rate of /links/inbound/ per address.
    db.session.rollback()
    text = body[:KEPT_BYTES].decode("utf-8", errors="replace")
    outgoing = db.session.get(AgencyMessage, reply_to) if reply_to else None
    row = AgencyMessage(
        agency=agency,
        flow=(outgoing.flow if outgoing else "unknown"),
        direction=IN,
        case_id=outgoing.case_id if outgoing else None,
        court_id=outgoing.court_id if outgoing else None,
        reply_to_id=reply_to,
        idempotency_key=f"in:{agency}:refused:{uuid.uuid4().hex}",
        payload={"raw": text},
        state=MessageState.DEAD,
        attempts=1,
        last_error=reason,
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.commit()
    logger.warning(
        "inbound refused: agency=%s status=%s message=%s remote=%s reason=%s",
        agency,
        status,
        row.id,
        request.remote_addr,
        reason,
    )
    return jsonify(status="rejected", reason=reason, message_id=row.id), status


@inbound.route("/<agency>", methods=["POST"])
def receive(agency: str) -> Any:
    """Take one signed answer from ``agency`` and apply it."""
    config = services.settings().agency(agency)
    if config is None:
        logger.warning("inbound for unconfigured agency %r refused", agency[:20])
        return jsonify(status="rejected", reason="unknown agency"), 404
    g.user = current_app.appbuilder.sm.service_user()
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _refuse(agency, 413, f"body over {MAX_BODY_BYTES} bytes", b"")
    body = request.get_data(cache=False)
    try:
        verify(
            config.secret,
            body,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            max_age=services.settings().signature_max_age,
        )
    except SignatureError as exc:
        return _refuse(agency, 401 if exc.missing else 403, f"tandatangan: {exc}", body)
    try:
        data = json.loads(body)
    except ValueError:
        return _refuse(agency, 400, "badan mesej bukan JSON", body)
    problem = _malformed(data)
    if problem:
        return _refuse(agency, 400, problem, body)
    key = f"in:{agency}:{data['message_key']}"
    if db.session.scalar(
        sa.select(AgencyMessage.id).where(AgencyMessage.idempotency_key == key)
    ):
        logger.info("inbound duplicate ignored: agency=%s key=%s", agency, key)
        return jsonify(status="duplicate"), 200
    outgoing = db.session.scalar(
        sa.select(AgencyMessage)
        .where(
            AgencyMessage.idempotency_key == data["in_reply_to"],
            AgencyMessage.agency == agency,
            AgencyMessage.direction == OUT,
        )
        .with_for_update()
    )
    if outgoing is None:
        return _refuse(
            agency,
            422,
            f"jawapan untuk mesej yang tidak dikenali: {data['in_reply_to'][:200]}",
            body,
        )
    if data["flow"] != outgoing.flow:
        return _refuse(
            agency,
            422,
            f"aliran {data['flow'][:60]!r} tidak sepadan dengan mesej asal"
            f" ({outgoing.flow})",
            body,
            reply_to=outgoing.id,
        )
    if not services.flow_of(agency, outgoing.flow).expects_answer:
        return _refuse(
            agency,
            422,
            f"aliran {outgoing.flow} tidak menerima jawapan",
            body,
            reply_to=outgoing.id,
        )
    row = AgencyMessage(
        agency=agency,
        flow=outgoing.flow,
        direction=IN,
        case_id=outgoing.case_id,
        court_id=outgoing.court_id,
        reply_to_id=outgoing.id,
        idempotency_key=key,
        payload=data,
        state=MessageState.ACKNOWLEDGED,
        attempts=1,
        created_at=utcnow(),
    )
    try:
        with db.session.no_autoflush:
            services.apply_answer(outgoing, data["answer"])
        row.answer = outgoing.answer
        row.answered_at = utcnow()
        db.session.add(row)
        db.session.flush()
        services.fire_received(row)
        db.session.commit()
    except AnswerError as exc:
        outgoing_id = outgoing.id
        return _refuse(
            agency,
            422,
            f"jawapan tidak boleh digunakan: {exc}",
            body,
            reply_to=outgoing_id,
        )
    except IntegrityError:
        db.session.rollback()
        return jsonify(status="duplicate"), 200
    logger.info(
        "inbound applied: agency=%s flow=%s message=%s reply_to=%s case=%s",
        agency,
        row.flow,
        row.id,
        outgoing.id,
        row.case_id,
    )
    return jsonify(status="applied", message_id=row.id), 200


def _malformed(data: Any) -> str | None:
    """What is wrong with an inbound body's shape, or ``None``."""
    if not isinstance(data, dict):
        return "badan mesej mesti objek JSON"
    for name in ("message_key", "in_reply_to", "flow"):
        value = data.get(name)
        if not isinstance(value, str) or not value or len(value) > 150:
            return f"{name}: wajib, teks hingga 150 aksara"
    if not isinstance(data.get("answer"), dict):
        return "answer: wajib, objek JSON"
    return None
