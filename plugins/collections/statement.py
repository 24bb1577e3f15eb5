"""The collector's statement (penyata pemungut) and closing a counter's day.

A statement covers one counter and one court day, split by cashier: the
receipts issued (online and synced offline ones alike), those cancelled, and
totals by fee type and by payment method of the receipts that stand.
Closing the day writes a ``DayClose`` row; from then on no receipt of that
counter may be dated that day and none of its receipts may be cancelled.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from plugins.collections.models import (
    Counter,
    DayClose,
    PaymentMethod,
    Receipt,
    ReceiptNumberSeries,
)
from plugins.collections.services import CollectionError, is_supervisor
from portal.exports import to_csv
from portal.extensions import db

logger = logging.getLogger(__name__)


@dataclass
class CashierStatement:
    """One cashier's part of a counter's day."""

    cashier_name: str
    issued: list[Receipt] = field(default_factory=list)
    cancelled: list[Receipt] = field(default_factory=list)
    by_fee: dict[tuple[str, str, str], int] = field(default_factory=dict)
    by_method: dict[str, int] = field(default_factory=dict)
    rounding_sen: int = 0
    total_sen: int = 0


@dataclass
class Statement:
    counter: Counter
    business_date: date
    closed: DayClose | None
    cashiers: list[CashierStatement]

    @property
    def total_sen(self) -> int:
        return sum(c.total_sen for c in self.cashiers)

    @property
    def issued_count(self) -> int:
        return sum(len(c.issued) for c in self.cashiers)

    @property
    def cancelled_count(self) -> int:
        return sum(len(c.cancelled) for c in self.cashiers)


def day_receipts(counter: Counter, business_date: date) -> list[Receipt]:
    return list(
        db.session.scalars(
            sa.select(Receipt)
            .where(
                Receipt.counter_id == counter.id,
                Receipt.business_date == business_date,
            )
            .options(selectinload(Receipt.lines), selectinload(Receipt.cancellation))
            .order_by(Receipt.series, Receipt.running_number)
        )
    )


def build_statement(counter: Counter, business_date: date) -> Statement:
    """The statement of ``counter`` for ``business_date``, grouped by cashier.

    Totals count receipts that stand; a cancelled receipt is listed under
    *issued* and *cancelled* and adds nothing, so the statement matches the
    receipts to the sen.
    """
    by_cashier: dict[str, CashierStatement] = {}
    for receipt in day_receipts(counter, business_date):
        part = by_cashier.setdefault(
            receipt.cashier_name, CashierStatement(receipt.cashier_name)
        )
        part.issued.append(receipt)
        if receipt.cancelled:
            part.cancelled.append(receipt)
            continue
        part.total_sen += receipt.total_sen
        part.rounding_sen += receipt.rounding_sen
        part.by_method[receipt.method] = (
            part.by_method.get(receipt.method, 0) + receipt.total_sen
        )
        fees: dict[tuple[str, str, str], int] = defaultdict(int, part.by_fee)
        for line in receipt.lines:
            key = (line.fee_type.revenue_code, line.fee_type.code, line.fee_type.name)
            fees[key] += line.amount_sen
        part.by_fee = dict(fees)
    closed = db.session.scalar(
        sa.select(DayClose).where(
            DayClose.counter_id == counter.id, DayClose.business_date == business_date
        )
    )
    return Statement(
        counter, business_date, closed, sorted(by_cashier.values(), key=_name)
    )


def _name(part: CashierStatement) -> str:
    return part.cashier_name


def close_day(counter: Counter, business_date: date, by: Any) -> DayClose:
    """Close a counter's day and commit: its receipts of that day are locked.

    A day closed twice is refused (the unique row decides, also when two
    supervisors press at once).
    """
    session = db.session
    try:
        if not is_supervisor(by):
            raise CollectionError("business_date", "only a supervisor closes a day")
        # Wait for receipts being issued (series rows) or synced (counter row)
        # at this counter; later ones see the close and are refused.
        session.execute(
            sa.select(ReceiptNumberSeries.id)
            .where(ReceiptNumberSeries.counter_id == counter.id)
            .with_for_update()
        )
        session.execute(
            sa.select(Counter.id).where(Counter.id == counter.id).with_for_update()
        )
        statement = build_statement(counter, business_date)
        if statement.closed is not None:
            raise CollectionError(
                "business_date",
                f"the day {business_date:%d/%m/%Y} of counter {counter.code}"
                " is already closed",
            )
        closed = DayClose(
            court_id=counter.court_id,
            counter_id=counter.id,
            business_date=business_date,
            closed_by_id=by.id,
            total_sen=statement.total_sen,
            receipts_issued=statement.issued_count,
            receipts_cancelled=statement.cancelled_count,
        )
        session.add(closed)
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise CollectionError("business_date", "the day is already closed") from exc
    except Exception:
        session.rollback()
        raise
    logger.info(
        "day closed: counter=%s date=%s total_sen=%s receipts=%s by=%s",
        counter.code,
        business_date.isoformat(),
        closed.total_sen,
        closed.receipts_issued,
        by.id,
    )
    return closed


CSV_HEADER = (
    "tarikh",
    "kod_mahkamah",
    "kaunter",
    "juruwang",
    "no_resit",
    "status",
    "kaedah_bayaran",
    "rujukan",
    "kod_hasil",
    "kod_fi",
    "kuantiti",
    "amaun_sen",
    "pelarasan_sen",
)


def statement_csv(statement: Statement) -> str:
    """One row per receipt line, for the finance office's import.

    Revenue code and amount in sen on every row; a receipt's rounding is on
    its first line only, so summing ``amount_sen`` and ``pelarasan_sen`` of
    the standing rows gives the statement's total.
    """
    rows = []
    for part in statement.cashiers:
        for receipt in part.issued:
            for index, line in enumerate(receipt.lines):
                rows.append(
                    (
                        statement.business_date.isoformat(),
                        statement.counter.court.code,
                        statement.counter.code,
                        receipt.cashier_name,
                        receipt.number,
                        "BATAL" if receipt.cancelled else "SAH",
                        PaymentMethod.LABELS.get(receipt.method, receipt.method),
                        receipt.reference or "",
                        line.fee_type.revenue_code,
                        line.fee_type.code,
                        line.quantity,
                        line.amount_sen,
                        receipt.rounding_sen if index == 0 else 0,
                    )
                )
    return to_csv(CSV_HEADER, rows)
