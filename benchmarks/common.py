"""What every benchmark needs: a fresh database, a built portal, a stopwatch."""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def fresh_portal(backend: str) -> Iterator[Flask]:
    """A portal on an empty database of ``backend``, initialised, then removed."""
    from portal import create_app
    from portal.extensions import db
    from portal.provision import init

    schema = None
    if backend == "postgresql":
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        engine = sa.create_engine(POSTGRES_URL)
        with engine.begin() as connection:
            connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema},public"
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SPKMS_REDIS_URL": None,
            "SECRET_KEY": "benchmark-secret-key-of-32-bytes-or-more",
        }
    )
    with app.app_context():
        db.create_all()
        init(migrate_schema=False)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if schema is not None:
            engine = sa.create_engine(POSTGRES_URL)
            with engine.begin() as connection:
                connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
            engine.dispose()


def timed(function: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Median wall time of ``repeat`` calls in seconds, and the last result."""
    times: list[float] = []
    result: Any = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def table(rows: list[tuple[str, ...]]) -> str:
    """A plain text table, e.g. of (what, figure, compared with)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows
    )
