"""Case types as the state profile declares them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import Mapped, mapped_column

from portal.models import Timestamped


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
