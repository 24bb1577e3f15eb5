"""Engine settings that make the embedded SQLite behave like the real server.

pysqlite starts transactions lazily and in "deferred" mode: two requests that
both read and then write can deadlock, and one of them fails at once with
"database is locked", or interleave so that one overwrites what the other
just committed. ``configure_engine`` makes every transaction start with
``BEGIN IMMEDIATE`` (the write lock is taken up front and others wait for
it), DDL transactional, foreign keys enforced as on PostgreSQL, and WAL lets
readers of committed data go on while one writer works.

The price: a session that has read anything holds the lock until it commits
or rolls back, so code that opens a second connection (or app context) in
the same thread must end its own transaction first, or it waits on itself
for the busy timeout.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

import sqlalchemy as sa

logger = logging.getLogger(__name__)

#: How long a writer waits for the lock before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000


#: Engines already given the settings (apps built twice share none, but a
#: test may build the same app's engine again).
_CONFIGURED: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def configure_engine(engine: sa.Engine) -> None:
    """Install the SQLite connection and transaction settings (once per engine).

    Called by ``create_app`` right after ``db.init_app``, before the engine's
    first connection, so every connection gets them.
    """
    if engine.dialect.name != "sqlite" or engine in _CONFIGURED:
        return
    _CONFIGURED.add(engine)

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
