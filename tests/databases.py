"""Fresh, isolated databases for tests: a SQLite file or a PostgreSQL schema.

Each app under test gets its own PostgreSQL schema (``search_path`` in the
URL), so test files never drop each other's tables. PostgreSQL must be up:
a missing service fails the test, it is never skipped.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import sqlalchemy as sa

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


def fresh_database_url(backend: str, tmp_dir: Path) -> str:
    """Return the URL of an empty database of ``backend``."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_dir / f'spkms-{uuid.uuid4().hex[:8]}.db'}"
    if backend != "postgresql":
        raise ValueError(f"backend: unknown {backend!r}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    # public stays on the path for extensions installed there (pg_trgm).
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema},public"


def schema_of(url: str) -> str:
    """The PostgreSQL schema a ``fresh_database_url`` URL writes to."""
    return url.rsplit("%3D", 1)[1].split(",")[0]


def drop_database(url: str) -> None:
    """Remove what ``fresh_database_url`` made (PostgreSQL schemas only)."""
    if not url.startswith("postgresql"):
        return
    schema = schema_of(url)
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()
