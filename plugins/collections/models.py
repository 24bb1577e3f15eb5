"""Collections: fee types, counters, receipts and the money held against cases.

Words of the court kept as they are: a *kaunter* is a cashier's point of
collection at a court; a *resit rasmi* the official receipt; *denda* a fine;
*cagaran* a deposit held against a case; the *penyata pemungut* is the
collector's statement of a day.

Receipts are never deleted. A receipt is cancelled by a record of its own
(``ReceiptCancellation``), and once a counter's day is closed (``DayClose``)
its receipts of that day are locked. Money is whole sen (``*_sen``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugins.cases.models import Case
from portal.models import CourtOwned, Timestamped, utcnow


class FeeKind:
    """What a fee line does besides bringing money in.

    ``registration`` settles a case's registration fee, ``fine`` pays a fine
    imposed in a criminal case, ``deposit`` is held against a case until it is
    refunded or forfeited; ``fee`` is anything else (copies, service, orders).
    """

    FEE = "fee"
    REGISTRATION = "registration"
    FINE = "fine"
    DEPOSIT = "deposit"
    LABELS = {
        FEE: "Fi",
        REGISTRATION: "Fi Pendaftaran Kes",
        FINE: "Denda",
        DEPOSIT: "Cagaran",
    }


class FeeType(Timestamped, Model):
    """A fee the court collects, with its revenue code (kod hasil).

    ``amount_sen`` is the price of one unit; 0 means the amount is keyed per
    receipt (a fine, a deposit, or a case's registration fee, which follows the
    case type).
    """

    __tablename__ = "fee_type"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    revenue_code: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    amount_sen: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    kind: Mapped[str] = mapped_column(
        sa.String(20), nullable=False, default=FeeKind.FEE, server_default="fee"
    )
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        return f"{self.code} {self.name}"


class PaymentMethod:
    """How the payer paid; only cash is rounded to 5 sen."""

    CASH = "tunai"
    CHEQUE = "cek"
    MONEY_ORDER = "kiriman_wang"
    CARD = "kad"
    ONLINE = "perbankan_internet"
    LABELS = {
        CASH: "Tunai",
        CHEQUE: "Cek",
        MONEY_ORDER: "Kiriman Wang / Wang Pos",
        CARD: "Kad Debit / Kredit",
        ONLINE: "Perbankan Internet",
    }
    #: Methods that need a reference (cheque number, gateway reference ...).
    NEEDS_REFERENCE = frozenset({CHEQUE, MONEY_ORDER, CARD, ONLINE})


class Counter(CourtOwned, Timestamped, Model):
    """A kaunter: a cashier's point of collection at a court.

    ``code`` is unique in the state and starts every receipt number of the
    counter. A counter enrolled for offline work holds a shared ``secret``
    that signs its requests; ``chain_head`` is the hash of the last offline
    receipt the server took, so a receipt removed on the counter shows up.
    """

    __tablename__ = "collection_counter"
    __versioned__: dict[str, Any] = {"exclude": ["secret", "chain_head"]}

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    active: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=True, server_default=sa.true()
    )
    # TODO(secret at rest): the HMAC secret is stored as issued; a state with
    # a key store should keep it encrypted there and only a reference here.
    secret: Mapped[str | None] = mapped_column(sa.String(64))
    enrolled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    enrolled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    chain_head: Mapped[str | None] = mapped_column(sa.String(64))
    last_sync_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    enrolled_by: Mapped[Any] = relationship("User", foreign_keys=[enrolled_by_id])

    @property
    def enrolled(self) -> bool:
        return self.secret is not None

    def __repr__(self) -> str:
        return f"{self.code} {self.name}"


class ReceiptSeries:
    ONLINE = "online"
    OFFLINE = "offline"


class ReceiptNumberSeries(Model):
    """The last number taken per counter and series (online or offline).

    Bumped by one UPDATE ... RETURNING inside the issuing transaction, like
    case numbers, so numbers are unique and gap-free; the offline series is
    handed out in blocks (``NumberBlock``).
    """

    __tablename__ = "receipt_number_series"
    __table_args__ = (sa.UniqueConstraint("counter_id", "series"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collection_counter.id"), nullable=False
    )
    series: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    last_number: Mapped[int] = mapped_column(nullable=False, default=0)


class NumberBlock(Model):
    """Offline receipt numbers ``first``..``last`` reserved by one counter."""

    __tablename__ = "receipt_number_block"

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collection_counter.id"), nullable=False, index=True
    )
    first_number: Mapped[int] = mapped_column(nullable=False)
    last_number: Mapped[int] = mapped_column(nullable=False)
    reserved_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )

    @classmethod
    def scope_parent(cls) -> tuple[Any, type]:
        return cls.counter_id, Counter


class Receipt(CourtOwned, Timestamped, Model):
    """An official receipt (resit rasmi), online or from an offline counter.

    ``subtotal_sen`` is the sum of the lines; a cash payment is rounded to 5
    sen and the difference kept as ``rounding_sen`` so the lines still add up;
    ``total_sen`` is what the payer handed over. ``uuid`` never repeats: the
    offline sync takes each receipt once by it. ``business_date`` is the
    court's calendar date of issue, the day its statement belongs to.
    """

    __tablename__ = "receipt"
    __versioned__: dict[str, Any] = {}
    __table_args__ = (sa.UniqueConstraint("counter_id", "series", "running_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True, nullable=False)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    counter_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collection_counter.id"), nullable=False, index=True
    )
    series: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    running_number: Mapped[int] = mapped_column(nullable=False)
    issued_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False
    )
    business_date: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    cashier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    cashier_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    payer_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    payer_identity: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    case_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("court_case.id"), index=True
    )
    method: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    reference: Mapped[str | None] = mapped_column(sa.String(60))
    subtotal_sen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    rounding_sen: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    total_sen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    offline: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )
    chain_hash: Mapped[str | None] = mapped_column(sa.String(64))
    print_count: Mapped[int] = mapped_column(nullable=False, default=0)

    counter: Mapped[Counter] = relationship()
    case: Mapped[Case | None] = relationship()
    cashier: Mapped[Any] = relationship("User", foreign_keys=[cashier_id])
    lines: Mapped[list[ReceiptLine]] = relationship(
        back_populates="receipt", order_by="ReceiptLine.id"
    )
    cancellation: Mapped[ReceiptCancellation | None] = relationship(
        back_populates="receipt", uselist=False
    )

    @property
    def cancelled(self) -> bool:
        return self.cancellation is not None

    @property
    def method_label(self) -> str:
        return PaymentMethod.LABELS.get(self.method, self.method)

    @property
    def status_label(self) -> str:
        return "Dibatalkan" if self.cancelled else "Sah"

    def __repr__(self) -> str:
        return self.number


class ReceiptLine(Model):
    """One fee on a receipt: ``quantity`` units of a fee type, ``amount_sen`` in all."""

    __tablename__ = "receipt_line"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("receipt.id"), nullable=False, index=True
    )
    fee_type_id: Mapped[int] = mapped_column(
        sa.ForeignKey("fee_type.id"), nullable=False
    )
    quantity: Mapped[int] = mapped_column(nullable=False, default=1)
    amount_sen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    fine_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_fine.id"))

    receipt: Mapped[Receipt] = relationship(back_populates="lines")
    fee_type: Mapped[FeeType] = relationship()

    @classmethod
    def scope_parent(cls) -> tuple[Any, type]:
        return cls.receipt_id, Receipt


class ReceiptCancellation(Model):
    """The cancellation of a receipt: who, when and why (a record of its own)."""

    __tablename__ = "receipt_cancellation"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("receipt.id"), unique=True, nullable=False
    )
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    cancelled_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    cancelled_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )
    reason: Mapped[str] = mapped_column(sa.String(500), nullable=False)

    receipt: Mapped[Receipt] = relationship(back_populates="cancellation")

    @classmethod
    def scope_parent(cls) -> tuple[Any, type]:
        return cls.receipt_id, Receipt


class CaseFee(Timestamped, Model):
    """A case's registration fee: due from registration, settled by a receipt."""

    __tablename__ = "case_fee"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("court_case.id"), unique=True, nullable=False
    )
    amount_sen: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    receipt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("receipt.id"))

    case: Mapped[Case] = relationship()
    receipt: Mapped[Receipt | None] = relationship()

    @property
    def paid(self) -> bool:
        return self.receipt_id is not None

    @classmethod
    def scope_parent(cls) -> tuple[Any, type]:
        return cls.case_id, Case


class Fine(Timestamped, Model):
    """A fine (denda) imposed in a criminal (jenayah) case, paid by one receipt."""

    __tablename__ = "case_fine"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("court_case.id"), nullable=False, index=True
    )
    amount_sen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    imposed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    note: Mapped[str | None] = mapped_column(sa.String(300))
    receipt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("receipt.id"))

    case: Mapped[Case] = relationship()

    @property
    def paid(self) -> bool:
        return self.receipt_id is not None

    @classmethod
    def scope_parent(cls) -> tuple[Any, type]:
        return cls.case_id, Case


class DepositKind:
    DEPOSIT = "deposit"
    REFUND = "refund"
    FORFEIT = "forfeit"
    LABELS = {DEPOSIT: "Cagaran", REFUND: "Pemulangan", FORFEIT: "Dilucuthakkan"}


class DepositEntry(Timestamped, Model):
    """One entry of a case's deposit ledger: money in, refunded or forfeited.

    The balance held is deposits less refunds and forfeits; it never goes
    below zero (``services.refund_deposit`` refuses).
    """

    __tablename__ = "deposit_entry"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("court_case.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    amount_sen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    receipt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("receipt.id"))
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    note: Mapped[str | None] = mapped_column(sa.String(300))

    @property
    def kind_label(self) -> str:
        return DepositKind.LABELS.get(self.kind, self.kind)

    @classmethod
    def scope_parent(cls) -> tuple[Any, type]:
        return cls.case_id, Case


class DayClose(CourtOwned, Timestamped, Model):
    """A counter's closed day: its receipts of ``business_date`` are locked."""

    __tablename__ = "collection_day_close"
    __versioned__: dict[str, Any] = {}
    __table_args__ = (sa.UniqueConstraint("counter_id", "business_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collection_counter.id"), nullable=False
    )
    business_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    total_sen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    receipts_issued: Mapped[int] = mapped_column(nullable=False)
    receipts_cancelled: Mapped[int] = mapped_column(nullable=False)

    counter: Mapped[Counter] = relationship()
    closed_by: Mapped[Any] = relationship("User")


class CounterNonce(Model):
    """A request nonce a counter used; a second use is a replay and refused."""

    __tablename__ = "counter_nonce"
    __table_args__ = (sa.UniqueConstraint("counter_id", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collection_counter.id"), nullable=False
    )
    nonce: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    seen_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )


class SyncQueueItem(CourtOwned, Timestamped, Model):
    """Something an offline sync could not match, waiting for a supervisor.

    The receipt is kept (``receipt_id``) whenever it could be: the money was
    taken. ``payload`` holds what the counter sent, as it sent it.
    """

    __tablename__ = "collection_sync_queue"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collection_counter.id"), nullable=False
    )
    receipt_uuid: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    receipt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("receipt.id"))
    reason: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False)
    resolved: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )
    resolved_note: Mapped[str | None] = mapped_column(sa.String(300))

    counter: Mapped[Counter] = relationship()
    receipt: Mapped[Receipt | None] = relationship()
