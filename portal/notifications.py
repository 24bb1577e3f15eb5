"""The in-portal inbox: short messages to officers, with a link to the record.

Plugins call ``notify`` inside their transaction (usually from an event job),
so a message exists exactly when the change that caused it committed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import g, redirect, request
from flask_appbuilder import AppBuilder, ModelView, action, expose, has_access
from flask_appbuilder.models.sqla.filters import FilterEqualFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models import Model, utcnow

logger = logging.getLogger(__name__)


class Notification(Model):
    """One message in one officer's inbox."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ab_user.id"), nullable=False, index=True
    )
    subject: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    link: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, nullable=False
    )
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    def __repr__(self) -> str:
        return self.subject


def notify(
    user_ids: Iterable[int], subject: str, body: str = "", link: str | None = None
) -> int:
    """Put a message in each officer's inbox (in the caller's transaction)."""
    count = 0
    for user_id in sorted(set(user_ids)):
        db.session.add(
            Notification(user_id=user_id, subject=subject, body=body, link=link)
        )
        count += 1
    logger.info("notified %d officer(s): %s", count, subject)
    return count


def officers_of(court_id: int, role: str) -> list[int]:
    """Ids of the active officers posted to ``court_id`` who hold ``role``.

    The usual answer to "who must be told": the court's registrars of a new
    case, its records officers of an overdue file.
    """
    from flask_appbuilder.security.sqla.models import Role, User, assoc_user_role

    from portal.models import OfficerCourt

    return list(
        db.session.scalars(
            sa.select(User.id)
            .join(OfficerCourt, OfficerCourt.user_id == User.id)
            .join(assoc_user_role, assoc_user_role.c.user_id == User.id)
            .join(Role, Role.id == assoc_user_role.c.role_id)
            .where(OfficerCourt.court_id == court_id, Role.name == role, User.active)
            .distinct()
            .order_by(User.id)
        )
    )


def unread_count(user_id: int) -> int:
    """How many unread messages the officer has."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def _current_user_id() -> int | None:
    return getattr(g.get("user"), "id", None)


class InboxView(ModelView):
    """The officer's own messages (Peti Masuk); nobody sees another's."""

    datamodel = SQLAInterface(Notification)
    route_base = "/inbox"
    list_title = "Peti Masuk"
    base_permissions = ["can_list", "can_show", "can_open"]
    base_filters = [["user_id", FilterEqualFunction, _current_user_id]]
    list_columns = ["created_at", "subject", "read_at"]
    show_columns = ["created_at", "subject", "body", "link", "read_at"]
    base_order = ("created_at", "desc")
    label_columns = {
        "created_at": "Masa",
        "subject": "Perkara",
        "body": "Mesej",
        "link": "Pautan",
        "read_at": "Dibaca",
    }

    @expose("/open/<int:pk>")
    @has_access
    def open(self, pk: int) -> Any:
        """Mark the message read and go to the record it is about."""
        message = self.datamodel.get(pk, self._base_filters)
        if message is None:
            return self.render_template("spkms/not_found.html"), 404
        if message.read_at is None:
            message.read_at = utcnow()
            db.session.commit()
        return redirect(message.link or request.referrer or "/")

    @action("mark_read", "Tanda dibaca", "", "fa-check", single=False)
    def mark_read(self, items: Any) -> Any:
        for item in items if isinstance(items, list) else [items]:
            if item.user_id == _current_user_id() and item.read_at is None:
                item.read_at = utcnow()
        db.session.commit()
        return redirect(request.referrer or "/inbox/list/")


def register_views(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(InboxView, "Peti Masuk", category="Peti Masuk")
