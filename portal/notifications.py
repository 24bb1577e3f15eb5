"""The in-portal inbox: short messages to officers, with a link to the record.

Plugins call ``notify`` inside their transaction (usually from an event job),
so a message exists exactly when the change that caused it committed. The
inbox is the record; e-mail (``portal.mail``) and any channel a plugin adds
through ``spkms_notification_channels`` are copies sent afterwards by the
``notifications.deliver`` job, which retries a channel that failed without
ever holding the inbox up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, redirect, request
from flask_appbuilder import AppBuilder, ModelView, action, expose, has_access
from flask_appbuilder.models.sqla.filters import FilterEqualFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import force_locale, lazy_gettext
from flask_babel.speaklater import LazyString
from sqlalchemy.orm import Mapped, mapped_column

from portal import i18n
from portal.extensions import db
from portal.i18n import N_
from portal.models import Model, utcnow

logger = logging.getLogger(__name__)

#: Text of a message: a plain string, or a lazy translation with its values.
Text = str | LazyString


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


class NotificationDelivery(Model):
    """One channel's copy of one message: sent, or why it has not been yet."""

    __tablename__ = "notification_delivery"
    __table_args__ = (sa.UniqueConstraint("notification_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        sa.ForeignKey("notification.id", ondelete="CASCADE"), nullable=False
    )
    channel: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(sa.String(500))


#: Messages handed to one ``notifications.deliver`` job.
DELIVERY_BATCH = 200


def notify(
    user_ids: Iterable[int], subject: Text, body: Text = "", link: str | None = None
) -> int:
    """Put a message in each officer's inbox (in the caller's transaction).

    ``subject`` and ``body`` may be ``lazy_gettext(...)`` with their values:
    each copy is then written in its reader's language (their stored choice,
    else Malay), since the inbox keeps text, not message ids.
    """
    ids = sorted(set(user_ids))
    chosen = i18n.stored_locales(ids)
    messages = []
    for user_id in ids:
        with force_locale(chosen.get(user_id, i18n.default_locale())):
            messages.append(
                Notification(
                    user_id=user_id,
                    subject=str(subject)[:200],
                    body=str(body),
                    link=link,
                )
            )
    db.session.add_all(messages)
    if messages and channels():
        db.session.flush()
        deliver_later([message.id for message in messages])
    logger.info(
        "notified %d officer(s): %s",
        len(messages),
        messages[0].subject if messages else "",
    )
    return len(messages)


def officers_with_role(role: str, court_id: int | None = None) -> list[int]:
    """Ids of the active officers who hold ``role``, at ``court_id`` if given.

    The usual answer to "who must be told": the court's registrars of a new
    case, its records officers of an overdue file; without a court, everyone
    in the state holding the role (the chief registrar).
    """
    from flask_appbuilder.security.sqla.models import Role, User, assoc_user_role

    from portal.models import OfficerCourt

    query = (
        sa.select(User.id)
        .join(assoc_user_role, assoc_user_role.c.user_id == User.id)
        .join(Role, Role.id == assoc_user_role.c.role_id)
        .where(Role.name == role, User.active)
    )
    if court_id is not None:
        query = query.join(OfficerCourt, OfficerCourt.user_id == User.id).where(
            OfficerCourt.court_id == court_id
        )
    return list(db.session.scalars(query.distinct().order_by(User.id)))


def officers_of(court_id: int, role: str) -> list[int]:
    """Ids of the active officers posted to ``court_id`` who hold ``role``."""
    return officers_with_role(role, court_id)


Channel = Callable[[Notification, Any], None]


def channels() -> dict[str, Channel]:
    """The channels on in this app: e-mail when SMTP is set, then the plugins'."""
    from portal.app import spkms
    from portal.mail import send_email

    found: dict[str, Channel] = {}
    if current_app.config.get("SPKMS_SMTP_HOST"):
        found["email"] = send_email
    for answer in spkms().hook.spkms_notification_channels():
        found.update(answer or {})
    return found


def deliver_later(notification_ids: list[int]) -> None:
    """Queue the channel copies of committed-to-be messages, in batches.

    Nothing is queued when no channel is on (the embedded demo), so the
    outbox does not fill with work that has nowhere to go.
    """
    if not notification_ids or not channels():
        return
    from portal.jobs import enqueue

    for start in range(0, len(notification_ids), DELIVERY_BATCH):
        enqueue(
            "notifications.deliver",
            notification_ids=notification_ids[start : start + DELIVERY_BATCH],
        )


def deliver(notification_ids: list[int]) -> dict[str, int]:
    """The ``notifications.deliver`` job: send each message on each channel once.

    A copy already delivered is skipped, so a retry resends only what failed.
    Each attempt is committed as it happens; if any copy failed the job
    raises at the end and the outbox retries it later with back-off.
    """
    from flask_appbuilder.security.sqla.models import User

    active = channels()
    delivered = failed = 0
    errors: list[str] = []
    for message in db.session.scalars(
        sa.select(Notification).where(Notification.id.in_(notification_ids))
    ):
        user = db.session.get(User, message.user_id)
        for name, channel in active.items():
            record = db.session.scalar(
                sa.select(NotificationDelivery).where(
                    NotificationDelivery.notification_id == message.id,
                    NotificationDelivery.channel == name,
                )
            ) or NotificationDelivery(notification_id=message.id, channel=name)
            if record.delivered_at is not None:
                continue
            record.attempts = (record.attempts or 0) + 1
            db.session.add(record)
            try:
                channel(message, user)
            except Exception as exc:
                record.last_error = f"{type(exc).__name__}: {exc}"[:500]
                failed += 1
                errors.append(f"{name} notification={message.id}: {record.last_error}")
                logger.warning(
                    "delivery failed: channel=%s notification=%s user=%s error=%s",
                    name,
                    message.id,
                    message.user_id,
                    record.last_error,
                )
            else:
                record.delivered_at = utcnow()
                record.last_error = None
                delivered += 1
            db.session.commit()
    if errors:
        raise DeliveryFailed(errors)
    return {"delivered": delivered, "failed": failed}


class DeliveryFailed(RuntimeError):
    """Some copies could not be sent; the job is retried for those only."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} copies not sent; first: {errors[0]}")
        self.errors = errors


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
    list_title = lazy_gettext("Peti Masuk")
    show_title = lazy_gettext("Mesej")
    base_permissions = ["can_list", "can_show", "can_open"]
    base_filters = [["user_id", FilterEqualFunction, _current_user_id]]
    list_columns = ["created_at", "subject", "read_at"]
    show_columns = ["created_at", "subject", "body", "link", "read_at"]
    base_order = ("created_at", "desc")
    label_columns = {
        "created_at": lazy_gettext("Masa"),
        "subject": lazy_gettext("Perkara"),
        "body": lazy_gettext("Mesej"),
        "link": lazy_gettext("Pautan"),
        "read_at": lazy_gettext("Dibaca"),
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

    @action("mark_read", lazy_gettext("Tanda dibaca"), "", "fa-check", single=False)
    def mark_read(self, items: Any) -> Any:
        for item in items if isinstance(items, list) else [items]:
            if item.user_id == _current_user_id() and item.read_at is None:
                item.read_at = utcnow()
        db.session.commit()
        return redirect(request.referrer or "/inbox/list/")


def register_views(appbuilder: AppBuilder) -> None:
    """The inbox screens, and its unread count in the navigation bar.

    ``portal/templates/appbuilder/navbar_right.html`` adds the count and then
    includes Flask-AppBuilder's own template, reachable under ``fab/``.
    """
    import flask_appbuilder
    from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader

    appbuilder.add_view(InboxView, N_("Peti Masuk"), category=N_("Peti Masuk"))
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    fab_templates = f"{flask_appbuilder.__path__[0]}/templates"
    app.jinja_loader = ChoiceLoader(
        [app.jinja_loader, PrefixLoader({"fab": FileSystemLoader(fab_templates)})]
    )

    @app.context_processor
    def inbox_count() -> dict[str, Any]:
        def inbox_unread() -> int:
            user_id = _current_user_id()
            return unread_count(user_id) if user_id else 0

        return {"inbox_unread": inbox_unread}
