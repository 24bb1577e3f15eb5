"""Engine settings that make the embedded SQLite behave like the real server.

pysqlite starts transactions lazily and in "deferred" mode: two requests that
both read and then write can deadlock, and one of them fails at once with
"database is locked". Here every transaction starts with ``BEGIN IMMEDIATE``
(the write lock is taken up front and others wait for it), DDL becomes
transactional, foreign keys are enforced as on PostgreSQL, and WAL lets
readers of committed data go on while one writer works.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

logger = logging.getLogger(__name__)

#: How long a writer waits for the lock before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def configure_engine(engine: sa.Engine) -> None:
    """Install the SQLite connection and transaction settings (once per engine)."""
    if engine.dialect.name != "sqlite" or engine.info.get("spkms_configured"):
        return
    engine.info["spkms_configured"] = True

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite; "begin" below opens them.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
