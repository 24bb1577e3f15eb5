"""Writing many rows fast: PostgreSQL COPY, SQLite executemany.

The ORM flushes one object at a time and Continuum adds a version row and a
transaction per flush, which is far too slow for millions of rows. The
writer takes plain tuples, sends them by the backend's bulk path inside the
session's transaction (so a failure leaves nothing behind), writes the
insert version of every row of a versioned table beside it, and afterwards
moves each id sequence past the ids it handed out so that the next row a
clerk keys continues from there.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy_continuum import version_class, versioning_manager

logger = logging.getLogger(__name__)

#: Continuum's ``operation_type`` of an insert version.
INSERT = 0


class BulkWriter:
    """Writes rows of one table at a time in the session's transaction.

    ``on_rows`` is told how many rows each call wrote (for a progress bar).
    """

    def __init__(
        self, session: Session, on_rows: Callable[[int], None] | None = None
    ) -> None:
        self.connection = session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        self.on_rows = on_rows
        self.written: Counter[str] = Counter()
        self._next_ids: dict[str, int] = {}
        self._deferred: list[str] = []
        if self.postgres and self.connection.scalar(
            sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        ):
            # Foreign keys are checked by a trigger per row, which costs more
            # than the COPY itself; the rows are generated consistent (the
            # loader's test checks them). ``pg_restore --disable-triggers``
            # does the same; it needs a superuser, else the checks stay on.
            self.connection.execute(
                sa.text("SET LOCAL session_replication_role = replica")
            )

    def defer_indexes(self, tables: Sequence[sa.Table]) -> None:
        """Drop the plain (non-unique) indexes of ``tables`` until ``finish``.

        PostgreSQL only. One sort per index at the end costs far less than
        updating every index row by row, above all the trigram index on
        party names. Unique indexes stay: they are the load's own check.
        The drop locks the tables until commit, which suits a load into a
        database nobody uses yet.
        """
        if not self.postgres:
            return
        names = [table.name for table in tables]
        found = self.connection.execute(
            sa.text(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
                " JOIN pg_class i ON i.oid = x.indexrelid"
                " JOIN pg_class t ON t.oid = x.indrelid"
                " WHERE t.relname = ANY(:names) AND NOT x.indisunique"
                " AND NOT x.indisprimary AND pg_table_is_visible(t.oid)"
            ),
            {"names": names},
        ).all()
        for name, definition in found:
            self.connection.execute(sa.text(f'DROP INDEX "{name}"'))
            self._deferred.append(definition)
        logger.info("bulk load: %d indexes deferred", len(found))

    def finish(self) -> None:
        """Rebuild the deferred indexes and move the id sequences on."""
        if self._deferred:
            self.connection.execute(sa.text("SET LOCAL maintenance_work_mem = '256MB'"))
        for definition in self._deferred:
            self.connection.execute(sa.text(definition))
        self._deferred.clear()
        self.sync_sequences()

    def take_ids(self, table: sa.Table, count: int) -> int:
        """Reserve ``count`` ids of ``table``; return the first one."""
        name = table.name
        if name not in self._next_ids:
            highest = self.connection.scalar(sa.select(sa.func.max(table.c.id)))
            self._next_ids[name] = (highest or 0) + 1
        first = self._next_ids[name]
        self._next_ids[name] = first + count
        return first

    def write(
        self,
        table: sa.Table,
        columns: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
    ) -> None:
        """Insert ``rows`` (tuples in the order of ``columns``) into ``table``."""
        if not rows:
            return
        if self.postgres:
            self._copy(table.name, columns, rows)
        else:
            self.connection.execute(
                table.insert(), [dict(zip(columns, row, strict=True)) for row in rows]
            )
        self.written[table.name] += len(rows)
        if self.on_rows is not None:
            self.on_rows(len(rows))

    def write_versioned(
        self,
        model: type,
        columns: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        transaction_ids: Sequence[int],
    ) -> None:
        """Insert ``rows`` into ``model``'s table and their insert versions.

        ``transaction_ids[i]`` is the Continuum transaction of ``rows[i]``.
        """
        self.write(model.__table__, columns, rows)  # type: ignore[attr-defined]
        versions = [
            (*row, transaction_id, None, INSERT)
            for row, transaction_id in zip(rows, transaction_ids, strict=True)
        ]
        self.write(
            version_class(model).__table__,
            (*columns, "transaction_id", "end_transaction_id", "operation_type"),
            versions,
        )

    def write_transactions(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Continuum transactions as ``(id, issued_at, user_id)`` tuples."""
        self.write(
            versioning_manager.transaction_cls.__table__,
            ("id", "issued_at", "user_id"),
            rows,
        )

    def transaction_table(self) -> sa.Table:
        return versioning_manager.transaction_cls.__table__

    def _copy(
        self, name: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(name), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        raw = self.connection.connection.dbapi_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def sync_sequences(self) -> None:
        """Move each written table's id sequence past the ids handed out.

        PostgreSQL only: SQLite takes the next id from the table itself. A
        sequence made by ``create_all`` for Continuum's transactions is not
        owned by its column, so it is also looked up by its conventional name.
        """
        if not self.postgres:
            return
        for name in self._next_ids:
            sequence = self.connection.scalar(
                sa.text(
                    "SELECT coalesce(pg_get_serial_sequence(:quoted, 'id'),"
                    " to_regclass(:fallback)::text)"
                ),
                {"quoted": f'"{name}"', "fallback": f'"{name}_id_seq"'},
            )
            if sequence is None or self._next_ids[name] <= 1:
                continue
            self.connection.execute(
                sa.text("SELECT setval(:sequence, :last)"),
                {"sequence": sequence, "last": self._next_ids[name] - 1},
            )
            logger.debug("sequence %s set to %s", sequence, self._next_ids[name] - 1)
