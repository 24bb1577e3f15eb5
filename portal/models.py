"""The host's own tables: courts, officers' court postings, judges, access
grants, and the mixins that make a plugin's table court-owned or confidential.

Every domain table is versioned by SQLAlchemy-Continuum (``__versioned__``):
who changed what, when and from which address, and a deleted row keeps its
last version so it can be restored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_appbuilder import Model
from flask_appbuilder.security.sqla import models as fab_models  # noqa: F401
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from portal.extensions import db  # noqa: F401  (make_versioned runs first)

if TYPE_CHECKING:
    from portal.security.access import Viewer


def utcnow() -> datetime:
    """Aware UTC now: the database keeps UTC, screens show Malaysia time."""
    return datetime.now(UTC)


class Timestamped:
    """Creation and change times; the author lives in the version history."""

    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, nullable=False
    )
    changed_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow, nullable=False
    )


class CourtOwned:
    """A record that belongs to one court.

    The access check (``portal.security.access``) narrows every query on such a
    table to the viewer's courts. A table owned through another row (a hearing
    through its case) does not use this mixin; it defines a classmethod
    ``scope_parent()`` returning ``(foreign key column, owning model)`` and is
    visible exactly when its owner is.
    """

    @declared_attr
    def court_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("court.id"), nullable=False, index=True)

    @declared_attr
    def court(cls) -> Mapped[Court]:
        # Named explicitly: an owned row may point at other courts too.
        return relationship("Court", foreign_keys=f"{cls.__name__}.court_id")

    @classmethod
    def court_scope(cls, court_ids: frozenset[int]) -> sa.ColumnElement[bool]:
        """SQL condition: the row belongs to one of ``court_ids``."""
        return cls.court_id.in_(sorted(court_ids))


class Confidential:
    """A record that may be marked confidential (sulit).

    A confidential row is further limited to its judge, the registrars of its
    court and officers granted access by name (``AccessGrant``).
    """

    confidential: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, nullable=False, server_default=sa.false()
    )

    @classmethod
    def judge_user_ids(cls) -> sa.ColumnElement[Any] | None:
        """SQL expression for the user id of the row's judge, or ``None``."""
        return None

    @classmethod
    def confidential_scope(cls, viewer: Viewer) -> sa.ColumnElement[bool]:
        """SQL condition: the viewer may read this row despite confidentiality."""
        allowed: list[sa.ColumnElement[bool]] = [cls.confidential.is_(False)]
        if viewer.registrar_court_ids and hasattr(cls, "court_scope"):
            allowed.append(cls.court_scope(viewer.registrar_court_ids))
        judge = cls.judge_user_ids()
        if judge is not None:
            allowed.append(judge == viewer.user_id)
        allowed.append(
            sa.exists().where(
                AccessGrant.table_name == cls.__tablename__,
                AccessGrant.record_id == cls.id,
                AccessGrant.user_id == viewer.user_id,
            )
        )
        return sa.or_(*allowed)


class Court(Timestamped, Model):
    """A Syariah court of the state: district (rendah), high (tinggi), appeal.

    Levels are data from the state profile, not an enum, because a state may
    add one (Kedah's Mahkamah Utama Syariah).
    """

    __tablename__ = "court"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(5), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    level: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    district: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("court.id"))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)

    parent: Mapped[Court | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"{self.code} {self.name}"


class OfficerCourt(Timestamped, Model):
    """An officer's posting at a court: the courts whose records they may see."""

    __tablename__ = "officer_court"
    __versioned__: dict[str, Any] = {}
    __table_args__ = (sa.UniqueConstraint("user_id", "court_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("ab_user.id"), nullable=False)
    court_id: Mapped[int] = mapped_column(sa.ForeignKey("court.id"), nullable=False)

    user: Mapped[Any] = relationship("User")
    court: Mapped[Court] = relationship()

    def __repr__(self) -> str:
        return f"{self.user} @ {self.court}"


class Judge(CourtOwned, Timestamped, Model):
    """A judge (Hakim Syarie): an officer who hears cases at a home court.

    The levels and categories a judge handles and leave periods are used by
    allocation; here the record only ties the officer to the bench.
    """

    __tablename__ = "judge"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ab_user.id"), unique=True, nullable=False
    )
    title: Mapped[str] = mapped_column(sa.String(100), default="Hakim Syarie")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)

    user: Mapped[Any] = relationship("User")

    def __repr__(self) -> str:
        return f"{self.title} {self.user}"


class AccessGrant(Timestamped, Model):
    """Access to one confidential record granted to one officer by name."""

    __tablename__ = "access_grant"
    __versioned__: dict[str, Any] = {}
    __table_args__ = (sa.UniqueConstraint("table_name", "record_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    record_id: Mapped[int] = mapped_column(nullable=False)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("ab_user.id"), nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(500), nullable=False)

    user: Mapped[Any] = relationship("User")
