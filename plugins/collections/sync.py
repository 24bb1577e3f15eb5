"""The portal's side of offline counters: enrolment, number blocks, sync.

A supervisor enrols a counter, which gets a secret to sign its requests
(``signing``). While online the counter reserves blocks of its offline
series and caches the fee schedule and open case numbers of its court.
Back online it sends its receipts in chain order; the portal takes each one
exactly once (by its UUID), checks the hash chain and that the number lies
in one of the counter's blocks, and queues for a supervisor whatever it
cannot match instead of dropping it.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from plugins.cases.models import Case, CaseStatus
from plugins.collections import signing
from plugins.collections.models import (
    Counter,
    CounterNonce,
    DayClose,
    FeeType,
    NumberBlock,
    Receipt,
    ReceiptSeries,
    SyncQueueItem,
)
from plugins.collections.services import (
    CollectionError,
    LineInput,
    _cancel,
    build_receipt,
    check_day_open,
    check_method,
    check_payer,
    day_closed,
    fee_types_by_code,
    is_supervisor,
    resolve_lines,
    take_numbers,
)
from portal.extensions import db
from portal.models import utcnow
from portal.timezone import local_date

logger = logging.getLogger(__name__)

#: Numbers per block unless the counter asks for another size.
DEFAULT_BLOCK_SIZE = 100
MAX_BLOCK_SIZE = 5000


class SyncRefused(Exception):
    """A counter request refused; ``status`` is the HTTP answer."""

    def __init__(self, status: int, field: str, rule: str) -> None:
        self.status = status
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


# --- enrolment and authentication ------------------------------------------------


def enrol_counter(counter: Counter, by: Any) -> str:
    """Give a counter a new secret (shown once) and commit; return the secret.

    Enrolling again replaces the secret: a lost or stolen PC is shut out.
    """
    if not is_supervisor(by):
        raise CollectionError("counter", "only a collections supervisor enrols")
    secret = secrets.token_hex(32)
    counter.secret = secret
    counter.enrolled_at = utcnow()
    counter.enrolled_by_id = by.id
    db.session.commit()
    logger.info("counter enrolled: %s id=%s by=%s", counter.code, counter.id, by.id)
    return secret


def authenticate(
    headers: Any, method: str, path: str, body: bytes, now: float | None = None
) -> Counter:
    """The enrolled counter that signed this request, or ``SyncRefused`` (401).

    The nonce is written and committed at once, so the same request sent
    again (a replay) is refused even when the first one later failed.
    """
    code = headers.get(signing.HEADER_COUNTER, "")
    timestamp = headers.get(signing.HEADER_TIMESTAMP, "")
    nonce = headers.get(signing.HEADER_NONCE, "")
    given = headers.get(signing.HEADER_SIGNATURE, "")
    counter = db.session.scalar(sa.select(Counter).where(Counter.code == code))
    if counter is None or not counter.active or counter.secret is None:
        logger.warning("counter request refused: unknown counter %r", code[:40])
        raise SyncRefused(401, signing.HEADER_COUNTER, "is not an enrolled counter")
    if not signing.verify(counter.secret, method, path, timestamp, nonce, body, given):
        logger.warning("counter request refused: bad signature from %s", counter.code)
        raise SyncRefused(401, signing.HEADER_SIGNATURE, "does not match the request")
    try:
        skew = abs((now or time.time()) - int(timestamp))
    except ValueError:
        skew = signing.MAX_SKEW_SECONDS + 1
    if skew > signing.MAX_SKEW_SECONDS:
        raise SyncRefused(
            401,
            signing.HEADER_TIMESTAMP,
            f"must be within {signing.MAX_SKEW_SECONDS} seconds of the portal's clock",
        )
    if not 16 <= len(nonce) <= 64:
        raise SyncRefused(401, signing.HEADER_NONCE, "must be 16 to 64 characters")
    db.session.add(CounterNonce(counter_id=counter.id, nonce=nonce))
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        logger.warning("counter request refused: replay from %s", code)
        raise SyncRefused(
            401, signing.HEADER_NONCE, "was used before (a replayed request)"
        ) from exc
    return counter


# --- what a counter caches ------------------------------------------------------


def reserve_block(counter: Counter, size: int = DEFAULT_BLOCK_SIZE) -> NumberBlock:
    """Reserve the next ``size`` numbers of the counter's offline series."""
    if (
        not isinstance(size, int)
        or isinstance(size, bool)
        or not (1 <= size <= MAX_BLOCK_SIZE)
    ):
        raise CollectionError(
            "size", f"must be a whole number from 1 to {MAX_BLOCK_SIZE}"
        )
    try:
        last = take_numbers(counter.id, ReceiptSeries.OFFLINE, size)
        block = NumberBlock(
            counter_id=counter.id, first_number=last - size + 1, last_number=last
        )
        db.session.add(block)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    logger.info(
        "number block reserved: counter=%s %s-%s",
        counter.code,
        block.first_number,
        block.last_number,
    )
    return block


def snapshot(counter: Counter) -> dict[str, Any]:
    """What the counter caches: fee schedule, open case numbers, its blocks."""
    fees = db.session.scalars(
        sa.select(FeeType).where(FeeType.active).order_by(FeeType.code)
    )
    cases = db.session.scalars(
        sa.select(Case.case_number)
        .where(
            Case.court_id == counter.court_id,
            Case.status.in_(sorted(CaseStatus.OPEN)),
            Case.confidential.is_(False),
        )
        .order_by(Case.case_number)
    )
    blocks = db.session.scalars(
        sa.select(NumberBlock)
        .where(NumberBlock.counter_id == counter.id)
        .order_by(NumberBlock.first_number)
    )
    return {
        "counter": {"code": counter.code, "name": counter.name},
        "court": {"code": counter.court.code, "name": counter.court.name},
        "fee_types": [
            {
                "code": f.code,
                "name": f.name,
                "revenue_code": f.revenue_code,
                "amount_sen": f.amount_sen,
                "kind": f.kind,
            }
            for f in fees
        ],
        "open_cases": list(cases),
        "blocks": [[b.first_number, b.last_number] for b in blocks],
        "chain_head": counter.chain_head or signing.GENESIS,
    }


# --- taking receipts -----------------------------------------------------------


@dataclass
class SyncResult:
    """What became of each receipt or cancellation a counter sent."""

    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)
    refused: dict[str, str] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "queued": self.queued,
            "refused": self.refused,
        }


#: Keys of a receipt's content, the part its hash covers.
CONTENT_KEYS = (
    "uuid",
    "running_number",
    "issued_at",
    "cashier_name",
    "payer_name",
    "payer_identity",
    "case_number",
    "method",
    "reference",
    "lines",
)


@dataclass
class _Known:
    """What taking a batch of receipts looks up, read once for the batch.

    A sync sends up to a few hundred receipts per request; asking the
    database for each one's UUID, block, number, case and day cost five
    round trips per receipt. These sets are read with one query each for the
    whole batch and kept current as receipts are taken, so a receipt sent
    twice within one batch is still caught.
    """

    taken: dict[str, int]  # receipt UUID -> counter that holds it
    queued: set[str]  # UUIDs waiting in this counter's supervisor queue
    used: set[int]  # offline numbers this counter has already used
    blocks: list[tuple[int, int]]  # the counter's reserved number blocks
    case_ids: dict[str, int]  # case number -> case id
    closed_days: set[date]  # this counter's closed business days

    @classmethod
    def read(cls, counter: Counter, items: list[Any]) -> _Known:
        batch = [item for item in items if isinstance(item, dict)]
        uuids = {str(item.get("uuid")) for item in batch if item.get("uuid")}
        numbers = {
            item.get("running_number")
            for item in batch
            if type(item.get("running_number")) is int
        }
        case_numbers = {
            str(item.get("case_number")).strip()
            for item in batch
            if item.get("case_number")
        }
        days: set[date] = set()
        for item in batch:
            with contextlib.suppress(CollectionError):  # refused when taken
                days.add(local_date(_parse_time(item.get("issued_at"))))
        session = db.session
        return cls(
            taken=dict(
                session.execute(
                    sa.select(Receipt.uuid, Receipt.counter_id).where(
                        Receipt.uuid.in_(uuids)
                    )
                ).all()
            ),
            queued=set(
                session.scalars(
                    sa.select(SyncQueueItem.receipt_uuid).where(
                        SyncQueueItem.counter_id == counter.id,
                        SyncQueueItem.receipt_uuid.in_(uuids),
                    )
                )
            ),
            used=set(
                session.scalars(
                    sa.select(Receipt.running_number).where(
                        Receipt.counter_id == counter.id,
                        Receipt.series == ReceiptSeries.OFFLINE,
                        Receipt.running_number.in_(numbers),
                    )
                )
            ),
            blocks=list(
                session.execute(
                    sa.select(NumberBlock.first_number, NumberBlock.last_number).where(
                        NumberBlock.counter_id == counter.id
                    )
                ).all()
            ),
            case_ids=dict(
                session.execute(
                    sa.select(Case.case_number, Case.id).where(
                        Case.case_number.in_(case_numbers)
                    )
                ).all()
            ),
            closed_days=set(
                session.scalars(
                    sa.select(DayClose.business_date).where(
                        DayClose.counter_id == counter.id,
                        DayClose.business_date.in_(days),
                    )
                )
            ),
        )

    def in_blocks(self, running: Any) -> bool:
        if type(running) is not int:
            return False
        return any(first <= running <= last for first, last in self.blocks)

    def already_taken(self, counter: Counter, receipt_uuid: str) -> bool:
        owner = self.taken.get(receipt_uuid)
        if owner is not None:
            if owner != counter.id:
                raise CollectionError("uuid", "belongs to a receipt of another counter")
            return True
        return receipt_uuid in self.queued


def _parse_time(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise CollectionError("issued_at", "must be an ISO 8601 time") from exc
    if moment.tzinfo is None:
        raise CollectionError("issued_at", "must carry a time zone")
    return moment.astimezone(UTC)


def _take_one(
    counter: Counter,
    item: dict[str, Any],
    result: SyncResult,
    fee_types: dict[str, FeeType],
    known: _Known,
) -> None:
    """Take one receipt (no commit); raise ``CollectionError`` to stop the batch."""
    receipt_uuid = str(item.get("uuid") or "")
    if not receipt_uuid:
        raise CollectionError("uuid", "is required")
    if known.already_taken(counter, receipt_uuid):
        result.duplicates.append(receipt_uuid)
        return
    content = {key: item.get(key) for key in CONTENT_KEYS}
    expected_prev = counter.chain_head or signing.GENESIS
    if item.get("prev_hash") != expected_prev:
        raise CollectionError(
            "prev_hash",
            "does not follow the last receipt taken from this counter"
            " (a receipt is missing or out of order)",
        )
    digest = signing.chain_hash(expected_prev, content)
    if item.get("hash") != digest:
        raise CollectionError("hash", "does not match the receipt (it was altered)")
    running = item.get("running_number")
    if not known.in_blocks(running):
        raise CollectionError(
            "running_number",
            f"{running} is outside the number blocks reserved by {counter.code}",
        )
    if running in known.used:
        raise CollectionError(
            "running_number", f"{running} was already used by another receipt"
        )
    issued_at = _parse_time(item.get("issued_at"))
    counter.chain_head = digest
    problem: str | None = None
    case = None
    try:
        payer = check_payer(item.get("payer_name"), item.get("payer_identity"))
        reference = check_method(str(item.get("method") or ""), item.get("reference"))
        number = str(item.get("case_number") or "").strip()
        if number:
            case_id = known.case_ids.get(number)
            case = db.session.get(Case, case_id) if case_id is not None else None
            if case is None:
                problem = f"Nombor kes {number} tidak dikenali"
        lines = resolve_lines(
            [LineInput(**line) for line in item.get("lines") or []],
            case,
            fee_types,
        )
        business_date = local_date(issued_at)
        if business_date in known.closed_days:
            raise day_closed(counter, business_date, "issued_at")
    except (CollectionError, TypeError) as exc:
        _queue(counter, receipt_uuid, None, f"Tidak dapat dipadankan: {exc}", item)
        known.queued.add(receipt_uuid)
        result.queued.append(receipt_uuid)
        return
    receipt = build_receipt(
        counter=counter,
        series=ReceiptSeries.OFFLINE,
        running=running,
        issued_at=issued_at,
        cashier_id=None,
        cashier_name=str(item.get("cashier_name") or counter.code)[:200],
        payer=payer,
        method=str(item["method"]),
        reference=reference,
        case=case,
        lines=lines,
        receipt_uuid=receipt_uuid,
        chain_hash=digest,
    )
    known.taken[receipt_uuid] = counter.id
    known.used.add(running)
    if problem:
        _queue(counter, receipt_uuid, receipt.id, problem, item)
        known.queued.add(receipt_uuid)
        result.queued.append(receipt_uuid)
    else:
        result.accepted.append(receipt_uuid)


def _queue(
    counter: Counter,
    receipt_uuid: str,
    receipt_id: int | None,
    reason: str,
    payload: dict[str, Any],
) -> None:
    db.session.add(
        SyncQueueItem(
            court_id=counter.court_id,
            counter_id=counter.id,
            receipt_uuid=receipt_uuid,
            receipt_id=receipt_id,
            reason=reason[:300],
            payload=payload,
        )
    )
    logger.warning(
        "sync queued for supervisor: counter=%s uuid=%s: %s",
        counter.code,
        receipt_uuid,
        reason,
    )


def _locked(counter_id: int) -> Counter:
    """The counter, reloaded under its row lock until the transaction ends."""
    return db.session.get(
        Counter, counter_id, with_for_update=True, populate_existing=True
    )


#: Receipts taken per commit: small enough to keep the session lean (the
#: audit trail inspects every object in it at each flush), large enough that
#: a batch does not pay a commit per receipt.
COMMIT_EVERY = 25


def take_receipts(counter: Counter, items: list[Any]) -> SyncResult:
    """Take a batch of offline receipts, in chain order, and commit.

    Each receipt is taken once: one already held is reported as a duplicate
    and changes nothing, so a batch sent again after a cut is harmless. The
    first receipt that breaks the chain or lies outside the counter's blocks
    stops the batch; what came before it is committed, nothing of it or after
    it is written (every check runs before the receipt's first write), and
    the answer names the field and the rule.
    """
    result = SyncResult()
    fee_types = fee_types_by_code()
    counter_id = counter.id
    # Two syncs of one counter at once (the screen's and the background's)
    # queue on the counter's row: the chain head is read and moved by one.
    counter = _locked(counter_id)
    known = _Known.read(counter, items)
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise CollectionError("receipt", "must be an object")
            with db.session.no_autoflush:
                _take_one(counter, item, result, fee_types, known)
        except CollectionError as exc:
            result.refused = {
                "index": str(index),
                "uuid": str(item.get("uuid") if isinstance(item, dict) else ""),
                "field": exc.field,
                "rule": exc.rule,
            }
            logger.warning(
                "sync refused: counter=%s receipt=%s %s", counter.code, index, exc
            )
            break
        if (index + 1) % COMMIT_EVERY == 0:
            db.session.commit()
            db.session.expunge_all()
            counter = _locked(counter_id)
            fee_types = fee_types_by_code()
    counter.last_sync_at = utcnow()
    db.session.commit()
    logger.info(
        "sync: counter=%s accepted=%d duplicates=%d queued=%d refused=%s",
        counter.code,
        len(result.accepted),
        len(result.duplicates),
        len(result.queued),
        bool(result.refused),
    )
    return result


def take_cancellations(counter: Counter, items: list[Any]) -> SyncResult:
    """Apply cancellations made on the counter, each once, and commit.

    The counter asks for a supervisor's name to cancel; the portal records
    the cancellation and queues it for a supervisor to confirm.
    """
    result = SyncResult()
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise CollectionError("cancellation", "must be an object")
            receipt_uuid = str(item.get("uuid") or "")
            receipt = db.session.scalar(
                sa.select(Receipt).where(
                    Receipt.uuid == receipt_uuid, Receipt.counter_id == counter.id
                )
            )
            if receipt is None:
                raise CollectionError("uuid", "names no receipt of this counter")
            if receipt.cancellation is not None:
                result.duplicates.append(receipt_uuid)
                continue
            reason = str(item.get("reason") or "").strip()[:500]
            by_name = str(item.get("cancelled_by") or "").strip()[:150]
            if not reason or not by_name:
                raise CollectionError("reason", "a cancellation needs a reason and who")
            try:
                check_day_open(counter, receipt.business_date, "cancelled_at")
            except CollectionError as exc:
                # TODO(queue dedup): a cut between this commit and the counter
                # hearing of it queues the same late cancellation twice.
                _queue(counter, receipt_uuid, receipt.id, f"Batal: {exc}", item)
                db.session.commit()
                result.queued.append(receipt_uuid)
                continue
            cancelled_at = _parse_time(item.get("cancelled_at"))
            _cancel(
                receipt,
                reason,
                None,
                f"{by_name} (kaunter {counter.code})",
                cancelled_at,
            )
            _queue(
                counter,
                receipt_uuid,
                receipt.id,
                f"Pembatalan luar talian oleh {by_name}: sila sahkan",
                item,
            )
            db.session.commit()
            result.accepted.append(receipt_uuid)
        except CollectionError as exc:
            db.session.rollback()
            result.refused = {
                "index": str(index),
                "uuid": str(item.get("uuid") if isinstance(item, dict) else ""),
                "field": exc.field,
                "rule": exc.rule,
            }
            break
    db.session.commit()
    return result
