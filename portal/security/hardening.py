"""Session and response hardening: cookie flags, idle time-out, rate limits,
security headers, and logouts in the audit trail.

Rate limits use the Flask-Limiter instance FAB already creates
(``appbuilder.sm.limiter``); its storage is Redis when ``SPKMS_REDIS_URL`` is
set (every web worker counts together), memory otherwise (the demo).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user, logout_user, user_logged_out

from portal.audit.access_log import record_security_event

logger = logging.getLogger(__name__)

#: Session key holding the time of the officer's last request (epoch seconds).
SESSION_SEEN = "spkms_seen"

#: FAB's screens use inline scripts and styles, hence 'unsafe-inline'.
# TODO(inline scripts): FAB's templates need 'unsafe-inline' for scripts; a
# nonce-based policy would need FAB's templates rewritten. Markup in data is
# still escaped by Jinja, which is the defence that matters here.
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def flag(value: Any) -> bool:
    """A setting that may arrive as text from the environment."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on", "ya"}
    return bool(value)


def configure(config: dict[str, Any]) -> None:
    """Settings derived before FAB starts (it reads them at ``init_app``)."""
    for name in ("SPKMS_CERT_LOGIN", "SPKMS_BEHIND_TLS"):
        config[name] = flag(config.get(name))
    if config["SPKMS_CERT_LOGIN"]:
        config["SPKMS_BEHIND_TLS"] = True  # nginx terminates TLS in front
    if config["SPKMS_BEHIND_TLS"]:
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
    config["REMEMBER_COOKIE_HTTPONLY"] = True
    if not config.get("RATELIMIT_STORAGE_URI"):
        config["RATELIMIT_STORAGE_URI"] = config.get("SPKMS_REDIS_URL") or "memory://"


def _security_headers(response: Response) -> Response:
    headers = response.headers
    csp = current_app.config.get("SPKMS_CONTENT_SECURITY_POLICY", DEFAULT_CSP)
    if csp and not request.path.startswith("/swagger"):
        headers.setdefault("Content-Security-Policy", csp)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    return response


def _idle_timeout() -> None:
    """Log out an officer idle longer than ``SPKMS_SESSION_IDLE_MINUTES``."""
    minutes = current_app.config.get("SPKMS_SESSION_IDLE_MINUTES")
    if not minutes or not current_user.is_authenticated:
        return
    now = datetime.now(UTC).timestamp()
    seen = session.get(SESSION_SEEN)
    session[SESSION_SEEN] = now
    if seen is not None and now - float(seen) > float(minutes) * 60:
        g.spkms_logout_reason = f"idle for more than {minutes} minutes"
        logout_user()
        session.clear()
        # With certificate login the next check logs the officer in again
        # from the certificate; without it the login screen follows.
        g.user = current_user


def _on_logout(_app: Flask, user: Any) -> None:
    record_security_event(
        "logout",
        user_id=getattr(user, "id", None),
        username=getattr(user, "username", None),
        allowed=True,
        detail=g.pop("spkms_logout_reason", None) or "logout",
    )


def _rate_limits(app: Flask) -> None:
    """Limit the API's token login and the public pages per client address."""
    limiter = app.appbuilder.sm.limiter
    login_limit = app.config.get("SPKMS_LOGIN_RATE_LIMIT")
    public_limit = app.config.get("SPKMS_PUBLIC_RATE_LIMIT")
    public_paths = tuple(app.config.get("SPKMS_PUBLIC_PATHS", ()))
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if view is None:
            continue
        if login_limit and rule.rule == "/api/v1/security/login":
            app.view_functions[rule.endpoint] = limiter.limit(
                login_limit, methods=["POST"]
            )(view)
        elif public_limit and rule.rule.startswith(public_paths):
            app.view_functions[rule.endpoint] = limiter.limit(
                public_limit, methods=["POST"]
            )(view)


def init_app(app: Flask) -> None:
    """Install the idle time-out, headers, logout audit and rate limits."""
    app.before_request(_idle_timeout)
    app.after_request(_security_headers)
    user_logged_out.connect(_on_logout, app)
    _rate_limits(app)
