"""Cases and what hangs off them: types, numbers, parties, hearings, documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugins.parties import models as parties_models  # noqa: F401  (Party, Lawyer)
from portal.i18n import N_
from portal.models import Confidential, Court, CourtOwned, Judge, Timestamped


class CaseType(Timestamped, Model):
    """A kind of case (jenis kes), e.g. 055 Tuntutan Perceraian.

    Two code schemes are in use and the same number means different things in
    each, so the scheme is part of the key. ``category`` is ``mal`` (civil and
    family) or ``jenayah`` (criminal); ``started_by`` says whether a mal case
    opens as a ``tuntutan`` (claim) or a ``permohonan`` (application).
    """

    __tablename__ = "case_type"
    __versioned__: dict[str, Any] = {}
    __table_args__ = (sa.UniqueConstraint("scheme", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    code: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    new_code: Mapped[str | None] = mapped_column(sa.String(3))
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    gloss_en: Mapped[str | None] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    level: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    started_by: Mapped[str | None] = mapped_column(sa.String(12))
    fee_sen: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    resolution_days: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        return f"{self.code} {self.name}"


class CaseStatus:
    """The states of a case and the moves allowed between them.

    A registered case goes into progress at its first hearing; it ends decided,
    withdrawn (ditarik balik) or struck out (dibatalkan), or is transferred to
    another court, which registers it under its own number.
    """

    REGISTERED = "didaftar"
    IN_PROGRESS = "dalam_proses"
    DECIDED = "diputuskan"
    WITHDRAWN = "ditarik_balik"
    STRUCK_OUT = "dibatalkan"
    TRANSFERRED = "dipindahkan"

    LABELS = {
        REGISTERED: N_("Didaftar"),
        IN_PROGRESS: N_("Dalam Proses"),
        DECIDED: N_("Diputuskan"),
        WITHDRAWN: N_("Ditarik Balik"),
        STRUCK_OUT: N_("Dibatalkan"),
        TRANSFERRED: N_("Dipindahkan"),
    }
    ALLOWED = {
        REGISTERED: {IN_PROGRESS, WITHDRAWN, STRUCK_OUT, TRANSFERRED},
        IN_PROGRESS: {DECIDED, WITHDRAWN, STRUCK_OUT, TRANSFERRED},
        DECIDED: set(),
        WITHDRAWN: set(),
        STRUCK_OUT: set(),
        TRANSFERRED: set(),
    }
    OPEN = frozenset({REGISTERED, IN_PROGRESS})


class Case(CourtOwned, Confidential, Timestamped, Model):
    """A case (kes) of one court, numbered ``CCCCC-TTT-NNNN-YYYY``.

    ``court`` is the court that owns and hears the case; ``registered_from``
    is the court where it was keyed, which differs in a remote registration.
    ``legacy_number`` keeps a number from the old system exactly as it was.
    """

    __tablename__ = "court_case"
    __versioned__: dict[str, Any] = {}
    __table_args__ = (
        sa.UniqueConstraint("court_id", "case_type_id", "year", "running_number"),
        # A court's newest cases first (every case list): walked backwards,
        # the first page is read without sorting the court's caseload.
        sa.Index("ix_court_case_court_registered", "court_id", "registered_at"),
        sa.Index("ix_court_case_registered_at", "registered_at"),
        # Judges' open loads (allocation, workload) from the index alone.
        sa.Index("ix_court_case_judge_status", "judge_id", "status", "case_type_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    legacy_number: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    case_type_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_type.id"), nullable=False, index=True
    )
    year: Mapped[int] = mapped_column(nullable=False)
    running_number: Mapped[int | None] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    status: Mapped[str] = mapped_column(
        sa.String(20), nullable=False, default=CaseStatus.REGISTERED, index=True
    )
    status_reason: Mapped[str | None] = mapped_column(sa.String(500))
    registered_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False
    )
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    registered_from_id: Mapped[int] = mapped_column(
        sa.ForeignKey("court.id"), nullable=False
    )
    judge_id: Mapped[int | None] = mapped_column(sa.ForeignKey("judge.id"), index=True)
    claim_amount_sen: Mapped[int | None] = mapped_column(sa.BigInteger)
    fee_due_sen: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    case_type: Mapped[CaseType] = relationship()
    registered_from: Mapped[Court] = relationship(foreign_keys=[registered_from_id])
    registered_by: Mapped[Any] = relationship("User", foreign_keys=[registered_by_id])
    judge: Mapped[Judge | None] = relationship()
    parties: Mapped[list[CaseParty]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseParty.id"
    )
    hearings: Mapped[list[Hearing]] = relationship(
        back_populates="case",
        cascade="all, delete-orphan",
        order_by="Hearing.starts_at",
    )

    @classmethod
    def judge_user_ids(cls) -> sa.ColumnElement[Any]:
        return (
            sa.select(Judge.user_id).where(Judge.id == cls.judge_id).scalar_subquery()
        )

    @property
    def status_label(self) -> str:
        return CaseStatus.LABELS.get(self.status, self.status)

    def __repr__(self) -> str:
        return self.case_number


class CaseNumberSeries(Model):
    """The last running number taken per court, case type and year.

    Incremented by one UPDATE inside the registering transaction, so numbers
    are unique and gap-free: a registration that fails returns its number.
    """

    __tablename__ = "case_number_series"
    __table_args__ = (sa.UniqueConstraint("court_id", "case_type_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    court_id: Mapped[int] = mapped_column(sa.ForeignKey("court.id"), nullable=False)
    case_type_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_type.id"), nullable=False
    )
    year: Mapped[int] = mapped_column(nullable=False)
    last_number: Mapped[int] = mapped_column(nullable=False, default=0)


class PartyRole:
    """How a person stands in a case."""

    PLAINTIFF = "plaintif"
    APPLICANT = "pemohon"
    DEFENDANT = "defendan"
    RESPONDENT = "responden"
    ACCUSED = "tertuduh"
    LABELS = {
        PLAINTIFF: N_("Plaintif"),
        APPLICANT: N_("Pemohon"),
        DEFENDANT: N_("Defendan"),
        RESPONDENT: N_("Responden"),
        ACCUSED: N_("Tertuduh"),
    }
    #: The side that opens each kind of case.
    OPENING = frozenset({PLAINTIFF, APPLICANT})


class CaseParty(Timestamped, Model):
    """A party in a case, in a role, with the Syarie lawyer representing them."""

    __tablename__ = "case_party"
    __versioned__: dict[str, Any] = {}
    __table_args__ = (sa.UniqueConstraint("case_id", "party_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("court_case.id"), nullable=False, index=True
    )
    party_id: Mapped[int] = mapped_column(
        sa.ForeignKey("party.id"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    lawyer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lawyer.id"))

    case: Mapped[Case] = relationship(back_populates="parties")
    party: Mapped[Any] = relationship("Party")
    lawyer: Mapped[Any] = relationship("Lawyer")

    @classmethod
    def scope_parent(cls) -> tuple[Any, type]:
        return cls.case_id, Case

    def __repr__(self) -> str:
        return f"{PartyRole.LABELS.get(self.role, self.role)}: {self.party}"


class HearingKind:
    MENTION = "sebutan"
    TRIAL = "bicara"
    DECISION = "keputusan"
    SULH = "sulh"
    LABELS = {MENTION: "Sebutan", TRIAL: "Bicara", DECISION: "Keputusan", SULH: "Sulh"}


class Hearing(Timestamped, Model):
    """A sitting fixed for a case: mention, trial, decision or sulh."""

    __tablename__ = "hearing"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("court_case.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, index=True
    )
    courtroom: Mapped[str | None] = mapped_column(sa.String(50))
    outcome: Mapped[str | None] = mapped_column(sa.String(500))

    case: Mapped[Case] = relationship(back_populates="hearings")

    @classmethod
    def scope_parent(cls) -> tuple[Any, type]:
        return cls.case_id, Case

    def __repr__(self) -> str:
        return (
            f"{HearingKind.LABELS.get(self.kind, self.kind)} {self.starts_at:%d/%m/%Y}"
        )


class Sealing:
    """Who may not see a document: nobody sealed, the public, or parties too."""

    NONE = "tiada"
    PUBLIC = "awam"
    PARTIES = "pihak"
    LABELS = {
        NONE: "Tidak dimeterai",
        PUBLIC: "Dimeterai dari awam",
        PARTIES: "Dimeterai dari pihak",
    }


class Document(Timestamped, Model):
    """A filed document; it can be sealed on its own without sealing the case."""

    __tablename__ = "case_document"
    __versioned__: dict[str, Any] = {"exclude": ["content"]}

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("court_case.id"), nullable=False, index=True
    )
    doc_type: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    filename: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    content: Mapped[bytes] = mapped_column(
        sa.LargeBinary, nullable=False, deferred=True
    )
    sealed: Mapped[str] = mapped_column(
        sa.String(10), nullable=False, default=Sealing.NONE
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))

    case: Mapped[Case] = relationship()

    @classmethod
    def scope_parent(cls) -> tuple[Any, type]:
        return cls.case_id, Case

    def __repr__(self) -> str:
        return f"{self.doc_type}: {self.filename}"
