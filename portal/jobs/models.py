"""The job outbox: one row per job a transaction asked for.

A job is written to this table in the same transaction as the change that
caused it, so it exists exactly when that change committed. The row then
carries the job through its life (pending, dispatched, running, done; failed
while retries remain, dead once they are used up) and is what ``spkms jobs
list`` and support read. Not versioned: the row is itself the record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db  # noqa: F401  (make_versioned runs first)
from portal.models import utcnow

#: Committed, waiting to be handed to a worker (or run in-process).
PENDING = "pending"
#: Pushed to the RQ queue; a worker has not claimed it yet.
DISPATCHED = "dispatched"
#: Claimed by a worker or the in-process runner.
RUNNING = "running"
#: Ran and committed.
DONE = "done"
#: Raised; runs again once ``available_at`` is reached.
FAILED = "failed"
#: Raised on its last allowed attempt; nothing runs it again.
DEAD = "dead"

STATES = (PENDING, DISPATCHED, RUNNING, DONE, FAILED, DEAD)
#: States a runner may claim a row from (one UPDATE moves it to running).
CLAIMABLE = (PENDING, DISPATCHED, FAILED)
#: States ``drain`` hands over again once ``available_at`` has passed.
WAITING = (PENDING, FAILED)


class OutboxJob(Model):
    """One queued run of a registered job, with its arguments and outcome.

    ``dedup_key`` is unique: the scheduler names each occurrence of a schedule
    with it, so two schedulers racing for the same occurrence insert one row.
    ``user_id`` and ``request_id`` say who and which request caused the job;
    the job itself runs as the service user.
    """

    __tablename__ = "job_outbox"
    __table_args__ = (
        sa.CheckConstraint(sa.column("state").in_(STATES), name="ck_job_outbox_state"),
        sa.Index("ix_job_outbox_waiting", "state", "available_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    kwargs: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, nullable=False, default=dict
    )
    state: Mapped[str] = mapped_column(sa.String(20), nullable=False, default=PENDING)
    dedup_key: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    max_attempts: Mapped[int] = mapped_column(nullable=False, default=5)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    user_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )
    available_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"<OutboxJob {self.id} {self.name} {self.state}>"
