"""Certificate login behind a trusted proxy, driven with the headers nginx sends.

The full path through a real nginx is in ``test_nginx.py``; here each refusal
reason of the portal's own re-check is reached directly, including the ones
nginx would already stop (the portal must not rely on nginx alone).
"""

from __future__ import annotations

import pytest
from flask import Flask

from portal.extensions import db
from portal.security import pki, registry
from tests.conftest import PASSWORD, make_officer
from tests.security.conftest import EMERGENCY_USER, Pki, forwarded, new_id_number
from tests.security.helpers import register, security_events

UNTRUSTED_PEER = {"REMOTE_ADDR": "10.9.8.7"}


def test_a_registered_certificate_logs_the_officer_in(
    cert_app: Flask, test_pki: Pki
) -> None:
    clerk = make_officer(cert_app, "Clerk", ("11001",))
    issued = test_pki.issue("Kerani Satu")
    register(cert_app, clerk, issued)
    client = cert_app.test_client()

    response = client.get("/courts/list/", headers=forwarded(issued))

    assert response.status_code == 200, response.text[:300]
    login = security_events(cert_app, user_id=clerk.id, action="login")
    assert len(login) == 1
    assert f"sha256={issued.fingerprint}" in login[0].detail
    assert "by fingerprint" in login[0].detail
    # The session carries on; the next request does not log in again.
    assert client.get("/courts/list/", headers=forwarded(issued)).status_code == 200
    assert len(security_events(cert_app, user_id=clerk.id, action="login")) == 1


def test_the_identity_number_in_the_subject_maps_an_unregistered_certificate(
    cert_app: Flask, test_pki: Pki
) -> None:
    registrar = make_officer(cert_app, "Registrar", ("11002",))
    number = new_id_number()
    with cert_app.app_context():
        registry.set_identity(registrar.id, number)
    issued = test_pki.issue("Pendaftar Dua", id_number=number)

    response = cert_app.test_client().get("/courts/list/", headers=forwarded(issued))

    assert response.status_code == 200
    (login,) = security_events(cert_app, user_id=registrar.id, action="login")
    assert "by identity" in login.detail


def _refused(cert_app: Flask, headers: dict[str, str], **environ: str) -> str:
    client = cert_app.test_client()
    response = client.get("/courts/list/", headers=headers, environ_base=environ)
    assert response.status_code == 403, response.text[:300]
    assert "Akses ke portal pegawai ditolak" in response.text
    return response.text


@pytest.mark.parametrize(
    ("kind", "malay"),
    [
        ("unregistered", "tidak didaftarkan"),
        ("expired", "tamat tempoh"),
        ("foreign", "tidak dikeluarkan oleh pihak berkuasa"),
        ("crl", "telah dibatalkan"),
        ("registry", "telah dibatalkan"),
        ("key_usage", "bukan untuk log masuk"),
    ],
)
def test_bad_certificates_get_the_refusal_page_and_a_log_entry(
    cert_app: Flask, test_pki: Pki, kind: str, malay: str
) -> None:
    officer = make_officer(cert_app, "Clerk", ("11001",))
    if kind == "expired":
        issued = test_pki.expired()
    elif kind == "foreign":
        issued = test_pki.issue(foreign=True)
    elif kind == "key_usage":
        issued = test_pki.issue(client_auth=False)
    else:
        issued = test_pki.issue()
    if kind in {"expired", "foreign", "crl", "registry"}:
        # Registered, so only the check under test can refuse it. The registry
        # itself refuses expired and foreign ones, so they go in by SQL.
        _register_unchecked(cert_app, officer.id, issued)
    if kind == "crl":
        pki.revoke(test_pki.ca_dir, issued.cert)
    if kind == "registry":
        with cert_app.app_context():
            row = registry.listing(officer.username)[0]
            registry.revoke(row.id, "token hilang")

    page = _refused(cert_app, forwarded(issued))

    assert malay in page
    refusals = security_events(cert_app, action="cert_refused")
    assert any(issued.fingerprint in (row.detail or "") for row in refusals)
    assert not security_events(cert_app, user_id=officer.id, action="login")


def _register_unchecked(app: Flask, user_id: int, issued: pki.Issued) -> None:
    from cryptography import x509

    from portal.security.models import OfficerCertificate

    cert = x509.load_pem_x509_certificate(issued.cert.read_bytes())
    with app.app_context():
        db.session.add(
            OfficerCertificate(
                user_id=user_id,
                fingerprint=issued.fingerprint,
                subject=cert.subject.rfc4514_string(),
                issuer=cert.issuer.rfc4514_string(),
                serial=f"{cert.serial_number:x}",
                not_before=cert.not_valid_before_utc,
                not_after=cert.not_valid_after_utc,
                pem=issued.cert.read_text(),
            )
        )
        db.session.commit()


def test_certificate_headers_from_an_untrusted_peer_are_ignored(
    cert_app: Flask, test_pki: Pki
) -> None:
    officer = make_officer(cert_app, "Clerk", ("11001",))
    issued = test_pki.issue()
    register(cert_app, officer, issued)

    page = _refused(cert_app, forwarded(issued), **UNTRUSTED_PEER)

    assert "Sijil digital (Softcert) diperlukan" in page
    assert not security_events(cert_app, user_id=officer.id, action="login")


def test_a_proxy_verdict_of_failure_is_final(cert_app: Flask, test_pki: Pki) -> None:
    officer = make_officer(cert_app, "Clerk", ("11001",))
    issued = test_pki.issue()
    register(cert_app, officer, issued)

    page = _refused(cert_app, forwarded(issued, "FAILED:certificate has expired"))

    assert "tamat tempoh" in page


def test_public_pages_need_no_certificate(cert_app: Flask) -> None:
    client = cert_app.test_client()
    assert client.get("/efiling/").status_code == 200
    assert client.get("/status/").status_code == 200
    assert client.get("/").status_code == 403


def test_password_login_is_only_the_named_emergency_door(cert_app: Flask) -> None:
    ordinary = make_officer(cert_app, "Registrar", ("11001",))
    with cert_app.app_context():
        sm = cert_app.appbuilder.sm
        if sm.find_user(username=EMERGENCY_USER) is None:
            sm.add_user(
                username=EMERGENCY_USER,
                first_name="Akaun",
                last_name="Kecemasan",
                email="kecemasan@test.spkms.local",
                role=sm.find_role("Admin"),
                password=PASSWORD,
            )
    client = cert_app.test_client()

    refused = client.post(
        "/login/", data={"username": ordinary.username, "password": PASSWORD}
    )
    assert client.get("/courts/list/").status_code == 403
    (failure,) = security_events(cert_app, user_id=ordinary.id, action="login_failed")
    assert "certificate is required" in failure.detail
    assert refused.status_code in (200, 302)

    emergency = cert_app.test_client()
    response = emergency.post(
        "/login/", data={"username": EMERGENCY_USER, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert emergency.get("/courts/list/").status_code == 200
    flagged = security_events(cert_app, action="emergency_login")
    assert flagged and flagged[-1].username == EMERGENCY_USER
    assert "EMERGENCY" in flagged[-1].detail


def test_an_api_token_works_only_with_its_own_officers_certificate(
    cert_app: Flask, test_pki: Pki
) -> None:
    first = make_officer(cert_app, "Clerk", ("11001",))
    second = make_officer(cert_app, "Clerk", ("11001",))
    first_cert, second_cert = test_pki.issue(), test_pki.issue()
    register(cert_app, first, first_cert)
    register(cert_app, second, second_cert)
    client = cert_app.test_client()

    no_cert = client.post(
        "/api/v1/security/login",
        json={"username": first.username, "password": PASSWORD, "provider": "db"},
    )
    assert no_cert.status_code == 403
    login = client.post(
        "/api/v1/security/login",
        json={"username": first.username, "password": PASSWORD, "provider": "db"},
        headers=forwarded(first_cert),
    )
    assert login.status_code == 200, login.text
    token = {"Authorization": f"Bearer {login.json['access_token']}"}

    own = client.get("/api/v1/court/", headers={**token, **forwarded(first_cert)})
    other = client.get("/api/v1/court/", headers={**token, **forwarded(second_cert)})

    assert own.status_code == 200, own.text
    assert other.status_code == 401
