"""Fee types of the state's fee schedule."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import Mapped, mapped_column

from portal.models import Timestamped


class FeeType(Timestamped, Model):
    """A fee the court collects, with its revenue code (kod hasil).

    Money is whole sen (``amount_sen``), never a float.
    """

    __tablename__ = "fee_type"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    revenue_code: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    amount_sen: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        return f"{self.code} {self.name}"
