"""The certificate registry: register, revoke and list officers' certificates,
record officers' identity numbers, and warn before certificates expire.

Rules live here, free of request objects, so the administrator's screens, the
``spkms certs`` commands and the daily job share them. Each function works in
the caller's session and commits once, so a refusal leaves nothing behind.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from cryptography import x509
from flask import current_app, g
from flask_babel import lazy_gettext

from portal.extensions import db
from portal.models import utcnow
from portal.security.certificates import (
    CertificateRefused,
    check_chain,
    check_key_usage,
    load_trust_store,
)
from portal.security.models import OfficerCertificate, OfficerIdentity
from portal.security.pki import PkiError, fingerprint, normalise_id_number

logger = logging.getLogger(__name__)


class RegistryError(ValueError):
    """A registry change refused; the message starts with the field at fault."""


def _actor_id() -> int | None:
    user = g.get("user")
    if getattr(user, "id", None) is None:
        user = current_app.appbuilder.sm.service_user()
        g.user = user
    return user.id


def _user_by_name(username: str) -> Any:
    user = current_app.appbuilder.sm.find_user(username=username)
    if user is None:
        raise RegistryError(f"username: no officer named {username!r}")
    return user


def parse_pem(pem: str) -> x509.Certificate:
    """Exactly one certificate, PEM-encoded, that is not itself a CA."""
    try:
        certs = x509.load_pem_x509_certificates(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise RegistryError(f"pem: not a PEM certificate ({exc})") from exc
    if len(certs) != 1:
        raise RegistryError(f"pem: expected one certificate, found {len(certs)}")
    cert = certs[0]
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
        if constraints.value.ca:
            raise RegistryError("pem: this is a CA certificate, not an officer's")
    except x509.ExtensionNotFound:
        pass
    return cert


def register(user_id: int, pem: str) -> OfficerCertificate:
    """Register a PEM certificate to officer ``user_id``.

    When a CA bundle is configured the certificate must chain to it, be valid
    today and allow client login: a certificate that could never log in is
    refused at the desk, not at the officer's first try.
    """
    cert = parse_pem(pem)
    digest = fingerprint(cert)
    existing = db.session.scalar(
        sa.select(OfficerCertificate).where(OfficerCertificate.fingerprint == digest)
    )
    if existing is not None:
        raise RegistryError(
            f"pem: already registered to {existing.user.username} (id {existing.id})"
        )
    ca_file = current_app.config.get("SPKMS_CERT_CA_FILE")
    try:
        if ca_file:
            check_chain(cert, load_trust_store(ca_file, None), utcnow())
        check_key_usage(cert)
    except CertificateRefused as refusal:
        raise RegistryError(f"pem: {refusal.message_en} ({refusal.detail})") from None
    row = OfficerCertificate(
        user_id=user_id,
        fingerprint=digest,
        subject=cert.subject.rfc4514_string()[:500],
        issuer=cert.issuer.rfc4514_string()[:500],
        serial=f"{cert.serial_number:x}",
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        pem=pem.strip(),
        registered_by_id=_actor_id(),
    )
    db.session.add(row)
    db.session.commit()
    logger.info(
        "certificate registered: id=%s user=%s sha256=%s", row.id, user_id, digest
    )
    return row


def register_for_username(username: str, pem: str) -> OfficerCertificate:
    return register(_user_by_name(username).id, pem)


def revoke(certificate_id: int, reason: str) -> OfficerCertificate:
    """Revoke a registered certificate: it no longer opens the portal."""
    reason = (reason or "").strip()
    if not reason:
        raise RegistryError("reason: say why the certificate is revoked")
    row = db.session.get(OfficerCertificate, certificate_id)
    if row is None:
        raise RegistryError(
            f"certificate_id: no registered certificate {certificate_id}"
        )
    if row.revoked_at is not None:
        raise RegistryError(f"certificate_id: {certificate_id} is already revoked")
    row.revoked_at = utcnow()
    row.revoked_by_id = _actor_id()
    row.revoked_reason = reason[:300]
    db.session.commit()
    logger.warning(
        "certificate revoked: id=%s user=%s sha256=%s by=%s",
        row.id,
        row.user_id,
        row.fingerprint,
        row.revoked_by_id,
    )
    return row


def set_identity(user_id: int, id_number: str) -> OfficerIdentity:
    """Record (or change) the officer's MyKad number used to map certificates."""
    try:
        number = normalise_id_number(id_number)
    except PkiError as exc:
        raise RegistryError(str(exc)) from exc
    taken = db.session.scalar(
        sa.select(OfficerIdentity).where(
            OfficerIdentity.id_number == number, OfficerIdentity.user_id != user_id
        )
    )
    if taken is not None:
        raise RegistryError(f"id_number: already recorded for {taken.user.username}")
    row = db.session.scalar(
        sa.select(OfficerIdentity).where(OfficerIdentity.user_id == user_id)
    )
    if row is None:
        row = OfficerIdentity(user_id=user_id, id_number=number)
        db.session.add(row)
    else:
        row.id_number = number
    _actor_id()
    db.session.commit()
    return row


def set_identity_for_username(username: str, id_number: str) -> OfficerIdentity:
    return set_identity(_user_by_name(username).id, id_number)


def listing(username: str | None = None) -> list[OfficerCertificate]:
    query = sa.select(OfficerCertificate).order_by(OfficerCertificate.not_after.desc())
    if username:
        query = query.where(OfficerCertificate.user_id == _user_by_name(username).id)
    return list(db.session.scalars(query))


def administrators() -> list[int]:
    """Active holders of the Admin role (the service user is inactive)."""
    from flask_appbuilder.security.sqla.models import Role, User, assoc_user_role

    role = current_app.config.get("AUTH_ROLE_ADMIN", "Admin")
    return list(
        db.session.scalars(
            sa.select(User.id)
            .join(assoc_user_role, assoc_user_role.c.user_id == User.id)
            .join(Role, Role.id == assoc_user_role.c.role_id)
            .where(Role.name == role, User.active)
            .distinct()
        )
    )


def warn_expiring() -> int:
    """Tell each officer, and the administrators, of certificates expiring soon.

    Once per certificate: ``expiry_warned_at`` is set in the same transaction
    as the messages. Returns how many certificates were warned about.
    """
    from portal.notifications import notify
    from portal.timezone import show_local

    days = int(current_app.config.get("SPKMS_CERT_EXPIRY_WARN_DAYS", 30))
    now = utcnow()
    due = list(
        db.session.scalars(
            sa.select(OfficerCertificate)
            .where(
                OfficerCertificate.revoked_at.is_(None),
                OfficerCertificate.expiry_warned_at.is_(None),
                OfficerCertificate.not_after > now,
                OfficerCertificate.not_after <= now + timedelta(days=days),
            )
            .order_by(OfficerCertificate.id)
            .with_for_update(skip_locked=True)
        )
    )
    admins = administrators()
    for row in due:
        when = show_local(row.not_after)
        subject = lazy_gettext("Sijil digital tamat tempoh pada %(when)s", when=when)
        body = lazy_gettext(
            "Sijil %(subject)s (SHA-256 %(fingerprint)s…) milik %(username)s "
            "tamat tempoh pada %(when)s. Mohon sijil baharu dan daftarkannya "
            "sebelum tarikh itu.",
            subject=row.subject,
            fingerprint=row.fingerprint[:16],
            username=row.user.username,
            when=when,
        )
        notify([row.user_id, *admins], subject, body, link="/certificates/list/")
        row.expiry_warned_at = now
        logger.info(
            "certificate expiry warned: id=%s user=%s not_after=%s",
            row.id,
            row.user_id,
            row.not_after,
        )
    db.session.commit()
    return len(due)
