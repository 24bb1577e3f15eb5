"""Officers' digital certificates (Softcert) and the identity number they carry.

A certificate is registered by the administrator before it opens the officers'
portal; a certificate that is not registered can still map to an officer
through the identity number (MyKad) in its subject, when the officer's number
is on record here. Both tables are versioned, so who registered or revoked a
certificate, and when, stays in the audit trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models import Timestamped, utcnow


class OfficerIdentity(Timestamped, Model):
    """An officer's identity number (MyKad, 12 digits) for certificate mapping."""

    __tablename__ = "officer_identity"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ab_user.id"), unique=True, nullable=False
    )
    id_number: Mapped[str] = mapped_column(sa.String(12), unique=True, nullable=False)

    user: Mapped[Any] = relationship("User")

    def __repr__(self) -> str:
        return f"{self.user} ({self.id_number})"


class OfficerCertificate(Timestamped, Model):
    """One registered client certificate of one officer (an officer may hold
    several: a renewal overlaps the old one, a token and a soft certificate).

    ``fingerprint`` is the SHA-256 of the DER encoding in lower-case hex; it is
    what nginx's forwarded certificate is matched by. A revoked row stays, with
    who revoked it and why.
    """

    __tablename__ = "officer_certificate"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ab_user.id"), nullable=False, index=True
    )
    fingerprint: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    issuer: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    serial: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    not_before: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False
    )
    not_after: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, index=True
    )
    pem: Mapped[str] = mapped_column(sa.Text, nullable=False)
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(300))
    #: When the officer and administrators were told it expires soon (once).
    expiry_warned_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True)
    )

    user: Mapped[Any] = relationship("User", foreign_keys=[user_id])
    registered_by: Mapped[Any] = relationship("User", foreign_keys=[registered_by_id])
    revoked_by: Mapped[Any] = relationship("User", foreign_keys=[revoked_by_id])

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_current(self, now: datetime | None = None) -> bool:
        """Not revoked here and inside its validity dates."""
        now = now or utcnow()
        return not self.is_revoked and _aware(self.not_before) <= now <= _aware(
            self.not_after
        )

    def __repr__(self) -> str:
        return f"{self.subject} [{self.fingerprint[:16]}]"


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
