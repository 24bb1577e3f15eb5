"""Registration fees of the scale data set and the receipts that paid them.

A case whose type carries a registration fee gets its ``case_fee`` row, as
``record_registration_fee`` writes on registration. Most of them were paid
at a counter of the registering court on the same day: an official receipt
of the counter's online series with one line of the registration fee type,
the clerk who keyed the case at the till. The most recent share stays unpaid
so the portal has fees due to show and collect.

The receipts are numbered per counter in the order they were issued, exactly
as ``take_numbers`` and ``format_receipt_number`` would have, and each online
series is left at the last number, so the next receipt a cashier issues after
the load continues it without a gap.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.models import Court
from portal.scale.bulk import BulkWriter

if TYPE_CHECKING:
    from portal.scale.cases import _Batch

logger = logging.getLogger(__name__)

#: The most recent share of cases with a fee that are left unpaid.
UNPAID_SHARE = 0.02
#: How the loaded fees were paid: (method, weight, reference prefix).
METHODS = (
    ("tunai", 80, None),
    ("kad", 12, "APV"),
    ("perbankan_internet", 8, "FPX"),
)
#: The counter a court's fees are paid at, as the demo names it.
COUNTER_NAME = "Kaunter 1"

RECEIPT_COLUMNS = (
    "id", "uuid", "number", "court_id", "counter_id", "series", "running_number",
    "issued_at", "business_date", "cashier_id", "cashier_name", "payer_name",
    "payer_identity", "case_id", "method", "reference", "subtotal_sen",
    "rounding_sen", "total_sen", "offline", "chain_hash", "print_count",
    "created_at", "changed_at",
)  # fmt: skip
LINE_COLUMNS = (
    "id", "receipt_id", "fee_type_id", "quantity", "amount_sen", "fine_id"
)  # fmt: skip
FEE_COLUMNS = (
    "id", "case_id", "amount_sen", "receipt_id", "created_at", "changed_at"
)  # fmt: skip


def collections_enabled() -> bool:
    """Whether the collections plugin is loaded (its tables exist only then)."""
    from portal.app import spkms

    return any(plugin.name == "collections" for plugin in spkms().plugins)


@dataclass
class _Till:
    """One court's counter as the load fills it."""

    counter_id: int
    code: str
    court_id: int
    last_number: int
    known: bool
    last_issued: datetime | None = None


@dataclass
class ReceiptBook:
    """What the case generator needs to settle a case's registration fee.

    ``paid_until`` counts cases with a fee: those before it in registration
    order are paid, the rest (the most recent) stay due.
    """

    rng: random.Random
    fee_type_id: int
    tills: dict[int, _Till]
    cashiers: dict[int, tuple[int, str]]
    paid_until: int = 0
    seen: int = 0
    issued: int = 0

    def settle(
        self,
        batch: _Batch,
        *,
        case_id: int,
        transaction_id: int,
        amount_sen: int,
        registered_at: datetime,
        court_id: int,
        payer: tuple[str, str],
    ) -> None:
        """Add the case's fee row and, unless it stays due, its receipt.

        The receipt is issued a few minutes after registration at the
        registering court's counter; a counter serves one payer at a time,
        so each receipt comes after the counter's previous one and the
        numbers follow the order of issue. Cases must come in registration
        order, as ``load_cases`` sends them.
        """
        # TODO(day closes): the past days of the loaded receipts are not
        # closed (no ``DayClose`` rows, no collector's statements), so a
        # supervisor could still cancel a receipt of 2016; a real ledger
        # would have every past day closed.
        from plugins.collections.models import PaymentMethod, ReceiptSeries
        from plugins.collections.money import cash_rounding
        from plugins.collections.services import format_receipt_number
        from portal.timezone import local_date

        self.seen += 1
        till = self.tills.get(court_id)
        receipt_index = None
        settled_at = registered_at
        if till is not None and self.seen <= self.paid_until:
            rng = self.rng
            issued_at = registered_at + timedelta(
                minutes=rng.randint(2, 15), seconds=rng.randint(0, 59)
            )
            if till.last_issued is not None:
                issued_at = max(issued_at, till.last_issued + timedelta(seconds=40))
            till.last_issued = settled_at = issued_at
            till.last_number += 1
            method, _weight, prefix = rng.choices(METHODS, [m[1] for m in METHODS])[0]
            reference = (
                None if prefix is None else f"{prefix}{rng.randint(100000, 999999)}"
            )
            cash = method == PaymentMethod.CASH
            rounding = cash_rounding(amount_sen) if cash else 0
            cashier_id, cashier_name = self.cashiers.get(court_id, (None, "-"))
            receipt_index = len(batch.tables["receipt"][0])
            batch.add(
                "receipt",
                (
                    str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    format_receipt_number(
                        till.code, ReceiptSeries.ONLINE, till.last_number
                    ),
                    till.court_id,
                    till.counter_id,
                    ReceiptSeries.ONLINE,
                    till.last_number,
                    issued_at,
                    local_date(issued_at),
                    cashier_id,
                    cashier_name,
                    payer[0],
                    payer[1],
                    case_id,
                    method,
                    reference,
                    amount_sen,
                    rounding,
                    amount_sen + rounding,
                    False,
                    None,
                    0,
                    issued_at,
                    issued_at,
                ),
                transaction_id,
            )
            batch.add(
                "line",
                (receipt_index, self.fee_type_id, 1, amount_sen, None),
                transaction_id,
            )
            self.issued += 1
        batch.add(
            "fee",
            (case_id, amount_sen, receipt_index, registered_at, settled_at),
            transaction_id,
        )

    def save_series(self, writer: BulkWriter) -> None:
        """Leave each counter's online series at its last receipt number."""
        from plugins.collections.models import ReceiptNumberSeries

        table = ReceiptNumberSeries.__table__
        new = [t for t in self.tills.values() if not t.known and t.last_number]
        first = writer.take_ids(table, len(new))
        writer.write(
            table,
            ("id", "counter_id", "series", "last_number"),
            [
                (first + i, till.counter_id, "online", till.last_number)
                for i, till in enumerate(new)
            ],
        )
        for till in self.tills.values():
            if till.known:
                writer.connection.execute(
                    sa.update(table)
                    .where(table.c.counter_id == till.counter_id)
                    .where(table.c.series == "online")
                    .values(last_number=till.last_number)
                )
        logger.info(
            "scale: %d receipts at %d counters",
            self.issued,
            sum(1 for till in self.tills.values() if till.last_issued is not None),
        )


def open_counters(session: Session, courts: list[Court]) -> None:
    """Counter ``<court>-K1`` at every court, created the ordinary way if missing.

    They are few, so the ORM (and Continuum) write them like the demo does.
    """
    from plugins.collections.models import Counter

    for court in courts:
        code = f"{court.code}-K1"
        if session.scalar(sa.select(Counter.id).where(Counter.code == code)) is None:
            session.add(Counter(court_id=court.id, code=code, name=COUNTER_NAME))
    session.flush()


def receipt_book(
    session: Session,
    rng: random.Random,
    courts: list[Court],
    clerks: dict[int, int],
) -> ReceiptBook | None:
    """The counters, their series and cashiers; ``None`` without collections.

    Also ``None`` when the state's fee schedule has no registration fee
    type: a receipt line needs one, and a profile without it collects no
    registration fees at the counter.
    """
    if not collections_enabled():
        return None
    from plugins.collections.models import (
        Counter,
        FeeKind,
        FeeType,
        ReceiptNumberSeries,
    )
    from plugins.collections.services import display_name

    fee_type_id = session.scalar(
        sa.select(FeeType.id)
        .where(FeeType.kind == FeeKind.REGISTRATION, FeeType.active)
        .order_by(FeeType.id)
    )
    if fee_type_id is None:
        logger.warning("scale: no registration fee type; no receipts loaded")
        return None
    series = dict(
        session.execute(
            sa.select(
                ReceiptNumberSeries.counter_id, ReceiptNumberSeries.last_number
            ).where(ReceiptNumberSeries.series == "online")
        ).all()
    )
    tills: dict[int, _Till] = {}
    for court in courts:
        counter = session.scalar(
            sa.select(Counter).where(Counter.code == f"{court.code}-K1")
        )
        if counter is None:
            continue
        tills[court.id] = _Till(
            counter_id=counter.id,
            code=counter.code,
            court_id=counter.court_id,
            last_number=series.get(counter.id, 0),
            known=counter.id in series,
        )
    users = {
        row.id: row
        for row in session.execute(
            sa.text("SELECT id, username, first_name, last_name FROM ab_user")
        )
    }
    cashiers = {
        court_id: (user_id, display_name(users[user_id]))
        for court_id, user_id in clerks.items()
        if user_id in users
    }
    return ReceiptBook(rng=rng, fee_type_id=fee_type_id, tills=tills, cashiers=cashiers)
