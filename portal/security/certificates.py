"""Checking an officer's client certificate and finding the officer it names.

nginx has verified the certificate already; the portal checks it again from
the PEM nginx forwards, against the CA bundle and CRL it is configured with:
the chain to a configured CA, the validity dates, revocation, the key usage
for client login, then the mapping to an officer (registered fingerprint
first, then the identity number in the subject). Each failure is one
``CertificateRefused`` with a reason code the refusal page and the audit log
share. Nothing here reads the request: ``portal.security.certlogin`` does.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import sqlalchemy as sa
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import ExtendedKeyUsageOID

from portal.extensions import db
from portal.models import utcnow
from portal.security.models import OfficerCertificate, OfficerIdentity
from portal.security.pki import IDENTITY_FIELDS, PkiError, normalise_id_number

logger = logging.getLogger(__name__)

#: Reason code -> (Malay, English): the refusal page shows both.
REASONS: dict[str, tuple[str, str]] = {
    "missing": (
        "Sijil digital (Softcert) diperlukan untuk portal pegawai.",
        "A digital certificate (Softcert) is required for the officers' portal.",
    ),
    "malformed": (
        "Sijil yang dikemukakan tidak dapat dibaca.",
        "The certificate presented cannot be read.",
    ),
    "untrusted_ca": (
        "Sijil tidak dikeluarkan oleh pihak berkuasa pensijilan yang diiktiraf.",
        "The certificate was not issued by a recognised certificate authority.",
    ),
    "expired": (
        "Sijil telah tamat tempoh.",
        "The certificate has expired.",
    ),
    "not_yet_valid": (
        "Sijil belum sah digunakan.",
        "The certificate is not valid yet.",
    ),
    "revoked": (
        "Sijil telah dibatalkan.",
        "The certificate has been revoked.",
    ),
    "crl_unavailable": (
        "Senarai pembatalan sijil tidak dapat disemak; cuba sebentar lagi.",
        "The certificate revocation list cannot be checked; try again shortly.",
    ),
    "key_usage": (
        "Sijil ini bukan untuk log masuk (penggunaan kunci tidak sesuai).",
        "This certificate is not for login (wrong key usage).",
    ),
    "unregistered": (
        "Sijil tidak didaftarkan untuk mana-mana pegawai.",
        "The certificate is not registered to any officer.",
    ),
    "inactive": (
        "Akaun pegawai ini tidak aktif.",
        "This officer's account is not active.",
    ),
}


class CertificateRefused(Exception):
    """The certificate does not open the officers' portal; ``reason`` is a key
    of ``REASONS`` and ``detail`` says what exactly, for the audit log."""

    def __init__(
        self, reason: str, detail: str = "", cert: x509.Certificate | None = None
    ) -> None:
        self.reason = reason
        self.detail = detail
        self.cert = cert
        super().__init__(f"{reason}: {detail}" if detail else reason)

    @property
    def message_ms(self) -> str:
        return REASONS[self.reason][0]

    @property
    def message_en(self) -> str:
        return REASONS[self.reason][1]


@dataclass(frozen=True)
class TrustStore:
    """The CAs officers' certificates must chain to, and their CRLs."""

    cas: tuple[x509.Certificate, ...]
    crls: tuple[x509.CertificateRevocationList, ...] | None  # None: no CRL file


_cache: dict[tuple[str, str | None], tuple[tuple[float, float], TrustStore]] = {}
_cache_lock = threading.Lock()


def _mtime(path: Path | None) -> float:
    return path.stat().st_mtime if path is not None else 0.0


def load_trust_store(ca_file: str, crl_file: str | None) -> TrustStore:
    """Read the CA bundle and CRL file, again whenever either file changes.

    A CRL file that cannot be read leaves ``crls`` empty, which refuses every
    certificate (``crl_unavailable``): revocation is not silently skipped.
    """
    ca_path = Path(ca_file)
    crl_path = Path(crl_file) if crl_file else None
    try:
        stamp = (_mtime(ca_path), _mtime(crl_path) if crl_path else 0.0)
    except OSError:
        stamp = (_mtime(ca_path), -1.0)
    key = (str(ca_path), str(crl_path) if crl_path else None)
    with _cache_lock:
        cached = _cache.get(key)
        if cached and cached[0] == stamp:
            return cached[1]
    cas = tuple(x509.load_pem_x509_certificates(ca_path.read_bytes()))
    crls: tuple[x509.CertificateRevocationList, ...] | None = None
    if crl_path is not None:
        try:
            crls = tuple(_read_crls(crl_path.read_bytes()))
        except (OSError, ValueError):
            logger.exception("CRL file unreadable: %s", crl_path)
            crls = ()
    store = TrustStore(cas=cas, crls=crls)
    with _cache_lock:
        _cache[key] = (stamp, store)
    return store


def _read_crls(data: bytes) -> list[x509.CertificateRevocationList]:
    """One or more CRLs, PEM (concatenated) or a single DER."""
    blocks = re.findall(
        rb"-----BEGIN X509 CRL-----.+?-----END X509 CRL-----", data, re.DOTALL
    )
    if blocks:
        return [x509.load_pem_x509_crl(block) for block in blocks]
    return [x509.load_der_x509_crl(data)]


def parse_forwarded(value: str | None) -> x509.Certificate:
    """The certificate in nginx's ``$ssl_client_escaped_cert`` (URL-escaped PEM)."""
    if not value:
        raise CertificateRefused("missing")
    try:
        return x509.load_pem_x509_certificate(unquote(value).encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise CertificateRefused("malformed", str(exc)[:200]) from exc


def _not_before(cert: x509.Certificate) -> datetime:
    return cert.not_valid_before_utc


def _not_after(cert: x509.Certificate) -> datetime:
    return cert.not_valid_after_utc


def _check_dates(cert: x509.Certificate, now: datetime, what: str) -> None:
    if now > _not_after(cert):
        raise CertificateRefused(
            "expired", f"{what} expired {_not_after(cert).isoformat()}", cert
        )
    if now < _not_before(cert):
        raise CertificateRefused(
            "not_yet_valid", f"{what} valid from {_not_before(cert).isoformat()}", cert
        )


def _issuer_of(
    cert: x509.Certificate, cas: tuple[x509.Certificate, ...]
) -> x509.Certificate | None:
    for ca in cas:
        if ca.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return ca
    return None


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(
            cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        )
    except x509.ExtensionNotFound:
        return False


def check_chain(
    cert: x509.Certificate, store: TrustStore, now: datetime
) -> x509.Certificate:
    """Walk from ``cert`` up to a configured CA; return the direct issuer."""
    _check_dates(cert, now, "certificate")
    current = cert
    direct: x509.Certificate | None = None
    for _depth in range(4):
        issuer = _issuer_of(current, store.cas)
        if issuer is None or not _is_ca(issuer):
            raise CertificateRefused(
                "untrusted_ca", f"issuer {current.issuer.rfc4514_string()}", cert
            )
        _check_dates(issuer, now, "issuing CA")
        direct = direct or issuer
        if issuer.subject == issuer.issuer:
            return direct
        current = issuer
    raise CertificateRefused("untrusted_ca", "chain longer than 4", cert)


def check_revocation(
    cert: x509.Certificate, issuer: x509.Certificate, store: TrustStore, now: datetime
) -> None:
    """Refuse a serial its issuer's CRL lists, or when no fresh CRL is at hand."""
    if store.crls is None:
        return
    for crl in store.crls:
        if crl.issuer != issuer.subject:
            continue
        if not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
            continue
        next_update = crl.next_update_utc
        if next_update is not None and now > next_update:
            raise CertificateRefused(
                "crl_unavailable", f"CRL expired {next_update.isoformat()}", cert
            )
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is not None:
            raise CertificateRefused(
                "revoked",
                f"serial {cert.serial_number:x} revoked "
                f"{entry.revocation_date_utc.isoformat()}",
                cert,
            )
        return
    raise CertificateRefused(
        "crl_unavailable", f"no valid CRL of {issuer.subject.rfc4514_string()}", cert
    )


def check_key_usage(cert: x509.Certificate) -> None:
    """Digital signature must be allowed; an extended usage must name clientAuth."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise CertificateRefused("key_usage", "no key usage extension", cert) from None
    if not usage.digital_signature:
        raise CertificateRefused("key_usage", "digitalSignature not allowed", cert)
    try:
        extended = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return
    if ExtendedKeyUsageOID.CLIENT_AUTH not in extended:
        raise CertificateRefused("key_usage", "clientAuth not among usages", cert)


def subject_id_number(cert: x509.Certificate, field: str) -> str | None:
    """The identity number the subject carries in ``field``, or None."""
    oid = IDENTITY_FIELDS[field]
    for attribute in cert.subject.get_attributes_for_oid(oid):
        value = attribute.value if isinstance(attribute.value, str) else ""
        try:
            return normalise_id_number(value)
        except PkiError:
            continue
    return None


@dataclass(frozen=True)
class Match:
    """A certificate that opens the portal, and the officer it belongs to."""

    user: Any
    fingerprint: str
    subject: str
    how: str  # "fingerprint" or "identity"


def find_officer(cert: x509.Certificate, identity_field: str) -> Match:
    """The officer of ``cert``: by registered fingerprint, else by identity number."""
    from flask_appbuilder.security.sqla.models import User

    from portal.security.pki import fingerprint

    digest = fingerprint(cert)
    subject = cert.subject.rfc4514_string()
    registered = db.session.scalar(
        sa.select(OfficerCertificate).where(OfficerCertificate.fingerprint == digest)
    )
    user = None
    how = "fingerprint"
    if registered is not None:
        if registered.is_revoked:
            raise CertificateRefused(
                "revoked",
                f"revoked in the registry {registered.revoked_at:%Y-%m-%d}: "
                f"{registered.revoked_reason or ''}",
                cert,
            )
        user = db.session.get(User, registered.user_id)
    else:
        number = subject_id_number(cert, identity_field)
        if number is not None:
            user_id = db.session.scalar(
                sa.select(OfficerIdentity.user_id).where(
                    OfficerIdentity.id_number == number
                )
            )
            user = db.session.get(User, user_id) if user_id else None
            how = "identity"
    if user is None:
        raise CertificateRefused("unregistered", f"sha256 {digest}", cert)
    if not user.active:
        raise CertificateRefused("inactive", f"user {user.username}", cert)
    return Match(user=user, fingerprint=digest, subject=subject, how=how)


#: nginx's ``$ssl_client_verify`` failure texts (OpenSSL's) -> reason codes.
_NGINX_FAILURES = (
    ("expired", "expired"),
    ("not yet valid", "not_yet_valid"),
    ("revoked", "revoked"),
    ("crl", "crl_unavailable"),
    ("issuer", "untrusted_ca"),
    ("self-signed", "untrusted_ca"),
    ("self signed", "untrusted_ca"),
    ("verify the first certificate", "untrusted_ca"),
    ("purpose", "key_usage"),
)


def reason_from_proxy(verify: str) -> str:
    """Map nginx's ``FAILED:<openssl text>`` to a reason code."""
    text = verify.partition(":")[2].lower()
    for needle, reason in _NGINX_FAILURES:
        if needle in text:
            return reason
    return "untrusted_ca"


def authenticate(
    pem_header: str | None,
    verify_header: str | None,
    *,
    ca_file: str,
    crl_file: str | None,
    identity_field: str,
    now: datetime | None = None,
) -> Match:
    """Every check, in order; the officer when all pass, else CertificateRefused."""
    now = now or utcnow()
    verify = (verify_header or "NONE").strip()
    if verify.upper().startswith("FAILED"):
        cert = None
        with contextlib.suppress(CertificateRefused):
            cert = parse_forwarded(pem_header)
        raise CertificateRefused(reason_from_proxy(verify), verify[:200], cert)
    if verify.upper() != "SUCCESS" or not pem_header:
        raise CertificateRefused("missing", f"proxy verify={verify[:40]}")
    cert = parse_forwarded(pem_header)
    store = load_trust_store(ca_file, crl_file)
    issuer = check_chain(cert, store, now.astimezone(UTC))
    check_revocation(cert, issuer, store, now)
    check_key_usage(cert)
    return find_officer(cert, identity_field)
