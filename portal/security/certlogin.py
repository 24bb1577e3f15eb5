"""Certificate login: only officers holding a registered Softcert reach the
officers' portal, when ``SPKMS_CERT_LOGIN`` is on.

nginx terminates TLS, asks for a client certificate and forwards it with its
own verdict in ``X-SSL-Client-Cert`` / ``X-SSL-Client-Verify``; the web tier
drops those headers unless the peer is a trusted proxy (``portal.web``). A
before-request check then runs ``certificates.authenticate`` on every
officers' route and logs the officer in from the certificate: there is no
password step. The public pages (``SPKMS_PUBLIC_PATHS``) stay open.

Password login remains only as the emergency door: for the accounts the state
profile names (``[security] emergency_accounts``), flagged in the audit trail
on every use. With ``SPKMS_CERT_LOGIN`` off (the embedded demo) the portal
logs in with passwords as before.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, g, render_template, request, session
from flask_login import current_user, login_user

from portal.audit.access_log import record_security_event
from portal.security.certificates import (
    CertificateRefused,
    Match,
    authenticate,
)
from portal.security.pki import IDENTITY_FIELDS
from portal.settings import ConfigError

logger = logging.getLogger(__name__)

CERT_HEADER = "X-SSL-Client-Cert"
VERIFY_HEADER = "X-SSL-Client-Verify"

#: Session keys: the fingerprint the session was opened with, and the user id
#: of an emergency (password) login.
SESSION_CERT = "spkms_cert"
SESSION_EMERGENCY = "spkms_emergency"

#: Paths that never need a certificate: assets, where nginx sends a
#: certificate it refused (``error_page 495 496``), so the refusal is shown,
#: and the language picker, which the public pages link to (it changes only
#: the session's language, or a logged-in officer's own choice).
ALWAYS_OPEN = ("/static/", "/sijil/", "/lang/")


def enabled() -> bool:
    return bool(current_app.config.get("SPKMS_CERT_LOGIN"))


def emergency_accounts() -> frozenset[str]:
    """The usernames the state profile allows to log in without a certificate."""
    from portal.app import spkms

    names = spkms().profile.section("security").get("emergency_accounts", [])
    return frozenset(str(name) for name in names)


def check_settings(app: Flask) -> None:
    """Stop start-up on a certificate setting that cannot work."""
    if not app.config.get("SPKMS_CERT_LOGIN"):
        return
    field = app.config.get("SPKMS_CERT_IDENTITY_FIELD")
    if field not in IDENTITY_FIELDS:
        raise ConfigError(
            "SPKMS_CERT_IDENTITY_FIELD",
            f"must be one of {sorted(IDENTITY_FIELDS)}, not {field!r}",
        )
    ca_file = app.config.get("SPKMS_CERT_CA_FILE")
    if not ca_file:
        raise ConfigError("SPKMS_CERT_CA_FILE", "required when SPKMS_CERT_LOGIN is on")
    from portal.security.certificates import load_trust_store

    try:
        store = load_trust_store(ca_file, app.config.get("SPKMS_CERT_CRL_FILE"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            "SPKMS_CERT_CA_FILE", f"cannot read {ca_file}: {exc}"
        ) from exc
    if not store.cas:
        raise ConfigError("SPKMS_CERT_CA_FILE", f"no certificate in {ca_file}")
    if not app.config.get("SPKMS_TRUSTED_NETWORKS"):
        raise ConfigError(
            "SPKMS_TRUSTED_PROXIES",
            "certificate login needs the proxy addresses (e.g. 127.0.0.1), "
            "not a hop count: only they may forward a certificate",
        )


def _is_open(path: str) -> bool:
    prefixes = (*ALWAYS_OPEN, *current_app.config.get("SPKMS_PUBLIC_PATHS", ()))
    if any(path.startswith(prefix) for prefix in prefixes):
        return True
    # The password form serves only the emergency accounts, when there are any.
    return path in ("/login/", "/logout/") and bool(emergency_accounts())


def _certificate_match() -> Match:
    config = current_app.config
    return authenticate(
        request.headers.get(CERT_HEADER),
        request.headers.get(VERIFY_HEADER),
        ca_file=config["SPKMS_CERT_CA_FILE"],
        crl_file=config.get("SPKMS_CERT_CRL_FILE"),
        identity_field=config["SPKMS_CERT_IDENTITY_FIELD"],
    )


def request_certificate() -> Match | None:
    """The officer the request's certificate maps to (memoised per request)."""
    if "spkms_cert_match" not in g:
        try:
            g.spkms_cert_match = _certificate_match()
        except CertificateRefused as refusal:
            g.spkms_cert_match = None
            g.spkms_cert_refusal = refusal
    return g.spkms_cert_match


def _in_emergency_session() -> bool:
    return bool(
        current_user.is_authenticated
        and session.get(SESSION_EMERGENCY) == current_user.id
        and current_user.username in emergency_accounts()
    )


def refusal_page(refusal: CertificateRefused) -> tuple[str, int]:
    """The Malay (and English) page for a refused certificate, status 403."""
    page = render_template(
        "spkms/cert_refused.html",
        reason=refusal.reason,
        message_ms=refusal.message_ms,
        message_en=refusal.message_en,
        request_id=g.get("request_id"),
        emergency=bool(emergency_accounts()),
    )
    return page, 403


def _audit_refusal(refusal: CertificateRefused) -> None:
    from portal.security.pki import fingerprint

    cert = refusal.cert
    described = (
        f" subject={cert.subject.rfc4514_string()} sha256={fingerprint(cert)}"
        if cert is not None
        else ""
    )
    record_security_event(
        "cert_refused",
        user_id=None,
        username=None,
        allowed=False,
        detail=f"{refusal.reason}: {refusal.detail}{described} path={request.path}",
    )


def require_certificate() -> Any:
    """Before every request: a mapped certificate, or the refusal page."""
    if not enabled() or _is_open(request.path):
        return None
    match = request_certificate()
    if match is None:
        if _in_emergency_session():
            return None
        refusal: CertificateRefused = g.spkms_cert_refusal
        _audit_refusal(refusal)
        if request.path.startswith("/api/"):
            from flask import jsonify

            return jsonify(message=refusal.message_en, reason=refusal.reason), 403
        return refusal_page(refusal)
    if request.path.startswith("/api/"):
        # The API authenticates by token; the token must be this officer's
        # (checked in the security manager's JWT loader).
        # TODO(certificate tokens): a script gets its token with password and
        # certificate together; there is no token from the certificate alone,
        # so unattended clients (agency links) need an account and a Softcert.
        return None
    user = match.user
    if current_user.is_authenticated and current_user.id == user.id:
        session.pop(SESSION_EMERGENCY, None)
        g.user = current_user
        return None
    session.clear()
    login_user(user, remember=False)
    session.permanent = True
    session[SESSION_CERT] = match.fingerprint
    g.user = user
    record_security_event(
        "login",
        user_id=user.id,
        username=user.username,
        allowed=True,
        detail=f"certificate by {match.how} sha256={match.fingerprint} "
        f"subject={match.subject}",
    )
    return None


def refused_route() -> Any:
    """Where nginx sends a certificate it refused itself (``error_page 495``)."""
    if not enabled():
        return refusal_page(CertificateRefused("missing"))
    match = request_certificate()
    if match is None:
        refusal = g.spkms_cert_refusal
        _audit_refusal(refusal)
        return refusal_page(refusal)
    from flask import redirect

    return redirect("/")


def init_app(app: Flask) -> None:
    """Install the certificate check (a no-op while SPKMS_CERT_LOGIN is off)."""
    check_settings(app)
    app.before_request(require_certificate)
    app.add_url_rule(
        "/sijil/ditolak", "spkms_cert_refused", refused_route, methods=["GET", "POST"]
    )
