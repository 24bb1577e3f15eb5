"""The offline counter's own store: one SQLite file on the cashier's PC.

Not the portal's database. Every receipt is written with
``synchronous=FULL`` before it is shown, so a receipt handed to a payer
survives a power cut. Each carries a UUID and the hash of the receipt before
it (``signing.chain_hash``); the portal checks the chain at sync, so a
receipt deleted or altered here is caught.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from plugins.collections import signing
from plugins.collections.money import cash_rounding

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fee_type (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, revenue_code TEXT NOT NULL,
    amount_sen INTEGER NOT NULL, kind TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS open_case (case_number TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS block (
    first_number INTEGER PRIMARY KEY, last_number INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS receipt (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    running_number INTEGER NOT NULL UNIQUE,
    number TEXT NOT NULL,
    content TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    total_sen INTEGER NOT NULL,
    synced INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS cancellation (
    uuid TEXT PRIMARY KEY REFERENCES receipt(uuid),
    reason TEXT NOT NULL, cancelled_by TEXT NOT NULL, cancelled_at TEXT NOT NULL,
    synced INTEGER NOT NULL DEFAULT 0);
"""

#: Warn when fewer numbers than this fraction of the last block remain.
LOW_FRACTION = 0.2


class CounterRefused(ValueError):
    """Bad input at the counter; ``field`` and ``rule`` as in the portal."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


@dataclass
class Status:
    """What the counter's screen shows at the top."""

    counter_code: str
    waiting: int
    waiting_cancellations: int
    last_sync: str | None
    numbers_left: int
    low: bool
    online: bool | None


class CounterStore:
    """The counter's SQLite file and the rules it enforces offline."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # --- settings and cache ----------------------------------------------------

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute(
            "SELECT value FROM setting WHERE key = ?", (key,)
        ).fetchone()
        return row["value"] if row else default

    def put(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO setting (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def configure(self, server: str, code: str, secret: str) -> None:
        self.put("server", server.rstrip("/"))
        self.put("counter_code", code)
        self.put("secret", secret)

    def cache(self, snapshot: dict[str, Any]) -> None:
        """Replace the cached fee schedule and case list; add new blocks."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("DELETE FROM fee_type")
            self.db.executemany(
                "INSERT INTO fee_type VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        f["code"],
                        f["name"],
                        f["revenue_code"],
                        f["amount_sen"],
                        f["kind"],
                    )
                    for f in snapshot["fee_types"]
                ],
            )
            self.db.execute("DELETE FROM open_case")
            self.db.executemany(
                "INSERT INTO open_case VALUES (?)",
                [(number,) for number in snapshot["open_cases"]],
            )
            for first, last in snapshot["blocks"]:
                self.add_block(first, last)
            if not self.db.execute("SELECT 1 FROM receipt LIMIT 1").fetchone():
                # A new PC for a counter goes on from the portal's chain.
                self.put("chain_head", snapshot["chain_head"])
            self.put("court_name", snapshot["court"]["name"])
            self.put("counter_name", snapshot["counter"]["name"])
            self.db.execute("COMMIT")
        except Exception:
            self.db.execute("ROLLBACK")
            raise

    def add_block(self, first: int, last: int) -> None:
        self.db.execute("INSERT OR IGNORE INTO block VALUES (?, ?)", (first, last))

    def fee_types(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM fee_type ORDER BY code").fetchall()

    # --- numbers ---------------------------------------------------------------

    def _used_max(self) -> int:
        row = self.db.execute("SELECT MAX(running_number) AS n FROM receipt").fetchone()
        return row["n"] or 0

    def next_number(self) -> int | None:
        """The lowest unused number of the reserved blocks above the last used."""
        used = self._used_max()
        row = self.db.execute(
            "SELECT first_number, last_number FROM block WHERE last_number > ?"
            " ORDER BY first_number LIMIT 1",
            (used,),
        ).fetchone()
        if row is None:
            return None
        return max(row["first_number"], used + 1)

    def numbers_left(self) -> int:
        used = self._used_max()
        left = 0
        for row in self.db.execute("SELECT first_number, last_number FROM block"):
            low = max(row["first_number"], used + 1)
            left += max(0, row["last_number"] - low + 1)
        return left

    def is_low(self) -> bool:
        row = self.db.execute(
            "SELECT first_number, last_number FROM block ORDER BY first_number DESC"
            " LIMIT 1"
        ).fetchone()
        size = (row["last_number"] - row["first_number"] + 1) if row else 0
        return self.numbers_left() <= max(1, int(size * LOW_FRACTION))

    # --- receipts --------------------------------------------------------------

    def _check(
        self,
        payer_name: str,
        payer_identity: str,
        method: str,
        reference: str | None,
        case_number: str | None,
        lines: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        from plugins.collections.models import PaymentMethod

        if not payer_name.strip():
            raise CounterRefused("payer_name", "is required")
        if not payer_identity.strip():
            raise CounterRefused("payer_identity", "is required (MyKad or passport)")
        if method not in PaymentMethod.LABELS:
            raise CounterRefused(
                "method", f"must be one of {', '.join(PaymentMethod.LABELS)}"
            )
        if method in PaymentMethod.NEEDS_REFERENCE and not (reference or "").strip():
            raise CounterRefused(
                "reference", f"is required for {PaymentMethod.LABELS[method]}"
            )
        if case_number:
            found = self.db.execute(
                "SELECT 1 FROM open_case WHERE case_number = ?", (case_number,)
            ).fetchone()
            if found is None:
                # Kept: the case list may be stale; the portal queues it.
                logger.warning("counter: case %s not in the cached list", case_number)
        if not lines:
            raise CounterRefused("lines", "a receipt needs at least one fee line")
        fees = {row["code"]: row for row in self.fee_types()}
        checked = []
        for index, line in enumerate(lines):
            where = f"lines[{index}]"
            fee = fees.get(line.get("fee_code", ""))
            if fee is None:
                raise CounterRefused(
                    f"{where}.fee_code",
                    f"{line.get('fee_code')!r} is not in this state's fee schedule",
                )
            if fee["kind"] in ("registration", "fine"):
                raise CounterRefused(
                    f"{where}.fee_code",
                    f"{fee['code']} is settled online only (needs the case's record)",
                )
            quantity = line.get("quantity", 1)
            if not isinstance(quantity, int) or quantity < 1:
                raise CounterRefused(
                    f"{where}.quantity", "must be a whole number of at least 1"
                )
            amount = (
                fee["amount_sen"] * quantity
                if fee["amount_sen"]
                else line.get("amount_sen")
            )
            if not isinstance(amount, int) or amount <= 0:
                raise CounterRefused(f"{where}.amount_sen", "must be more than 0 sen")
            if fee["kind"] == "deposit" and not case_number:
                raise CounterRefused("case_number", "a deposit is held against a case")
            entry = {"fee_code": fee["code"], "quantity": quantity}
            if not fee["amount_sen"]:
                entry["amount_sen"] = amount
            checked.append({**entry, "_amount": amount})
        return checked

    def issue(
        self,
        *,
        cashier_name: str,
        payer_name: str,
        payer_identity: str,
        method: str,
        lines: list[dict[str, Any]],
        case_number: str | None = None,
        reference: str | None = None,
        issued_at: datetime | None = None,
    ) -> dict[str, Any]:
        """Issue a receipt from the reserved block, on disk before it returns."""
        checked = self._check(
            payer_name, payer_identity, method, reference, case_number, lines
        )
        subtotal = sum(line.pop("_amount") for line in checked)
        total = subtotal + (cash_rounding(subtotal) if method == "tunai" else 0)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            running = self.next_number()
            if running is None:
                raise CounterRefused(
                    "running_number",
                    "no receipt numbers left: connect to reserve a block",
                )
            last = self.db.execute(
                "SELECT hash FROM receipt ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            prev = last["hash"] if last else (self.get("chain_head") or signing.GENESIS)
            content = {
                "uuid": str(uuid.uuid4()),
                "running_number": running,
                "issued_at": (issued_at or datetime.now(UTC)).isoformat(),
                "cashier_name": cashier_name,
                "payer_name": payer_name.strip(),
                "payer_identity": payer_identity.strip(),
                "case_number": (case_number or "").strip() or None,
                "method": method,
                "reference": (reference or "").strip() or None,
                "lines": checked,
            }
            digest = signing.chain_hash(prev, content)
            number = f"{self.get('counter_code')}-L{running:06d}"
            self.db.execute(
                "INSERT INTO receipt (uuid, running_number, number, content, prev_hash,"
                " hash, total_sen) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    content["uuid"],
                    running,
                    number,
                    signing.canonical_json(content),
                    prev,
                    digest,
                    total,
                ),
            )
            self.db.execute("COMMIT")
        except Exception:
            self.db.execute("ROLLBACK")
            raise
        logger.info("counter receipt issued: %s uuid=%s", number, content["uuid"])
        return {**content, "number": number, "total_sen": total, "hash": digest}

    def cancel(self, receipt_uuid: str, reason: str, supervisor_name: str) -> None:
        """Cancel a receipt on the counter (synced later); never twice."""
        if not reason.strip():
            raise CounterRefused("reason", "is required to cancel a receipt")
        if not supervisor_name.strip():
            raise CounterRefused("cancelled_by", "the supervisor's name is required")
        found = self.db.execute(
            "SELECT 1 FROM receipt WHERE uuid = ?", (receipt_uuid,)
        ).fetchone()
        if found is None:
            raise CounterRefused("uuid", "names no receipt of this counter")
        try:
            self.db.execute(
                "INSERT INTO cancellation (uuid, reason, cancelled_by, cancelled_at)"
                " VALUES (?, ?, ?, ?)",
                (
                    receipt_uuid,
                    reason.strip(),
                    supervisor_name.strip(),
                    datetime.now(UTC).isoformat(),
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise CounterRefused("uuid", "this receipt is already cancelled") from exc

    def receipts(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT r.*, c.reason AS cancel_reason FROM receipt r"
            " LEFT JOIN cancellation c ON c.uuid = r.uuid"
            " ORDER BY r.seq DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            {
                **json.loads(row["content"]),
                "number": row["number"],
                "total_sen": row["total_sen"],
                "synced": bool(row["synced"]),
                "cancelled": row["cancel_reason"] is not None,
            }
            for row in rows
        ]

    # --- sync bookkeeping --------------------------------------------------------

    def pending(self, limit: int) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT content, prev_hash, hash FROM receipt WHERE synced = 0"
            " ORDER BY seq LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            {
                **json.loads(row["content"]),
                "prev_hash": row["prev_hash"],
                "hash": row["hash"],
            }
            for row in rows
        ]

    def pending_cancellations(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT c.* FROM cancellation c JOIN receipt r ON r.uuid = c.uuid"
            " WHERE c.synced = 0 AND r.synced = 1"
        ).fetchall()
        return [
            {
                key: row[key]
                for key in ("uuid", "reason", "cancelled_by", "cancelled_at")
            }
            for row in rows
        ]

    def mark_synced(self, uuids: list[str], table: str = "receipt") -> None:
        if table not in ("receipt", "cancellation"):
            raise ValueError(table)
        self.db.executemany(
            f"UPDATE {table} SET synced = 1 WHERE uuid = ?",  # noqa: S608
            [(u,) for u in uuids],
        )

    def status(self, online: bool | None = None) -> Status:
        waiting = self.db.execute(
            "SELECT COUNT(*) AS n FROM receipt WHERE synced = 0"
        ).fetchone()["n"]
        waiting_cancellations = self.db.execute(
            "SELECT COUNT(*) AS n FROM cancellation WHERE synced = 0"
        ).fetchone()["n"]
        return Status(
            counter_code=self.get("counter_code") or "-",
            waiting=waiting,
            waiting_cancellations=waiting_cancellations,
            last_sync=self.get("last_sync"),
            numbers_left=self.numbers_left(),
            low=self.is_low(),
            online=online,
        )
