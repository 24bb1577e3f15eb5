"""The hash chain over the access log, and its verification.

Each row's ``hash`` is the SHA-256 of its previous row's hash and its own
content, so changing a row's content breaks its own hash, and removing a row
breaks the link of the row after it. The chain head (``AuditChainHead``)
remembers the last hash, so rows cut off the end are noticed too. Appending
locks the head row, which serialises writers on PostgreSQL; on SQLite every
transaction already holds the write lock from ``BEGIN IMMEDIATE``
(``portal.database``).

Rows written before the chain existed have no hash; verification starts at
the first chained row and treats a missing hash after it as an alteration.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from portal.audit.models import AccessLog, AuditChainHead

logger = logging.getLogger(__name__)

#: The "previous hash" of the first chained row.
GENESIS = "0" * 64

#: The columns a row's hash covers, in this order. Adding one changes every
#: hash: a new column must be appended and old rows verified without it.
CHAINED_FIELDS = (
    "at",
    "user_id",
    "username",
    "remote_addr",
    "request_id",
    "action",
    "allowed",
    "table_name",
    "record_id",
    "endpoint",
    "detail",
)

HEAD_ID = 1

# TODO(anchoring): someone who can write to the database can recompute every
# hash after the row they changed, head included. Publishing the head hash
# outside the database (daily to the auditor, or write-once storage) would
# make such a rewrite show; until then the chain catches edits by SQL, not a
# determined database administrator.


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        # SQLite returns the stored UTC time without its zone.
        aware = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def row_hash(row: Mapping[str, Any], prev_hash: str) -> str:
    """The hash of one access log row chained onto ``prev_hash``."""
    content = [prev_hash, *(_canonical(row.get(name)) for name in CHAINED_FIELDS)]
    encoded = json.dumps(content, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _lock_head(connection: sa.Connection) -> tuple[str, int]:
    """Make sure the head row exists, lock it, return (last hash, length)."""
    table = AuditChainHead.__table__
    dialect = connection.dialect.name
    values = {"id": HEAD_ID, "length": 0}
    if dialect == "postgresql":
        connection.execute(
            postgresql.insert(table).values(values).on_conflict_do_nothing()
        )
    elif dialect == "sqlite":
        connection.execute(sqlite.insert(table).values(values).on_conflict_do_nothing())
    else:  # pragma: no cover - the portal runs on the two above
        raise RuntimeError(f"audit chain: unsupported database {dialect}")
    head = connection.execute(
        sa.select(table.c.last_hash, table.c.length)
        .where(table.c.id == HEAD_ID)
        .with_for_update()
    ).one()
    return head.last_hash or GENESIS, head.length


def append(connection: sa.Connection, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert ``rows`` into the access log, chained, in the caller's transaction.

    Returns the id of the last row written (0 when there was none).
    """
    prev, length = _lock_head(connection)
    last_id = 0
    for row in rows:
        values = {name: row.get(name) for name in CHAINED_FIELDS}
        values["prev_hash"] = prev
        values["hash"] = row_hash(values, prev)
        result = connection.execute(sa.insert(AccessLog).values(values))
        last_id = int(result.inserted_primary_key[0])
        prev = values["hash"]
        length += 1
    if last_id:
        table = AuditChainHead.__table__
        connection.execute(
            sa.update(table)
            .where(table.c.id == HEAD_ID)
            .values(last_id=last_id, last_hash=prev, length=length)
        )
    return last_id


@dataclass(frozen=True)
class ChainReport:
    """The outcome of ``verify``: ``problem`` is None when the chain is whole."""

    checked: int
    unchained: int
    problem: str | None = None
    record_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(connection: sa.Connection, batch: int = 5000) -> ChainReport:
    """Walk the access log in id order; report the first altered or removed row."""
    table = AccessLog.__table__
    columns = [table.c.id, table.c.prev_hash, table.c.hash] + [
        table.c[name] for name in CHAINED_FIELDS
    ]
    prev = GENESIS
    prev_id: int | None = None
    started = False
    checked = unchained = 0
    result = connection.execution_options(yield_per=batch).execute(
        sa.select(*columns).order_by(table.c.id)
    )
    for row in result.mappings():
        if row["hash"] is None:
            if started:
                return ChainReport(
                    checked,
                    unchained,
                    f"record {row['id']} altered: its chain hash was removed",
                    row["id"],
                )
            unchained += 1
            continue
        started = True
        if row_hash(row, row["prev_hash"] or "") != row["hash"]:
            return ChainReport(
                checked,
                unchained,
                f"record {row['id']} altered: its content does not match its hash",
                row["id"],
            )
        if row["prev_hash"] != prev:
            where = f"after record {prev_id}" if prev_id else "at the start"
            return ChainReport(
                checked,
                unchained,
                f"record(s) removed or altered before record {row['id']} ({where})",
                row["id"],
            )
        prev, prev_id = row["hash"], row["id"]
        checked += 1
    head = connection.execute(
        sa.select(AuditChainHead.last_id, AuditChainHead.last_hash).where(
            AuditChainHead.id == HEAD_ID
        )
    ).first()
    if head is not None and (head.last_hash or GENESIS) != prev:
        return ChainReport(
            checked,
            unchained,
            f"record(s) removed from the end: the chain ended at record "
            f"{head.last_id}, the last intact record is {prev_id}",
            head.last_id,
        )
    return ChainReport(checked, unchained)
