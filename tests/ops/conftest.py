"""A whole PostgreSQL database set up the way an operator does it.

``state_database`` creates a new database (not a schema: ``pg_dump`` and
``pg_restore`` work on whole databases), runs ``spkms init`` on it through the
CLI, and drops it at the end of the session. The deployment tests share it;
each registers its own cases.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from portal import create_app
from portal.extensions import db
from tests.conftest import app_settings
from tests.ops.processes import POSTGRES_ADMIN_URL, base_env, spkms


def database_url(name: str) -> str:
    return sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)


def create_database(prefix: str = "spkms_bk") -> str:
    """A new, empty database; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return database_url(name)


def drop_database(url: str) -> None:
    """Drop the database of ``url``, closing whatever still holds it open."""
    name = sa.make_url(url).database
    engine = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def state_database() -> Iterator[str]:
    url = create_database()
    try:
        spkms(base_env(SPKMS_DATABASE_URL=url), "init")
        yield url
    finally:
        drop_database(url)


@pytest.fixture(scope="session")
def state_app(state_database: str) -> Iterator[Flask]:
    """This test process's own portal on ``state_database`` (jobs inline).

    The tests use it the way an administrator uses a shell on the server: to
    post officers and look at rows, never to stand in for the portals under
    test.
    """
    application = create_app(app_settings(state_database))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
