"""System Links tables: the agency message log and what the agencies answered.

``AgencyMessage`` is both the outbox and the inbox: every request the court
sends and every answer an agency sends back is one row, so a links officer
reads one list to know what was exchanged, what failed and why.
``DeliveryAttempt`` keeps each try of an outgoing message (the health view's
error rate is read from it). ``AgencyLane`` holds one row per agency: the
short lease that keeps two workers from delivering the same agency's queue
at once, which is what keeps the agency's messages in order.

The remaining tables hold the answers, owned through their case, so they are
seen exactly by those who may see the case: ``IdentityCheck`` (JPN),
``Warrant`` (PDRM), ``TravelRestriction`` (JIM) and ``LegalAidReferral``
(BHEUU).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugins.cases.models import Case
from portal.models import Court, Timestamped, utcnow

OUT = "out"
IN = "in"


class MessageState:
    """Where a message stands.

    Outgoing: ``queued`` (waiting its turn), ``sent`` (the agency took it; a
    two-way flow waits for the answer), ``acknowledged`` (done: a one-way
    message accepted, or a two-way one answered), ``failed`` (a try failed;
    retried at ``next_attempt_at``), ``dead`` (parked: rejected by the agency,
    out of tries, or set aside by hand). Incoming: ``acknowledged`` once
    applied to the case, ``dead`` when refused, with the reason.
    """

    QUEUED = "queued"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"
    DEAD = "dead"
    LABELS = {
        QUEUED: "Dalam Giliran",
        SENT: "Dihantar",
        ACKNOWLEDGED: "Selesai",
        FAILED: "Gagal (akan dicuba semula)",
        DEAD: "Diketepikan",
    }
    ALL = tuple(LABELS)
    #: Outgoing states the delivery job still has to send.
    PENDING = (QUEUED, FAILED)


class AgencyMessage(Model):
    """One exchange with an agency (mesej agensi), outgoing or incoming.

    ``idempotency_key`` is unique and travels with an outgoing message as a
    header, so an agency that gets it twice applies it once; an incoming row
    is keyed by the agency's own message key, so a callback sent twice is
    applied once. ``reply_to`` links an incoming answer to the request it
    answers. ``record_id`` is the id of the plugin's own record the message
    is about (a warrant, a travel restriction, ...), per flow.

    Scope: a message of a case belongs to that case's court; a statewide
    message (the JAKIM statistics) has no court and every links officer sees
    it.
    """

    # TODO(sealed cases): a message of a confidential case is visible to
    # every links officer of its court, payload included (names, identity
    # numbers); narrowing it like its case needs a viewer-aware court_scope.

    __tablename__ = "agency_message"
    __table_args__ = (
        sa.CheckConstraint(
            sa.column("state").in_(MessageState.ALL), name="ck_agency_message_state"
        ),
        sa.CheckConstraint(
            sa.column("direction").in_((OUT, IN)), name="ck_agency_message_direction"
        ),
        sa.Index("ix_agency_message_lane", "agency", "direction", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    flow: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    direction: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    case_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("court_case.id"), index=True
    )
    court_id: Mapped[int | None] = mapped_column(sa.ForeignKey("court.id"), index=True)
    record_id: Mapped[int | None] = mapped_column()
    reply_to_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agency_message.id"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(
        sa.String(200), unique=True, nullable=False
    )
    payload: Mapped[Any] = mapped_column(sa.JSON, nullable=False)
    state: Mapped[str] = mapped_column(
        sa.String(15), nullable=False, default=MessageState.QUEUED
    )
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    answer: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    case: Mapped[Case | None] = relationship()
    court: Mapped[Court | None] = relationship()
    reply_to: Mapped[AgencyMessage | None] = relationship(remote_side=[id])

    @classmethod
    def court_scope(cls, court_ids: frozenset[int]) -> sa.ColumnElement[bool]:
        """SQL condition: a message of one of ``court_ids``, or a statewide one."""
        return sa.or_(cls.court_id.in_(sorted(court_ids)), cls.court_id.is_(None))

    @property
    def state_label(self) -> str:
        return MessageState.LABELS.get(self.state, self.state)

    @property
    def case_number(self) -> str:
        return self.case.case_number if self.case is not None else "-"

    def __repr__(self) -> str:
        return f"{self.agency} {self.flow} #{self.id}"


class DeliveryAttempt(Model):
    """One try at sending an outgoing message, with its outcome."""

    __tablename__ = "agency_delivery_attempt"
    __table_args__ = (sa.Index("ix_agency_delivery_attempt_agency_at", "agency", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agency_message.id"), nullable=False, index=True
    )
    agency: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )
    ok: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, server_default=sa.false()
    )
    status_code: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(sa.String(1000))
    duration_ms: Mapped[int] = mapped_column(nullable=False, default=0)


class AgencyLane(Model):
    """The delivery lease of one agency's queue (one worker at a time)."""

    __tablename__ = "agency_lane"

    agency: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    leased_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    lease_owner: Mapped[str | None] = mapped_column(sa.String(64))


class _OfCase:
    """A record owned through its case (visible exactly when the case is)."""

    @classmethod
    def scope_parent(cls) -> tuple[Any, type]:
        return cls.case_id, Case  # type: ignore[attr-defined]


class VerificationResult:
    """What JPN said about a person's identity number and name."""

    PENDING = "menunggu"
    MATCH = "sepadan"
    MISMATCH = "tidak_sepadan"
    NOT_FOUND = "tiada_rekod"
    DECEASED = "meninggal_dunia"
    LABELS = {
        PENDING: "Menunggu JPN",
        MATCH: "Sepadan",
        MISMATCH: "Nama Tidak Sepadan",
        NOT_FOUND: "Tiada Rekod JPN",
        DECEASED: "Meninggal Dunia",
    }


class IdentityCheck(_OfCase, Timestamped, Model):
    """A party's MyKad checked against the national register at registration."""

    __tablename__ = "links_identity_check"
    __versioned__: dict[str, Any] = {}
    __table_args__ = (sa.UniqueConstraint("case_id", "party_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("court_case.id"), nullable=False, index=True
    )
    party_id: Mapped[int] = mapped_column(
        sa.ForeignKey("party.id"), nullable=False, index=True
    )
    identity_number: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    result: Mapped[str] = mapped_column(
        sa.String(20), nullable=False, default=VerificationResult.PENDING
    )
    registered_name: Mapped[str | None] = mapped_column(sa.String(200))
    checked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    case: Mapped[Case] = relationship()
    party: Mapped[Any] = relationship("Party")

    @property
    def result_label(self) -> str:
        return VerificationResult.LABELS.get(self.result, self.result)

    def __repr__(self) -> str:
        return f"{self.identity_number}: {self.result_label}"


class WarrantStatus:
    """A warrant of arrest (waran tangkap) as PDRM reports on it."""

    REQUESTED = "dihantar"
    RECEIVED = "diterima"
    EXECUTED = "dilaksanakan"
    UNEXECUTED = "tidak_dilaksanakan"
    LABELS = {
        REQUESTED: "Dihantar ke PDRM",
        RECEIVED: "Diterima PDRM",
        EXECUTED: "Dilaksanakan",
        UNEXECUTED: "Tidak Dapat Dilaksanakan",
    }
    #: The status PDRM may report, and where each may come from.
    MOVES = {
        RECEIVED: {REQUESTED},
        EXECUTED: {REQUESTED, RECEIVED},
        UNEXECUTED: {REQUESTED, RECEIVED},
    }


class Warrant(_OfCase, Timestamped, Model):
    """A warrant of arrest for a party of a case, sent to PDRM for execution."""

    __tablename__ = "links_warrant"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("court_case.id"), nullable=False, index=True
    )
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id"), nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    status: Mapped[str] = mapped_column(
        sa.String(20), nullable=False, default=WarrantStatus.REQUESTED
    )
    police_reference: Mapped[str | None] = mapped_column(sa.String(60))
    executed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    status_note: Mapped[str | None] = mapped_column(sa.String(500))

    case: Mapped[Case] = relationship()
    party: Mapped[Any] = relationship("Party")

    @property
    def status_label(self) -> str:
        return WarrantStatus.LABELS.get(self.status, self.status)

    def __repr__(self) -> str:
        return f"Waran #{self.id} ({self.status_label})"


class RestrictionStatus:
    """A travel restriction (sekatan perjalanan) as JIM reports on it."""

    REQUESTED = "dimohon"
    ACTIVE = "berkuat_kuasa"
    LIFT_REQUESTED = "pembatalan_dimohon"
    LIFTED = "dibatalkan"
    REFUSED = "ditolak"
    LABELS = {
        REQUESTED: "Dimohon",
        ACTIVE: "Berkuat Kuasa",
        LIFT_REQUESTED: "Pembatalan Dimohon",
        LIFTED: "Dibatalkan",
        REFUSED: "Ditolak JIM",
    }


class TravelRestriction(_OfCase, Timestamped, Model):
    """A request that JIM stop a party leaving the country, and its lifting."""

    __tablename__ = "links_travel_restriction"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("court_case.id"), nullable=False, index=True
    )
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id"), nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    status: Mapped[str] = mapped_column(
        sa.String(20), nullable=False, default=RestrictionStatus.REQUESTED
    )
    jim_reference: Mapped[str | None] = mapped_column(sa.String(60))
    status_note: Mapped[str | None] = mapped_column(sa.String(500))

    case: Mapped[Case] = relationship()
    party: Mapped[Any] = relationship("Party")

    @property
    def status_label(self) -> str:
        return RestrictionStatus.LABELS.get(self.status, self.status)

    def __repr__(self) -> str:
        return f"Sekatan #{self.id} ({self.status_label})"


class ReferralStatus:
    """A legal-aid referral as BHEUU (Jabatan Bantuan Guaman) answers it."""

    REQUESTED = "dirujuk"
    ACCEPTED = "diterima"
    DECLINED = "ditolak"
    LABELS = {REQUESTED: "Dirujuk", ACCEPTED: "Diterima", DECLINED: "Ditolak"}


class LegalAidReferral(_OfCase, Timestamped, Model):
    """A party referred to legal aid or family support (rujukan bantuan guaman)."""

    __tablename__ = "links_legal_aid_referral"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("court_case.id"), nullable=False, index=True
    )
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id"), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    status: Mapped[str] = mapped_column(
        sa.String(20), nullable=False, default=ReferralStatus.REQUESTED
    )
    bheuu_reference: Mapped[str | None] = mapped_column(sa.String(60))
    assigned_lawyer: Mapped[str | None] = mapped_column(sa.String(200))
    status_note: Mapped[str | None] = mapped_column(sa.String(500))

    case: Mapped[Case] = relationship()
    party: Mapped[Any] = relationship("Party")

    @property
    def status_label(self) -> str:
        return ReferralStatus.LABELS.get(self.status, self.status)

    def __repr__(self) -> str:
        return f"Rujukan #{self.id} ({self.status_label})"
