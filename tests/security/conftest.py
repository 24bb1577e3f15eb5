"""Fixtures for the security tests: a development CA with officers' certificates
of every kind, and a portal with certificate login on, per backend.

Certificates are real (``portal.security.pki``), made once per session with
EC keys (quick to generate; nginx and the portal treat them as RSA ones).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask

from portal import create_app
from portal.extensions import db
from portal.security import pki
from tests.conftest import app_settings, initialise
from tests.databases import drop_database, fresh_database_url

_numbers = itertools.count(1)

#: The emergency account the test state profile names.
EMERGENCY_USER = "kecemasan"


def states_with_emergency_account(tmp: Path) -> Path:
    """A copy of the Terengganu profile that names one emergency account."""
    import shutil

    from portal.settings import CONFIG_DIR

    states = tmp / "states"
    shutil.copytree(CONFIG_DIR / "states", states)
    profile = states / "terengganu.toml"
    profile.write_text(
        profile.read_text(encoding="utf-8")
        + f'\n[security]\nemergency_accounts = ["{EMERGENCY_USER}"]\n',
        encoding="utf-8",
    )
    return states


def new_id_number() -> str:
    """A MyKad-shaped number unique in the session."""
    return f"900101-11-{next(_numbers) % 10000:04d}"


@dataclass(frozen=True)
class Pki:
    """The files of the test CA and a foreign CA."""

    ca_dir: Path
    foreign_dir: Path
    out: Path
    server: pki.Issued

    @property
    def ca_file(self) -> Path:
        return self.ca_dir / "ca.pem"

    @property
    def crl_file(self) -> Path:
        return self.ca_dir / "crl.pem"

    def issue(self, name: str = "Pegawai Ujian", **options: Any) -> pki.Issued:
        """An officer certificate of the test CA (``foreign=True``: another CA)."""
        ca = self.foreign_dir if options.pop("foreign", False) else self.ca_dir
        number = options.pop("id_number", None) or new_id_number()
        return pki.issue_officer(
            ca,
            self.out,
            name=name,
            id_number=number,
            key_type="ec",
            basename=f"c{next(_numbers)}",
            **options,
        )

    def expired(self, **options: Any) -> pki.Issued:
        now = datetime.now(UTC)
        return self.issue(
            not_before=now - timedelta(days=400),
            not_after=now - timedelta(days=1),
            **options,
        )


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = tmp_path_factory.mktemp("pki")
    pki.create_ca(root / "ca", "SPKMS Test CA")
    pki.create_ca(root / "foreign", "Foreign CA")
    server = pki.issue_server(root / "ca", root / "out", "localhost")
    return Pki(root / "ca", root / "foreign", root / "out", server)


def forwarded(issued: pki.Issued, verify: str = "SUCCESS") -> dict[str, str]:
    """The headers nginx sends for a client certificate it verified."""
    return {
        "X-SSL-Client-Cert": quote(issued.cert.read_text()),
        "X-SSL-Client-Verify": verify,
    }


@pytest.fixture(scope="session")
def cert_app(
    backend: str, test_pki: Pki, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The portal with certificate login on, behind a proxy at 127.0.0.1."""
    tmp = tmp_path_factory.mktemp(f"cert-{backend}")
    url = fresh_database_url(backend, tmp)
    application = create_app(
        app_settings(
            url,
            SPKMS_STATES_DIR=str(states_with_emergency_account(tmp)),
            SPKMS_CERT_LOGIN=True,
            SPKMS_CERT_CA_FILE=str(test_pki.ca_file),
            SPKMS_CERT_CRL_FILE=str(test_pki.crl_file),
            SPKMS_TRUSTED_PROXIES="127.0.0.1",
        )
    )
    initialise(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    drop_database(url)
