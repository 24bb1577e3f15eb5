"""Collection rules: issuing and cancelling receipts, numbering, case money.

Free of request objects: the cashier's screen, the REST API, the offline
sync and jobs call the same functions. Each public function that writes
either commits or raises ``CollectionError`` naming the field and the rule,
after rolling back, so nothing half-written stays and no number is used up.
"""

from __future__ import annotations

import logging
import uuid as uuid_module
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from plugins.cases.models import Case, CaseType
from plugins.collections.models import (
    CaseFee,
    Counter,
    DayClose,
    DepositEntry,
    DepositKind,
    FeeKind,
    FeeType,
    Fine,
    PaymentMethod,
    Receipt,
    ReceiptCancellation,
    ReceiptLine,
    ReceiptNumberSeries,
    ReceiptSeries,
)
from plugins.collections.money import cash_rounding, ringgit
from portal.extensions import db
from portal.jobs import emit
from portal.models import utcnow
from portal.security import access
from portal.timezone import local_date

logger = logging.getLogger(__name__)

__all__ = ["cash_rounding", "ringgit"]  # re-exported for screens and the PDF

#: Roles that may cancel receipts, close days, enrol counters, refund deposits.
SUPERVISOR_ROLES = frozenset({"Collections Supervisor", "Admin"})
#: Longest receipt a counter may issue: a sanity limit against a slipped key.
MAX_LINE_SEN = 100_000_000  # RM1,000,000


class CollectionError(ValueError):
    """Bad input for a collection rule; ``field`` and ``rule`` say what and why."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


@dataclass
class LineInput:
    """One fee line as keyed: a fee code, how many, and a keyed amount if any.

    ``amount_sen`` is needed for fee types without a fixed price (fines,
    deposits); ``fine_id`` names the fine a fine line pays.
    """

    fee_code: str
    quantity: int = 1
    amount_sen: int | None = None
    fine_id: int | None = None


@dataclass
class ReceiptInput:
    """What a cashier (or an API client) asks to be receipted."""

    counter_id: int
    payer_name: str
    payer_identity: str
    method: str
    lines: Sequence[LineInput]
    case_number: str | None = None
    reference: str | None = None


@dataclass
class ResolvedLine:
    fee_type: FeeType
    quantity: int
    amount_sen: int
    fine: Fine | None = None


def is_supervisor(user: Any) -> bool:
    return bool({role.name for role in getattr(user, "roles", [])} & SUPERVISOR_ROLES)


def display_name(user: Any) -> str:
    full = f"{getattr(user, 'first_name', '')} {getattr(user, 'last_name', '')}"
    return full.strip() or getattr(user, "username", "") or "-"


# --- numbers -------------------------------------------------------------------


def take_numbers(counter_id: int, series: str, count: int = 1) -> int:
    """Take ``count`` numbers of a counter's series; return the last one taken.

    The series row is created if missing (a conflict-free insert, safe when two
    first receipts race) and then bumped by one UPDATE ... RETURNING, which
    holds PostgreSQL's row lock (SQLite's write lock) to the end of the
    transaction: concurrent issues queue, none shares or skips a number, and a
    rollback gives the numbers back.
    """
    session = db.session
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
        ReceiptNumberSeries
    )
    session.execute(
        insert.values(
            counter_id=counter_id, series=series, last_number=0
        ).on_conflict_do_nothing(index_elements=["counter_id", "series"])
    )
    return session.execute(
        sa.update(ReceiptNumberSeries)
        .where(
            ReceiptNumberSeries.counter_id == counter_id,
            ReceiptNumberSeries.series == series,
        )
        .values(last_number=ReceiptNumberSeries.last_number + count)
        .returning(ReceiptNumberSeries.last_number)
    ).scalar_one()


def format_receipt_number(counter_code: str, series: str, running: int) -> str:
    """``<counter>-000123`` online, ``<counter>-L000123`` from the offline series."""
    marker = "L" if series == ReceiptSeries.OFFLINE else ""
    return f"{counter_code}-{marker}{running:06d}"


# --- checks shared by the online and the offline path ----------------------------


def fee_types_by_code() -> dict[str, FeeType]:
    return {f.code: f for f in db.session.scalars(sa.select(FeeType))}


def check_payer(name: str | None, identity: str | None) -> tuple[str, str]:
    name = (name or "").strip()
    identity = (identity or "").strip()
    if not name:
        raise CollectionError("payer_name", "is required")
    if len(name) > 200:
        raise CollectionError("payer_name", "must be at most 200 characters")
    if not identity:
        raise CollectionError("payer_identity", "is required (MyKad or passport)")
    if len(identity) > 40:
        raise CollectionError("payer_identity", "must be at most 40 characters")
    return name, identity


def check_method(method: str, reference: str | None) -> str | None:
    if method not in PaymentMethod.LABELS:
        raise CollectionError(
            "method", f"must be one of {', '.join(PaymentMethod.LABELS)}"
        )
    # TODO(gateway): an online-banking reference is keyed by the cashier; no
    # payment-gateway connector confirms it before the receipt is issued.
    reference = (reference or "").strip() or None
    if method in PaymentMethod.NEEDS_REFERENCE and not reference:
        raise CollectionError(
            "reference",
            f"is required for {PaymentMethod.LABELS[method]} (cheque number,"
            " order number, card approval code or gateway reference)",
        )
    if reference and len(reference) > 60:
        raise CollectionError("reference", "must be at most 60 characters")
    return reference


def find_case(case_number: str | None) -> Case | None:
    """The case with ``case_number``, or ``None`` when none is given.

    Any court's case may be paid for at any counter (a remote registration is
    paid where it was keyed), but a sealed case the cashier may not open is
    answered as unknown.
    """
    number = (case_number or "").strip()
    if not number:
        return None
    case = db.session.scalar(sa.select(Case).where(Case.case_number == number))
    if case is None or (case.confidential and not access.may_see(case)):
        raise CollectionError("case_number", f"no case {number} in this state")
    return case


def resolve_lines(
    lines: Sequence[LineInput],
    case: Case | None,
    fee_types: dict[str, FeeType] | None = None,
) -> list[ResolvedLine]:
    """Check every line against the state's fee schedule and the case.

    A fee code not in this state's schedule (another state's fee, or a typing
    slip) is refused by name, as are zero or negative amounts and quantities.
    """
    if not lines:
        raise CollectionError("lines", "a receipt needs at least one fee line")
    fee_types = fee_types if fee_types is not None else fee_types_by_code()
    resolved: list[ResolvedLine] = []
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        fee_type = fee_types.get((line.fee_code or "").strip())
        if fee_type is None or not fee_type.active:
            raise CollectionError(
                f"{where}.fee_code",
                f"{line.fee_code!r} is not in this state's fee schedule",
            )
        quantity = line.quantity
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise CollectionError(f"{where}.quantity", "must be a whole number")
        if quantity < 1:
            raise CollectionError(f"{where}.quantity", "must be at least 1")
        keyed = line.amount_sen
        if keyed is not None and (
            not isinstance(keyed, int) or isinstance(keyed, bool)
        ):
            raise CollectionError(f"{where}.amount_sen", "must be whole sen")
        fine = None
        if fee_type.kind == FeeKind.REGISTRATION:
            amount = _registration_amount(case, where)
        elif fee_type.kind == FeeKind.FINE:
            fine = _fine_for(line.fine_id, case, where)
            amount = fine.amount_sen
        elif fee_type.amount_sen:
            amount = fee_type.amount_sen * quantity
        else:
            if keyed is None:
                raise CollectionError(
                    f"{where}.amount_sen", f"is required for {fee_type.code}"
                )
            amount = keyed
        if keyed is not None and keyed != amount:
            raise CollectionError(
                f"{where}.amount_sen",
                f"must be {amount} sen for {fee_type.code} (the schedule's amount)",
            )
        if amount <= 0:
            raise CollectionError(f"{where}.amount_sen", "must be more than 0 sen")
        if amount > MAX_LINE_SEN:
            raise CollectionError(
                f"{where}.amount_sen", f"must be at most {MAX_LINE_SEN} sen"
            )
        if fee_type.kind == FeeKind.DEPOSIT and case is None:
            raise CollectionError("case_number", "a deposit is held against a case")
        resolved.append(ResolvedLine(fee_type, quantity, amount, fine))
    return resolved


def _registration_amount(case: Case | None, where: str) -> int:
    if case is None:
        raise CollectionError("case_number", "a registration fee needs its case")
    # Locked to the end of the transaction: two cashiers cannot both settle it.
    due = db.session.scalar(
        sa.select(CaseFee)
        .where(CaseFee.case_id == case.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if due is None:
        raise CollectionError(
            f"{where}.fee_code", f"case {case.case_number} has no registration fee due"
        )
    if due.paid:
        raise CollectionError(
            f"{where}.fee_code",
            f"the registration fee of {case.case_number} is already paid",
        )
    return due.amount_sen


def _fine_for(fine_id: int | None, case: Case | None, where: str) -> Fine:
    if case is None:
        raise CollectionError("case_number", "a fine is paid against its case")
    fine = (
        db.session.get(Fine, fine_id, with_for_update=True, populate_existing=True)
        if fine_id
        else None
    )
    if fine is None or fine.case_id != case.id:
        raise CollectionError(
            f"{where}.fine_id", f"names no fine of case {case.case_number}"
        )
    if fine.paid:
        raise CollectionError(f"{where}.fine_id", "this fine is already paid")
    return fine


def day_closed(
    counter: Counter, business_date: date, field_name: str
) -> CollectionError:
    """The refusal for a receipt dated on a counter's closed day."""
    return CollectionError(
        field_name,
        f"the day {business_date:%d/%m/%Y} of counter {counter.code} is closed",
    )


def check_day_open(counter: Counter, business_date: date, field_name: str) -> None:
    closed = db.session.scalar(
        sa.select(DayClose.id).where(
            DayClose.counter_id == counter.id, DayClose.business_date == business_date
        )
    )
    if closed is not None:
        raise day_closed(counter, business_date, field_name)


def usable_counter(counter_id: int | None) -> Counter:
    """The active counter ``counter_id`` at one of the officer's courts."""
    counter = db.session.get(Counter, counter_id) if counter_id else None
    if counter is None or not counter.active or not access.may_see(counter):
        raise CollectionError("counter", "is not an active counter of your courts")
    return counter


def build_receipt(
    *,
    counter: Counter,
    series: str,
    running: int,
    issued_at: datetime,
    cashier_id: int | None,
    cashier_name: str,
    payer: tuple[str, str],
    method: str,
    reference: str | None,
    case: Case | None,
    lines: list[ResolvedLine],
    receipt_uuid: str | None = None,
    chain_hash: str | None = None,
) -> Receipt:
    """Add a receipt with its lines and settle what they pay (no commit).

    Shared by the online issue and the offline sync, so a receipt means the
    same whichever way it came in: a registration line settles the case's
    fee, a fine line its fine, a deposit line opens an entry in the ledger.
    """
    subtotal = sum(line.amount_sen for line in lines)
    rounding = cash_rounding(subtotal) if method == PaymentMethod.CASH else 0
    receipt = Receipt(
        uuid=receipt_uuid or str(uuid_module.uuid4()),
        number=format_receipt_number(counter.code, series, running),
        court_id=counter.court_id,
        counter_id=counter.id,
        series=series,
        running_number=running,
        issued_at=issued_at,
        business_date=local_date(issued_at),
        cashier_id=cashier_id,
        cashier_name=cashier_name,
        payer_name=payer[0],
        payer_identity=payer[1],
        case_id=case.id if case else None,
        method=method,
        reference=reference,
        subtotal_sen=subtotal,
        rounding_sen=rounding,
        total_sen=subtotal + rounding,
        offline=series == ReceiptSeries.OFFLINE,
        chain_hash=chain_hash,
    )
    session = db.session
    session.add(receipt)
    for line in lines:
        receipt.lines.append(
            ReceiptLine(
                fee_type=line.fee_type,
                quantity=line.quantity,
                amount_sen=line.amount_sen,
                fine_id=line.fine.id if line.fine else None,
            )
        )
    session.flush()
    settles = False
    for line in lines:
        if line.fee_type.kind == FeeKind.REGISTRATION and case is not None:
            due = session.scalar(sa.select(CaseFee).where(CaseFee.case_id == case.id))
            if due is not None:
                due.receipt_id = receipt.id
                settles = True
        elif line.fine is not None:
            line.fine.receipt_id = receipt.id
            settles = True
        elif line.fee_type.kind == FeeKind.DEPOSIT and case is not None:
            session.add(
                DepositEntry(
                    case_id=case.id,
                    kind=DepositKind.DEPOSIT,
                    amount_sen=line.amount_sen,
                    receipt_id=receipt.id,
                    by_id=cashier_id,
                )
            )
            settles = True
    if settles:
        session.flush()
    emit("receipt_issued", receipt_id=receipt.id, case_id=receipt.case_id)
    return receipt


# --- issuing and cancelling ----------------------------------------------------


def issue_receipt(request: ReceiptInput, cashier: Any) -> Receipt:
    """Issue an official receipt at a counter and commit; return it.

    Takes the next number of the counter's online series in the same
    transaction, so a refused receipt uses up no number. Fires
    ``receipt_issued`` after commit.
    """
    session = db.session
    try:
        counter = usable_counter(request.counter_id)
        payer = check_payer(request.payer_name, request.payer_identity)
        reference = check_method(request.method, request.reference)
        case = find_case(request.case_number)
        lines = resolve_lines(request.lines, case)
        issued_at = utcnow()
        running = take_numbers(counter.id, ReceiptSeries.ONLINE)
        # Checked after the series lock is held: a day being closed holds it
        # too, so a receipt either lands in the statement or sees the close.
        check_day_open(counter, local_date(issued_at), "business_date")
        receipt = build_receipt(
            counter=counter,
            series=ReceiptSeries.ONLINE,
            running=running,
            issued_at=issued_at,
            cashier_id=cashier.id,
            cashier_name=display_name(cashier),
            payer=payer,
            method=request.method,
            reference=reference,
            case=case,
            lines=lines,
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    logger.info(
        "receipt issued: %s id=%s counter=%s case=%s total_sen=%s by=%s",
        receipt.number,
        receipt.id,
        counter.code,
        case.case_number if case else "-",
        receipt.total_sen,
        cashier.id,
    )
    return receipt


def cancel_receipt(
    receipt: Receipt, reason: str | None, by: Any
) -> ReceiptCancellation:
    """Cancel a receipt with a reason, as a record of its own, and commit.

    Only a supervisor cancels; a cancelled receipt stays cancelled, and a
    receipt of a closed day is locked.
    """
    session = db.session
    try:
        if not is_supervisor(by):
            raise CollectionError("receipt", "only a collections supervisor cancels")
        if receipt.cancellation is not None:
            raise CollectionError("receipt", f"{receipt.number} is already cancelled")
        reason = (reason or "").strip()
        if not reason:
            raise CollectionError("reason", "is required to cancel a receipt")
        if len(reason) > 500:
            raise CollectionError("reason", "must be at most 500 characters")
        # The counter's row lock orders this against a day being closed.
        session.execute(
            sa.select(Counter.id)
            .where(Counter.id == receipt.counter_id)
            .with_for_update()
        )
        check_day_open(receipt.counter, receipt.business_date, "receipt")
        cancellation = _cancel(receipt, reason, by.id, display_name(by), utcnow())
        session.commit()
    except IntegrityError as exc:
        # Two supervisors at once: the unique cancellation row decides.
        session.rollback()
        raise CollectionError(
            "receipt", f"{receipt.number} is already cancelled"
        ) from exc
    except Exception:
        session.rollback()
        raise
    logger.info("receipt cancelled: %s id=%s by=%s", receipt.number, receipt.id, by.id)
    return cancellation


def _cancel(
    receipt: Receipt,
    reason: str,
    by_id: int | None,
    by_name: str,
    at: datetime,
) -> ReceiptCancellation:
    """Record the cancellation and undo what the receipt settled (no commit).

    A deposit already refunded or forfeited cannot be taken back by
    cancelling its receipt; that is checked before anything is written.
    """
    session = db.session
    deposits = list(
        session.scalars(
            sa.select(DepositEntry).where(DepositEntry.receipt_id == receipt.id)
        )
    )
    for entry in deposits:
        if deposit_balance(entry.case_id) < entry.amount_sen:
            raise CollectionError(
                "receipt", "part of this deposit was already refunded or forfeited"
            )
    cancellation = ReceiptCancellation(
        receipt=receipt,
        cancelled_by_id=by_id,
        cancelled_by_name=by_name,
        cancelled_at=at,
        reason=reason,
    )
    session.add(cancellation)
    for due in session.scalars(
        sa.select(CaseFee).where(CaseFee.receipt_id == receipt.id)
    ):
        due.receipt_id = None
    for fine in session.scalars(sa.select(Fine).where(Fine.receipt_id == receipt.id)):
        fine.receipt_id = None
    for entry in deposits:
        session.add(
            DepositEntry(
                case_id=entry.case_id,
                kind=DepositKind.REFUND,
                amount_sen=entry.amount_sen,
                by_id=by_id,
                note=f"Resit {receipt.number} dibatalkan",
            )
        )
    session.flush()
    return cancellation


# --- case money: registration fee, fines, deposits -------------------------------


def record_registration_fee(case_id: int) -> CaseFee | None:
    """Record the registration fee due for a newly registered case (idempotent).

    The amount is the case's ``fee_due_sen`` (from its case type at
    registration); a case with nothing due gets no row.
    """
    session = db.session
    case = session.get(Case, case_id)
    if case is None or not case.fee_due_sen:
        return None
    existing = session.scalar(sa.select(CaseFee).where(CaseFee.case_id == case_id))
    if existing is not None:
        return existing
    due = CaseFee(case_id=case_id, amount_sen=case.fee_due_sen)
    session.add(due)
    session.commit()
    logger.info("registration fee due: %s %s sen", case.case_number, case.fee_due_sen)
    return due


def impose_fine(
    case: Case, amount_sen: int, imposed_on: date, note: str | None
) -> Fine:
    """Record a fine imposed in a criminal case, to be paid at a counter."""
    session = db.session
    try:
        case_type = session.get(CaseType, case.case_type_id)
        if case_type is None or case_type.category != "jenayah":
            raise CollectionError(
                "case", f"{case.case_number} is not a criminal (jenayah) case"
            )
        if not isinstance(amount_sen, int) or isinstance(amount_sen, bool):
            raise CollectionError("amount_sen", "must be whole sen")
        if amount_sen <= 0:
            raise CollectionError("amount_sen", "must be more than 0 sen")
        fine = Fine(
            case_id=case.id, amount_sen=amount_sen, imposed_on=imposed_on, note=note
        )
        session.add(fine)
        session.commit()
    except Exception:
        session.rollback()
        raise
    logger.info("fine imposed: %s %s sen id=%s", case.case_number, amount_sen, fine.id)
    return fine


def deposit_balance(case_id: int) -> int:
    """Sen held for a case: deposits less refunds and forfeits."""
    sign = sa.case((DepositEntry.kind == DepositKind.DEPOSIT, 1), else_=-1)
    return int(
        db.session.scalar(
            sa.select(
                sa.func.coalesce(sa.func.sum(sign * DepositEntry.amount_sen), 0)
            ).where(DepositEntry.case_id == case_id)
        )
    )


def release_deposit(
    case: Case, kind: str, amount_sen: int, by: Any, note: str | None = None
) -> DepositEntry:
    """Refund or forfeit part of what is held for a case, and commit.

    Never more than is held. The balance is read under the case row's lock
    (PostgreSQL) or the write lock (SQLite), so two refunds cannot both pass.
    """
    session = db.session
    try:
        if kind not in (DepositKind.REFUND, DepositKind.FORFEIT):
            raise CollectionError("kind", "must be refund or forfeit")
        if not is_supervisor(by):
            raise CollectionError("kind", "only a collections supervisor releases")
        if not isinstance(amount_sen, int) or isinstance(amount_sen, bool):
            raise CollectionError("amount_sen", "must be whole sen")
        if amount_sen <= 0:
            raise CollectionError("amount_sen", "must be more than 0 sen")
        session.execute(sa.select(Case.id).where(Case.id == case.id).with_for_update())
        held = deposit_balance(case.id)
        if amount_sen > held:
            raise CollectionError(
                "amount_sen",
                f"cannot release {amount_sen} sen: {held} sen is held for"
                f" {case.case_number}",
            )
        entry = DepositEntry(
            case_id=case.id, kind=kind, amount_sen=amount_sen, by_id=by.id, note=note
        )
        session.add(entry)
        session.commit()
    except Exception:
        session.rollback()
        raise
    logger.info(
        "deposit %s: %s %s sen by=%s", kind, case.case_number, amount_sen, by.id
    )
    return entry


@dataclass
class CaseMoney:
    """What a case owes and has paid, for the case and cashier screens."""

    registration_due_sen: int | None
    registration_receipt: Receipt | None
    fines: list[Fine]
    deposits: list[DepositEntry]
    deposit_held_sen: int
    receipts: list[Receipt] = field(default_factory=list)


def case_money(case: Case) -> CaseMoney:
    session = db.session
    due = session.scalar(sa.select(CaseFee).where(CaseFee.case_id == case.id))
    return CaseMoney(
        registration_due_sen=due.amount_sen if due else None,
        registration_receipt=due.receipt if due else None,
        fines=list(
            session.scalars(
                sa.select(Fine).where(Fine.case_id == case.id).order_by(Fine.id)
            )
        ),
        deposits=list(
            session.scalars(
                sa.select(DepositEntry)
                .where(DepositEntry.case_id == case.id)
                .order_by(DepositEntry.id)
            )
        ),
        deposit_held_sen=deposit_balance(case.id),
        receipts=list(
            session.scalars(
                access.scoped(
                    sa.select(Receipt)
                    .where(Receipt.case_id == case.id)
                    .order_by(Receipt.id),
                    Receipt,
                )
            )
        ),
    )
