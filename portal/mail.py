"""E-mail copies of inbox messages, over SMTP.

Settings: ``SPKMS_SMTP_HOST`` (e-mail is off without it), ``SPKMS_SMTP_PORT``
(25), ``SPKMS_SMTP_STARTTLS`` (off), ``SPKMS_SMTP_USER`` and
``SPKMS_SMTP_PASSWORD`` (no login without a user), ``SPKMS_MAIL_FROM`` and
``SPKMS_PUBLIC_URL`` (the portal's address, to turn a message's link into one
an e-mail reader can follow).
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Any

from flask import current_app
from flask_babel import gettext

from portal.i18n import render_for_user

logger = logging.getLogger(__name__)

#: Seconds to wait for the mail server before the attempt counts as failed.
SMTP_TIMEOUT = 20


class NoAddress(ValueError):
    """The officer has no e-mail address; nothing to send, nothing to retry."""


def compose(notification: Any, user: Any) -> EmailMessage:
    """The e-mail of one inbox message, in the reader's language like the message."""
    config = current_app.config
    if user is None or not getattr(user, "email", None):
        raise NoAddress(f"user {getattr(user, 'id', None)} has no e-mail address")
    message = EmailMessage()
    # The subject and body were written in the reader's language by notify();
    # the lines added here follow the same choice.
    message["Subject"] = f"[SPKMS] {notification.subject}"
    message["From"] = config.get("SPKMS_MAIL_FROM", "spkms@localhost")
    message["To"] = user.email
    message["Message-ID"] = f"<spkms-notification-{notification.id}@spkms>"
    lines = [notification.body or notification.subject]
    with render_for_user(user.id):
        if notification.link:
            base = str(config.get("SPKMS_PUBLIC_URL", "")).rstrip("/")
            link = f"{base}{notification.link}"
            lines += ["", gettext("Pautan: %(link)s", link=link)]
        lines += ["", gettext("Mesej ini juga ada dalam Peti Masuk anda di SPKMS.")]
    message.set_content("\n".join(lines))
    return message


def send_email(notification: Any, user: Any) -> None:
    """The ``email`` channel: send one message; raise when the server refuses."""
    try:
        message = compose(notification, user)
    except NoAddress:
        logger.info(
            "no e-mail sent: notification=%s user=%s has no address",
            notification.id,
            notification.user_id,
        )
        return
    config = current_app.config
    host = config["SPKMS_SMTP_HOST"]
    port = int(config.get("SPKMS_SMTP_PORT") or 25)
    with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT) as smtp:
        if config.get("SPKMS_SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("SPKMS_SMTP_USER"):
            smtp.login(config["SPKMS_SMTP_USER"], config.get("SPKMS_SMTP_PASSWORD", ""))
        smtp.send_message(message)
    logger.info(
        "e-mail sent: notification=%s user=%s to=%s",
        notification.id,
        notification.user_id,
        message["To"],
    )
