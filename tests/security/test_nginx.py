"""Attacks through a real nginx in front of the portal, with real TLS clients.

The shipped site file (``deploy/nginx/spkms.conf``) is rendered into a temp
folder with its own ports and files, nginx runs it in the foreground, and the
portal is served by werkzeug in a thread behind it. nginx must be installed
(CI installs it): without it these tests fail, they are never skipped.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from plugins.cases import services
from portal.audit.models import AccessLog
from portal.extensions import db
from portal.security import pki
from tests.cases.conftest import act_as, registration
from tests.conftest import make_officer
from tests.security.conftest import Pki
from tests.security.helpers import register, security_events

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "deploy" / "nginx" / "spkms.conf"
PROXY_HEADERS = REPO / "deploy" / "nginx" / "nginx-proxy-headers.conf"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def render_site(pki_files: Pki, https: int, http: int, upstream: int) -> str:
    """The shipped site file with this test's ports and files."""
    site = SITE.read_text(encoding="utf-8")
    replacements = {
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream};",
        "/etc/spkms/tls/server.pem": str(pki_files.server.cert),
        "/etc/spkms/tls/server-key.pem": str(pki_files.server.key),
        "/etc/spkms/tls/officer-ca.pem": str(pki_files.ca_file),
        "/etc/spkms/tls/officer-crl.pem": str(pki_files.crl_file),
        "/etc/spkms/nginx-proxy-headers.conf": str(PROXY_HEADERS),
    }
    for old, new in replacements.items():
        assert old in site, f"{SITE.name} no longer holds {old!r}"
        site = site.replace(old, new)
    return site


def main_config(folder: Path, site: Path) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {site};
}}
"""


@dataclass(frozen=True)
class Front:
    """The running nginx: its https address and the CA to trust it with."""

    url: str
    ca_file: Path
    folder: Path

    def get(self, path: str, cert: pki.Issued | None = None) -> requests.Response:
        return requests.get(
            self.url + path,
            cert=(str(cert.cert), str(cert.key)) if cert else None,
            verify=str(self.ca_file),
            allow_redirects=False,
            timeout=10,
        )


@pytest.fixture(scope="module")
def revoked_cert(test_pki: Pki) -> pki.Issued:
    """A certificate on the CA's CRL before nginx reads it."""
    issued = test_pki.issue("Pegawai Dibatalkan")
    pki.revoke(test_pki.ca_dir, issued.cert)
    return issued


@pytest.fixture(scope="module")
def front(
    cert_app: Flask,
    test_pki: Pki,
    revoked_cert: pki.Issued,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Front]:
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    assert nginx, "nginx is not installed (apt-get install -y nginx); CI installs it"
    folder = tmp_path_factory.mktemp("nginx")
    server = make_server("127.0.0.1", 0, cert_app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    https = free_port()
    site = folder / "spkms.conf"
    site.write_text(
        render_site(test_pki, https, free_port(), server.server_port), encoding="utf-8"
    )
    conf = folder / "nginx.conf"
    conf.write_text(main_config(folder, site), encoding="utf-8")
    process = subprocess.Popen(
        [nginx, "-p", str(folder), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                raise AssertionError(f"nginx stopped: {output}")
            try:
                socket.create_connection(("127.0.0.1", https), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("nginx did not listen in 10 s") from None
                time.sleep(0.05)
        yield Front(f"https://127.0.0.1:{https}", test_pki.ca_file, folder)
    finally:
        process.terminate()
        process.wait(timeout=10)
        server.shutdown()
        serving.join(timeout=5)


def test_a_registered_certificate_reaches_the_officers_portal(
    front: Front, cert_app: Flask, test_pki: Pki
) -> None:
    officer = make_officer(cert_app, "Clerk", ("11001",))
    issued = test_pki.issue("Kerani Nginx")
    register(cert_app, officer, issued)

    response = front.get("/courts/list/", issued)

    assert response.status_code == 200, response.text[:300]
    assert "Strict-Transport-Security" in response.headers
    (login,) = security_events(cert_app, user_id=officer.id, action="login")
    assert issued.fingerprint in login.detail
    # The client's address in the log is the officer's, as nginx saw it.
    assert login.remote_addr == "127.0.0.1"


@pytest.mark.parametrize("kind", ["expired", "revoked", "foreign", "unregistered"])
def test_bad_certificates_do_not_get_in(
    front: Front,
    cert_app: Flask,
    test_pki: Pki,
    revoked_cert: pki.Issued,
    kind: str,
) -> None:
    officer = make_officer(cert_app, "Clerk", ("11001",))
    issued = {
        "expired": lambda: test_pki.expired(),
        "revoked": lambda: revoked_cert,
        "foreign": lambda: test_pki.issue(foreign=True),
        "unregistered": lambda: test_pki.issue(),
    }[kind]()
    if kind == "unregistered":
        pass  # issued by the right CA, never registered
    else:
        # Nothing in the registry may let these in: give them an owner.
        from tests.security.test_cert_login import _register_unchecked

        _register_unchecked(cert_app, officer.id, issued)

    response = front.get("/courts/list/", issued)

    assert response.status_code == 403, response.text[:300]
    assert "Akses ke portal pegawai ditolak" in response.text
    expected = {
        "expired": "tamat tempoh",
        "revoked": "dibatalkan",
        "foreign": "tidak dikeluarkan",
        "unregistered": "tidak didaftarkan",
    }[kind]
    assert expected in response.text
    assert not security_events(cert_app, user_id=officer.id, action="login")
    refusals = security_events(cert_app, action="cert_refused")
    assert any(issued.fingerprint in (r.detail or "") for r in refusals)


def test_no_certificate_reaches_the_public_pages_only(front: Front) -> None:
    assert front.get("/efiling/").status_code == 200
    assert front.get("/status/").status_code == 200
    refused = front.get("/courts/list/")
    assert refused.status_code == 403
    assert "Sijil digital (Softcert) diperlukan" in refused.text


def test_a_forged_certificate_header_is_overwritten_by_nginx(
    front: Front, cert_app: Flask, test_pki: Pki
) -> None:
    officer = make_officer(cert_app, "Clerk", ("11001",))
    issued = test_pki.issue()
    register(cert_app, officer, issued)
    from tests.security.conftest import forwarded

    response = requests.get(
        front.url + "/courts/list/",
        headers=forwarded(issued),
        verify=str(front.ca_file),
        allow_redirects=False,
        timeout=10,
    )

    assert response.status_code == 403


def test_cross_court_and_confidential_cases_stay_hidden_through_tls(
    front: Front, cert_app: Flask, test_pki: Pki
) -> None:
    keyer = make_officer(cert_app, "Clerk", ("11001",))
    reader = make_officer(cert_app, "Clerk", ("11001",))
    # Markup is refused in titles at registration; quotes and SQL are not.
    title = "Tuntutan O'Brien\"; DROP TABLE court; --"
    with cert_app.app_context():
        act_as(cert_app, keyer)
        own = services.register_case(registration("11001", user=keyer, title=title))
        other = services.register_case(registration("11002", user=keyer))
        sealed = services.register_case(
            registration("11001", user=keyer, confidential=True)
        )
        ids = own.id, other.id, sealed.id
    issued = test_pki.issue()
    register(cert_app, reader, issued)

    shown = front.get(f"/cases/show/{ids[0]}", issued)
    cross = front.get(f"/cases/show/{ids[1]}", issued)
    confidential = front.get(f"/cases/show/{ids[2]}", issued)

    assert shown.status_code == 200
    assert "O&#39;Brien&#34;; DROP TABLE court; --" in shown.text
    assert (cross.status_code, confidential.status_code) == (404, 404)
    with cert_app.app_context():
        denied = db.session.query(AccessLog).filter(
            AccessLog.user_id == reader.id, AccessLog.allowed.is_(False)
        )
        assert {row.record_id for row in denied} >= {str(ids[1]), str(ids[2])}
        # The text that looked like SQL was only text.
        assert db.session.execute(db.text("SELECT count(*) FROM court")).scalar()
