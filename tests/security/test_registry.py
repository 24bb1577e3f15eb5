"""The certificate registry: ``spkms certs`` files, the administrator's
screens, the registry's refusals, and the expiry warning sent once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from flask import Flask, g

from portal.extensions import db
from portal.jobs import current_registry
from portal.notifications import Notification
from portal.security import registry
from portal.security.cli import certs_group
from portal.security.hookimpls import EXPIRY_JOB
from portal.security.models import OfficerCertificate
from tests.conftest import login, make_officer
from tests.security.conftest import Pki


def test_spkms_certs_makes_a_ca_officer_certificates_and_a_crl(tmp_path: Path) -> None:
    runner = CliRunner()
    ca, out = tmp_path / "ca", tmp_path / "out"
    assert runner.invoke(certs_group, ["ca", str(ca)]).exit_code == 0
    again = runner.invoke(certs_group, ["ca", str(ca)])
    assert again.exit_code != 0 and "exists already" in again.output
    issued = runner.invoke(
        certs_group,
        [
            "issue",
            str(ca),
            str(out),
            "--name",
            "Aminah",
            "--id-number",
            "850101-11-5566",
            "--password",
            "rahsia",
            "--key-type",
            "ec",
        ],
    )
    assert issued.exit_code == 0, issued.output
    cert_file = out / "officer-850101115566.pem"
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    serials = cert.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)
    assert serials[0].value == "850101115566"
    key, p12_cert, chain = pkcs12.load_key_and_certificates(
        next(out.glob("*.p12")).read_bytes(), b"rahsia"
    )
    assert key is not None and p12_cert == cert and len(chain) == 1
    bad = runner.invoke(
        certs_group,
        ["issue", str(ca), str(out), "--name", "X", "--id-number", "123"],
    )
    assert bad.exit_code != 0 and "id_number" in bad.output
    revoked = runner.invoke(certs_group, ["revoke-ca", str(ca), str(cert_file)])
    assert revoked.exit_code == 0, revoked.output
    crl = x509.load_pem_x509_crl((ca / "crl.pem").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number)


def test_the_registry_refuses_what_could_never_log_in(
    cert_app: Flask, test_pki: Pki
) -> None:
    officer = make_officer(cert_app, "Clerk", ("11001",))
    cases = {
        "expired": test_pki.expired().cert.read_text(),
        "not issued by a recognised": test_pki.issue(foreign=True).cert.read_text(),
        "not a PEM certificate": "-----BEGIN CERTIFICATE-----\nabc\n",
        "CA certificate": test_pki.ca_file.read_text(),
        "not for login": test_pki.issue(client_auth=False).cert.read_text(),
    }
    with cert_app.app_context():
        g.user = cert_app.appbuilder.sm.service_user()
        before = db.session.scalar(sa.select(sa.func.count(OfficerCertificate.id)))
        for expected, pem in cases.items():
            with pytest.raises(registry.RegistryError) as refused:
                registry.register(officer.id, pem)
            assert str(refused.value).startswith("pem:")
            assert expected in str(refused.value)
            db.session.rollback()
        good = test_pki.issue().cert.read_text()
        registry.register(officer.id, good)
        with pytest.raises(registry.RegistryError, match="already registered"):
            registry.register(officer.id, good)
        db.session.rollback()
        after = db.session.scalar(sa.select(sa.func.count(OfficerCertificate.id)))
        assert after == before + 1


def test_the_administrator_registers_lists_and_revokes_on_screen(
    cert_app: Flask, test_pki: Pki
) -> None:
    from tests.conftest import PASSWORD
    from tests.security.conftest import forwarded
    from tests.security.helpers import register

    admin = make_officer(cert_app, "Admin")
    admin_cert = test_pki.issue("Pentadbir")
    register(cert_app, admin, admin_cert)
    officer = make_officer(cert_app, "Clerk", ("11001",))
    first, second = test_pki.issue(), test_pki.issue()
    client = cert_app.test_client()
    headers = forwarded(admin_cert)
    assert PASSWORD  # the administrator never typed it: the certificate logs in

    for issued in (first, second):
        response = client.post(
            "/certificates/register",
            data={"user_id": str(officer.id), "pem": issued.cert.read_text()},
            headers=headers,
        )
        assert response.status_code == 302, response.text[:500]
    refused = client.post(
        "/certificates/register",
        data={"user_id": str(officer.id), "pem": "bukan sijil"},
        headers=headers,
    )
    assert refused.status_code == 422
    assert "pem: not a PEM certificate" in refused.text
    listing = client.get("/certificates/list/", headers=headers)
    assert listing.status_code == 200
    with cert_app.app_context():
        rows = registry.listing(officer.username)
    assert {r.fingerprint for r in rows} == {first.fingerprint, second.fingerprint}
    target = next(r for r in rows if r.fingerprint == first.fingerprint)
    empty = client.post(
        f"/certificates/revoke/{target.id}", data={"reason": " "}, headers=headers
    )
    assert empty.status_code == 302
    done = client.post(
        f"/certificates/revoke/{target.id}",
        data={"reason": "komputer riba dicuri"},
        headers=headers,
    )
    assert done.status_code == 302
    with cert_app.app_context():
        row = db.session.get(OfficerCertificate, target.id)
        assert row.revoked_reason == "komputer riba dicuri"
        assert row.revoked_by_id == admin.id
    # The other certificate still opens the portal; the revoked one does not.
    assert (
        cert_app.test_client()
        .get("/courts/list/", headers=forwarded(second))
        .status_code
        == 200
    )
    assert (
        cert_app.test_client()
        .get("/courts/list/", headers=forwarded(first))
        .status_code
        == 403
    )
    # A clerk may not reach the registry.
    clerk_client = cert_app.test_client()
    page = clerk_client.get("/certificates/list/", headers=forwarded(second))
    assert page.status_code in (302, 403)


def test_officers_and_administrators_are_warned_once_before_expiry(
    app: Flask, test_pki: Pki
) -> None:
    admin = make_officer(app, "Admin")
    officer = make_officer(app, "Clerk", ("11001",))
    now = datetime.now(UTC)
    soon = test_pki.issue(
        not_before=now - timedelta(days=300), not_after=now + timedelta(days=20)
    )
    later = test_pki.issue(not_after=now + timedelta(days=200))
    with app.app_context():
        g.user = app.appbuilder.sm.service_user()
        soon_id = registry.register(officer.id, soon.cert.read_text()).id
        registry.register(officer.id, later.cert.read_text())
        schedule = next(s for s in current_registry().schedules if s.job == EXPIRY_JOB)
        assert schedule.cron == "0 7 * * *"
        job = current_registry().jobs[EXPIRY_JOB]
        assert job() >= 1
        assert job() == 0  # once only
        messages = list(
            db.session.scalars(
                sa.select(Notification).where(
                    Notification.subject.like("Sijil digital tamat tempoh%"),
                    Notification.body.contains(soon.fingerprint[:16]),
                )
            )
        )
        assert {m.user_id for m in messages} >= {officer.id, admin.id}
        assert not any(later.fingerprint[:16] in m.body for m in messages)
        assert db.session.get(OfficerCertificate, soon_id).expiry_warned_at
    client = app.test_client()
    login(client, officer.username)
    assert "Sijil digital tamat tempoh" in client.get("/inbox/list/").text
