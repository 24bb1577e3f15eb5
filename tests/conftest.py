"""Shared fixtures: an initialised portal per database backend, officers, logins.

``app`` is built once per backend (SQLite and PostgreSQL) and shared by the
tests of a session; tests create their own officers and records with unique
names, so they never depend on each other's data.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal import create_app
from portal.extensions import db
from portal.models import Court, Judge, OfficerCourt
from tests.databases import BACKENDS, drop_database, fresh_database_url

PASSWORD = "rahsia-ujian-123"
_counter = itertools.count(1)


def app_settings(database_url: str, **extra: Any) -> dict[str, Any]:
    """Settings for an app under test."""
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SPKMS_REDIS_URL": None,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        # Tests log in far more often than any person; limits have their own test.
        "RATELIMIT_ENABLED": False,
        "SECRET_KEY": "test-secret-key-of-at-least-32-bytes-long",
        **extra,
    }


def initialise(app: Flask) -> None:
    """Create the schema from the models and run ``init``'s other steps."""
    from portal.provision import init

    with app.app_context():
        db.create_all()
        init(migrate_schema=False)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = fresh_database_url(backend, tmp_path_factory.mktemp(backend))
    application = create_app(app_settings(url))
    initialise(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    drop_database(url)


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def court_id(code: str) -> int:
    """The id of the court with ``code`` (inside an app context)."""
    found = db.session.scalar(sa.select(Court.id).where(Court.code == code))
    assert found is not None, f"court {code} is not in the profile"
    return found


def make_officer(
    app: Flask, role: str, courts: tuple[str, ...] = (), *, judge: bool = False
) -> Any:
    """Create an officer with ``role`` posted to ``courts``; return the user."""
    with app.app_context():
        sm = app.appbuilder.sm
        name = f"{role.lower().replace(' ', '')}{next(_counter)}"
        user = sm.add_user(
            username=name,
            first_name=role,
            last_name=name,
            email=f"{name}@test.spkms.local",
            role=sm.find_role(role),
            password=PASSWORD,
        )
        assert user, f"could not create {name}"
        for code in courts:
            db.session.add(OfficerCourt(user_id=user.id, court_id=court_id(code)))
        if judge:
            db.session.add(Judge(user_id=user.id, court_id=court_id(courts[0])))
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


def login(client: FlaskClient, username: str) -> None:
    """Log into the screens with the form, as a person would."""
    response = client.post(
        "/login/",
        data={"username": username, "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]


def api_headers(client: FlaskClient, username: str) -> dict[str, str]:
    """A bearer token from the API's own login endpoint."""
    response = client.post(
        "/api/v1/security/login",
        json={"username": username, "password": PASSWORD, "provider": "db"},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json['access_token']}"}


@pytest.fixture(scope="session")
def sample_plugin(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Build and install the third-party sample plugin; return its entry-point name.

    The plugin is a real distribution (``tests/sample_plugin``), installed by pip
    into a folder put on ``sys.path``, and found through its entry point.
    """
    from tests.sample import install_sample_plugin

    return install_sample_plugin(tmp_path_factory.mktemp("sample-plugin"))


@pytest.fixture(scope="session")
def sample_app(
    backend: str, sample_plugin: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The portal with the built-in plugins and the sample plugin enabled."""
    from tests.sample import states_dir_enabling

    tmp = tmp_path_factory.mktemp(f"sample-{backend}")
    url = fresh_database_url(backend, tmp)
    states = states_dir_enabling(tmp, sample_plugin)
    application = create_app(app_settings(url, SPKMS_STATES_DIR=str(states)))
    initialise(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    drop_database(url)
