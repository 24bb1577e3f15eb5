"""The record that a reminder went out, which is what makes it go out once."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.models import Model, utcnow


class ReminderSent(Model):
    """One level of one rule reached by one record, and when it was told.

    The unique key is the once-only guarantee: a second run on the same day,
    or a second scheduler, cannot insert the same level again. ``round`` is
    empty unless the rule restarts its reminders (a new loan of a volume).
    """

    __tablename__ = "reminder_sent"
    __table_args__ = (sa.UniqueConstraint("rule", "subject_id", "round", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    subject_id: Mapped[int] = mapped_column(nullable=False)
    round: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    level: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    rank: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    court_id: Mapped[int] = mapped_column(
        sa.ForeignKey("court.id"), nullable=False, index=True
    )
    deadline: Mapped[date] = mapped_column(sa.Date, nullable=False)
    recipients: Mapped[int] = mapped_column(nullable=False, default=0)
    sent_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )
