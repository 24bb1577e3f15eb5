"""The access log: every read of a court-owned record and every denied try."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import Mapped, mapped_column

from portal.models import utcnow


class AccessLog(Model):
    """One read, export, denied attempt, login, logout or refused login.
    Written once, never changed.

    Not versioned: it is itself the trail. It is written on its own connection
    so a request that rolls back still leaves its entry behind. ``hash`` chains
    each row to the one before it (``portal.audit.chain``), so a row altered or
    removed in the database is found by ``spkms audit verify``.
    """

    __tablename__ = "access_log"
    __table_args__ = (
        sa.Index("ix_access_log_record", "table_name", "record_id"),
        sa.UniqueConstraint("hash", name="uq_access_log_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, nullable=False, index=True
    )
    user_id: Mapped[int | None] = mapped_column(index=True)
    username: Mapped[str | None] = mapped_column(sa.String(100))
    remote_addr: Mapped[str | None] = mapped_column(sa.String(50))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    allowed: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    table_name: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    record_id: Mapped[str | None] = mapped_column(sa.String(64))
    endpoint: Mapped[str | None] = mapped_column(sa.String(200))
    #: Why: the refusal reason, the certificate used, "emergency" logins.
    detail: Mapped[str | None] = mapped_column(sa.String(500))
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64))

    def __repr__(self) -> str:
        verdict = "ok" if self.allowed else "DITOLAK"
        record = f"{self.table_name}:{self.record_id}"
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {record} {verdict}"
        )


class AuditChainHead(Model):
    """The one row that holds the end of the access log's hash chain.

    Writers lock it (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's
    ``BEGIN IMMEDIATE`` already serialises) so two workers never chain onto
    the same predecessor, and it lets ``verify`` notice rows cut off the end.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int | None] = mapped_column()
    last_hash: Mapped[str | None] = mapped_column(sa.String(64))
    length: Mapped[int] = mapped_column(default=0, nullable=False)
