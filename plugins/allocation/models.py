"""Allocation tables: who may hear what, when they are away, and every draw.

Eligibility lives in four small tables tied to a judge (``JudgeCoverage``,
``JudgeCompetence``, ``JudgeLeave``, ``JudgeConflict``); they are versioned
like every domain table and visible exactly when their judge is.

``AllocationRecord`` is different on purpose: it is not versioned, because it
is never changed. Each court's records form a hash chain (every record carries
the hash of the court's previous one), so a record altered or removed behind
the portal's back is found by ``verify_chain``. The ORM refuses to update or
delete one; only an INSERT is allowed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from portal.models import Court, CourtOwned, Judge, Timestamped, utcnow

logger = logging.getLogger(__name__)

#: ``prev_hash`` of the first record of a court's chain.
GENESIS_HASH = "0" * 64


class AllocationKind:
    """How a record's judge was reached (or why there is none)."""

    DRAW = "draw"
    OVERRIDE = "override"
    RELATED = "related"
    REBALANCE = "rebalance"
    UNASSIGNED = "unassigned"

    LABELS = {
        DRAW: "Cabutan / strategi",
        OVERRIDE: "Pindaan oleh pegawai",
        RELATED: "Kes berkaitan",
        REBALANCE: "Pengimbangan semula",
        UNASSIGNED: "Tidak diperuntukkan",
    }


class _OwnedByJudge:
    """Eligibility rows follow their judge's court scope."""

    @classmethod
    def scope_parent(cls) -> tuple[Any, type]:
        return cls.judge_id, Judge  # type: ignore[attr-defined]


class JudgeCoverage(_OwnedByJudge, Timestamped, Model):
    """A court a judge covers besides the home court (``Judge.court_id``).

    A judge of one district court often sits at a neighbouring one on set
    days; coverage makes the judge a candidate for that court's cases.
    """

    # TODO(not built yet): coverage has no period or weekdays; a judge who
    # covers a court on Tuesdays is a candidate there every day.

    __tablename__ = "judge_coverage"
    __versioned__: dict[str, Any] = {}
    __table_args__ = (sa.UniqueConstraint("judge_id", "covers_court_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    judge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("judge.id"), nullable=False, index=True
    )
    covers_court_id: Mapped[int] = mapped_column(
        sa.ForeignKey("court.id"), nullable=False, index=True
    )
    note: Mapped[str | None] = mapped_column(sa.String(300))

    judge: Mapped[Judge] = relationship()
    covers_court: Mapped[Court] = relationship(foreign_keys=[covers_court_id])

    def __repr__(self) -> str:
        return f"{self.judge} -> {self.covers_court}"


class JudgeCompetence(_OwnedByJudge, Timestamped, Model):
    """The categories and court levels a judge hears.

    A judge without a row hears both categories at every level of the courts
    they sit at or cover. ``levels`` is a comma-separated list of level codes
    from the profile; empty means every level.
    """

    __tablename__ = "judge_competence"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    judge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("judge.id"), nullable=False, unique=True
    )
    hears_mal: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=True, server_default=sa.true()
    )
    hears_jenayah: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=True, server_default=sa.true()
    )
    levels: Mapped[str | None] = mapped_column(sa.String(100))

    judge: Mapped[Judge] = relationship()

    def level_codes(self) -> frozenset[str]:
        """The level codes named, or an empty set meaning every level."""
        return frozenset(
            part.strip() for part in (self.levels or "").split(",") if part.strip()
        )

    def hears(self, category: str, level: str) -> str | None:
        """``None`` when the judge hears the category at the level, else why not."""
        if category == "mal" and not self.hears_mal:
            return "kategori"
        if category == "jenayah" and not self.hears_jenayah:
            return "kategori"
        codes = self.level_codes()
        if codes and level not in codes:
            return "peringkat"
        return None

    def __repr__(self) -> str:
        return f"{self.judge}: {self.levels or 'semua peringkat'}"


class JudgeLeave(_OwnedByJudge, Timestamped, Model):
    """A period (both days included, Malaysia dates) a judge takes no new cases."""

    __tablename__ = "judge_leave"
    __versioned__: dict[str, Any] = {}
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="ck_judge_leave_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    judge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("judge.id"), nullable=False, index=True
    )
    starts_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(300), nullable=False)

    judge: Mapped[Judge] = relationship()

    def __repr__(self) -> str:
        return f"{self.judge}: {self.starts_on:%d/%m/%Y}-{self.ends_on:%d/%m/%Y}"


class JudgeConflict(_OwnedByJudge, Timestamped, Model):
    """A recorded conflict of interest: the judge hears no case of this party."""

    __tablename__ = "judge_conflict"
    __versioned__: dict[str, Any] = {}
    __table_args__ = (sa.UniqueConstraint("judge_id", "party_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    judge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("judge.id"), nullable=False, index=True
    )
    party_id: Mapped[int] = mapped_column(
        sa.ForeignKey("party.id"), nullable=False, index=True
    )
    reason: Mapped[str] = mapped_column(sa.String(300), nullable=False)

    judge: Mapped[Judge] = relationship()
    party: Mapped[Any] = relationship("Party")

    def __repr__(self) -> str:
        return f"{self.judge} / {self.party}"


class AllocationRecord(CourtOwned, Model):
    """One allocation decision, append-only and chained by hash per court.

    ``candidates`` lists the eligible judges with their weighted open load at
    that moment (sorted by load, then judge id); ``params`` holds what else the
    strategy was given (margin, last judge of a rotation, the judges left out
    and why), so ``services.replay`` can recompute a draw from the record.
    """

    __tablename__ = "allocation_record"
    __table_args__ = (sa.Index("ix_allocation_record_court_chain", "court_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("court_case.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    strategy: Mapped[str | None] = mapped_column(sa.String(60))
    candidates: Mapped[list[dict[str, int]]] = mapped_column(
        sa.JSON, nullable=False, default=list
    )
    params: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, nullable=False, default=dict
    )
    random_value: Mapped[int | None] = mapped_column(sa.BigInteger)
    chosen_judge_id: Mapped[int | None] = mapped_column(sa.ForeignKey("judge.id"))
    reason_code: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    reason_text: Mapped[str] = mapped_column(sa.String(1000), nullable=False)
    by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )
    prev_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)

    case: Mapped[Any] = relationship("Case", foreign_keys=[case_id])
    chosen_judge: Mapped[Judge | None] = relationship(foreign_keys=[chosen_judge_id])
    by_user: Mapped[Any] = relationship("User", foreign_keys=[by_user_id])

    @property
    def kind_label(self) -> str:
        return AllocationKind.LABELS.get(self.kind, self.kind)

    def canonical(self) -> dict[str, Any]:
        """The fields the hash covers, in a form both databases read back alike."""
        return {
            "court_id": self.court_id,
            "case_id": self.case_id,
            "kind": self.kind,
            "strategy": self.strategy,
            "candidates": [
                {"judge_id": int(c["judge_id"]), "load": int(c["load"])}
                for c in self.candidates or []
            ],
            "params": self.params or {},
            "random_value": self.random_value,
            "chosen_judge_id": self.chosen_judge_id,
            "reason_code": self.reason_code,
            "reason_text": self.reason_text,
            "by_user_id": self.by_user_id,
            "at": _utc_text(self.at),
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        """sha256 of the canonical JSON (sorted keys, no spaces) of the record."""
        text = json.dumps(
            self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=True
        )
        return hashlib.sha256(text.encode("ascii")).hexdigest()

    def __repr__(self) -> str:
        return f"#{self.id} {self.kind_label}"


def _utc_text(moment: datetime | None) -> str | None:
    """A timestamp as UTC text; SQLite hands back naive UTC, PostgreSQL aware."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def last_hash(connection: sa.Connection, court_id: int) -> str:
    """The hash that the next record of the court's chain must point to."""
    table = AllocationRecord.__table__
    found = connection.execute(
        sa.select(table.c.hash)
        .where(table.c.court_id == court_id)
        .order_by(table.c.id.desc())
        .limit(1)
    ).scalar()
    return found or GENESIS_HASH


@event.listens_for(AllocationRecord, "before_insert")
def _chain_on_insert(
    _mapper: Any, connection: sa.Connection, record: AllocationRecord
) -> None:
    """Link a new record to its court's chain and seal it with its hash.

    The caller holds the court's allocation lock and flushes one record at a
    time, so the previous hash read here is the chain's real end.
    """
    if record.at is None:
        record.at = utcnow()
    record.candidates = record.candidates or []
    record.params = record.params or {}
    record.prev_hash = last_hash(connection, record.court_id)
    record.hash = record.compute_hash()


@event.listens_for(AllocationRecord, "before_update")
def _refuse_update(_mapper: Any, _connection: Any, record: AllocationRecord) -> None:
    session = object_session(record)
    if session is not None and not session.is_modified(
        record, include_collections=False
    ):
        return
    logger.error("refused to change allocation record id=%s", record.id)
    raise PermissionError(f"allocation record {record.id} is append-only")


@event.listens_for(AllocationRecord, "before_delete")
def _refuse_delete(_mapper: Any, _connection: Any, record: AllocationRecord) -> None:
    logger.error("refused to delete allocation record id=%s", record.id)
    raise PermissionError(f"allocation record {record.id} is append-only")
