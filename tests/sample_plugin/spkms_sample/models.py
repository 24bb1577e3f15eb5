"""The sample plugin's tables: sealed notes and posting notices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models import Confidential, CourtOwned, Timestamped, utcnow


class SealedNote(CourtOwned, Confidential, Timestamped, Model):
    """A note kept on a court's file that may be sealed (sulit) for its judge.

    Court-owned and confidential, so the host's one access check narrows every
    screen and API query on it; versioned, so every change keeps its author.
    A sealed note stays readable by its judge (``judge_user_id``), the
    registrars of its court and officers granted it by name.
    """

    __tablename__ = "sample_sealed_note"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    judge_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ab_user.id"), index=True
    )

    judge_user: Mapped[Any] = relationship("User")

    @classmethod
    def judge_user_ids(cls) -> sa.ColumnElement[Any] | None:
        """The note's judge, whom confidentiality never hides it from."""
        return cls.judge_user_id

    def __repr__(self) -> str:
        return self.title


class PostingNotice(Model):
    """A notice that an officer was posted to a court.

    Written by the plugin's ``officer_posted`` event handler, inside the job
    that delivers the event, so a row here proves the handler ran after the
    host committed the posting. Not versioned: nobody edits a notice.
    """

    __tablename__ = "sample_posting_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ab_user.id"), nullable=False, index=True
    )
    court_id: Mapped[int] = mapped_column(sa.ForeignKey("court.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, nullable=False
    )

    def __repr__(self) -> str:
        return f"<PostingNotice user={self.user_id} court={self.court_id}>"
