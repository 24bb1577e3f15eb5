"""Parties (pihak), Syariah lawyers (Peguam Syarie) and merges of duplicates.

A party's profile is shared by every court of the state: it is keyed once,
by identity number, and found again wherever the person next comes to court.
So these tables are not court-owned; ``keyed_at_court`` only records where
a profile was first keyed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugins.parties.identity import MALAYSIAN, display_number
from portal.models import Court, Timestamped, utcnow

#: Name of the GIN trigram index on ``party.name_key`` (a plain index on SQLite).
NAME_KEY_INDEX = "ix_party_name_key_trgm"


class Party(Timestamped, Model):
    """A person who is a party to cases: applicant, respondent, accused, ...

    One profile per identity: the database refuses a second row with the same
    ``identity_type``, ``identity_number`` and ``nationality``. The number is
    stored canonical (a MyKad as 12 digits). ``name_key`` is the searchable
    normal form of ``full_name`` (see ``plugins.parties.search``), written by
    the service with every change. A duplicate profile merged into another
    keeps its row, pointing at the survivor through ``merged_into``.
    """

    __tablename__ = "party"
    __versioned__: dict[str, Any] = {}
    __table_args__ = (
        sa.UniqueConstraint(
            "identity_type",
            "identity_number",
            "nationality",
            name="uq_party_identity",
        ),
        sa.CheckConstraint("gender IN ('L', 'P')", name="ck_party_gender"),
        sa.Index(
            NAME_KEY_INDEX,
            "name_key",
            postgresql_using="gin",
            postgresql_ops={"name_key": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    name_key: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    identity_type: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    identity_number: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    # Python-side default only: the service always sets it (MYS for the
    # Malaysian identity types, the passport's country otherwise).
    nationality: Mapped[str] = mapped_column(
        sa.String(3), nullable=False, default=MALAYSIAN
    )
    birth_date: Mapped[date | None] = mapped_column(sa.Date)
    gender: Mapped[str | None] = mapped_column(sa.String(1))
    address_line1: Mapped[str | None] = mapped_column(sa.String(200))
    address_line2: Mapped[str | None] = mapped_column(sa.String(200))
    address_line3: Mapped[str | None] = mapped_column(sa.String(200))
    postcode: Mapped[str | None] = mapped_column(sa.String(5))
    town: Mapped[str | None] = mapped_column(sa.String(100))
    state: Mapped[str | None] = mapped_column(sa.String(50))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    keyed_at_court_id: Mapped[int | None] = mapped_column(sa.ForeignKey("court.id"))
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("party.id"), index=True
    )

    keyed_at_court: Mapped[Court | None] = relationship(Court)
    merged_into: Mapped[Party | None] = relationship(remote_side=[id])

    @property
    def identity_display(self) -> str:
        """The identity number as people write it (``YYMMDD-PB-###G``)."""
        return display_number(self.identity_type, self.identity_number)

    def __repr__(self) -> str:
        return f"{self.full_name} ({self.identity_display})"


#: pg_trgm provides the GIN operator class of the name index; a schema built
#: from the models (``create_all``, as the tests do) needs it first, like the
#: migration. It lives in ``public`` so that every schema on the path sees it.
CREATE_PG_TRGM = "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"
sa.event.listen(
    Party.__table__,
    "before_create",
    sa.DDL(CREATE_PG_TRGM).execute_if(dialect="postgresql"),
)


class Lawyer(Timestamped, Model):
    """A Syariah lawyer (Peguam Syarie) admitted to practise in the state.

    ``certificate_number`` is the practising certificate (sijil amalan),
    stored upper-case and unique; a lawyer who stops practising is made
    inactive, never deleted, because old cases still name them.
    """

    __tablename__ = "lawyer"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    certificate_number: Mapped[str] = mapped_column(
        sa.String(30), unique=True, nullable=False
    )
    firm: Mapped[str | None] = mapped_column(sa.String(200))
    address: Mapped[str | None] = mapped_column(sa.String(500))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        return f"{self.name} ({self.certificate_number})"


class PartyMerge(Model):
    """One duplicate profile merged into a surviving one (gabungan profil).

    Written by ``services.merge_parties`` in the transaction that moved the
    duplicate's references, so the record and the moves stand or fall
    together. ``forced`` marks a merge of two different valid MyKad numbers,
    which needs the registrar's reason.
    """

    __tablename__ = "party_merge"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("party.id"), nullable=False, index=True
    )
    merged_id: Mapped[int] = mapped_column(
        sa.ForeignKey("party.id"), nullable=False, index=True
    )
    reason: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    forced: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    merged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    merged_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )
    moved_references: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)

    survivor: Mapped[Party] = relationship(foreign_keys=[survivor_id])
    merged: Mapped[Party] = relationship(foreign_keys=[merged_id])
    merged_by: Mapped[Any] = relationship("User")

    def __repr__(self) -> str:
        return f"{self.merged_id} -> {self.survivor_id}"
