"""Sessions and accounts: headers, CSRF, rate limits, idle time-out, cookie
flags, and every login, logout and failure in the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from portal import create_app
from portal.extensions import db
from portal.security import hardening
from tests.conftest import (
    PASSWORD,
    api_headers,
    app_settings,
    initialise,
    login,
    make_officer,
)
from tests.databases import fresh_database_url
from tests.security.conftest import Pki, forwarded
from tests.security.helpers import register, security_events


def test_security_headers_on_every_answer(app: Flask) -> None:
    client = app.test_client()
    for path in ("/efiling/", "/login/", "/no-such-page"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" not in response.headers
    secure = client.get("/efiling/", base_url="https://localhost")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


@contextmanager
def csrf_on(app: Flask) -> Iterator[None]:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_forms_need_the_csrf_token_and_the_token_api_does_not(app: Flask) -> None:
    admin = make_officer(app, "Admin")
    client = app.test_client()
    login(client, admin.username)
    headers = api_headers(app.test_client(), admin.username)
    with csrf_on(app):
        forged = client.post("/courts/add", data={"code": "11999", "name": "Palsu"})
        anonymous = app.test_client().post(
            "/login/", data={"username": admin.username, "password": PASSWORD}
        )
        api = app.test_client().post("/api/v1/judge/", json={}, headers=headers)
    assert forged.status_code == 400
    assert anonymous.status_code == 400
    # The token API answers on the merits (a missing field), not about CSRF.
    assert api.status_code in (400, 422), api.text
    assert "CSRF" not in api.text


@pytest.fixture(scope="module")
def limited_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app with rate limits on (the shared test apps switch them off).

    Limits are counted per client address whatever the database, so one
    backend is enough here.
    """
    url = fresh_database_url("sqlite", tmp_path_factory.mktemp("limits"))
    application = create_app(app_settings(url, RATELIMIT_ENABLED=True))
    initialise(application)
    yield application
    with application.app_context():
        db.engine.dispose()


def test_logins_and_public_lookups_are_rate_limited(limited_app: Flask) -> None:
    client = limited_app.test_client()
    environ = {"REMOTE_ADDR": "192.0.2.10"}
    form = [
        client.post(
            "/login/",
            data={"username": "tiada", "password": "x"},
            environ_base=environ,
        ).status_code
        for _ in range(11)
    ]
    api = [
        client.post(
            "/api/v1/security/login",
            json={"username": "tiada", "password": "x", "provider": "db"},
            environ_base=environ,
        ).status_code
        for _ in range(11)
    ]
    status = [
        client.post(
            "/status/", data={"reference": "x"}, environ_base=environ
        ).status_code
        for _ in range(21)
    ]
    elsewhere = client.post(
        "/login/",
        data={"username": "tiada", "password": "x"},
        environ_base={"REMOTE_ADDR": "192.0.2.11"},
    )
    assert 429 not in form[:10] and form[10] == 429
    assert 429 not in api[:10] and api[10] == 429
    assert 429 not in status[:20] and status[20] == 429
    assert elsewhere.status_code != 429


def test_limits_are_counted_in_redis_when_redis_is_configured() -> None:
    with_redis = {"SPKMS_REDIS_URL": "redis://127.0.0.1:6379/0"}
    hardening.configure(with_redis)
    without: dict[str, object] = {}
    hardening.configure(without)
    assert with_redis["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert without["RATELIMIT_STORAGE_URI"] == "memory://"


def test_login_logout_and_failures_are_in_the_audit_trail(app: Flask) -> None:
    officer = make_officer(app, "Clerk", ("11001",))
    client = app.test_client()

    client.post("/login/", data={"username": officer.username, "password": "salah"})
    client.post("/login/", data={"username": "tiada-sesiapa", "password": "x"})
    login(client, officer.username)
    client.get("/logout/")

    actions = [e.action for e in security_events(app, user_id=officer.id)]
    assert actions == ["login_failed", "login", "logout"]
    unknown = security_events(app, username="tiada-sesiapa")
    assert [e.action for e in unknown] == ["login_failed"]
    assert unknown[0].user_id is None and unknown[0].allowed is False


def test_an_idle_session_is_logged_out(app: Flask) -> None:
    officer = make_officer(app, "Clerk", ("11001",))
    client = app.test_client()
    login(client, officer.username)
    assert client.get("/courts/list/").status_code == 200
    long_ago = datetime.now(UTC) - timedelta(minutes=31)
    with client.session_transaction() as session:
        session[hardening.SESSION_SEEN] = long_ago.timestamp()

    response = client.get("/courts/list/")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    (logout,) = security_events(app, user_id=officer.id, action="logout")
    assert "idle" in logout.detail


def test_session_cookies_are_secure_behind_tls(cert_app: Flask, test_pki: Pki) -> None:
    officer = make_officer(cert_app, "Clerk", ("11001",))
    issued = test_pki.issue()
    register(cert_app, officer, issued)
    response = cert_app.test_client().get("/courts/list/", headers=forwarded(issued))
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
