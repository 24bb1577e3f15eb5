"""Offline sync speed: 10,000 counter receipts taken by the portal over HTTP.

Not a test. Builds a portal on a fresh database (SQLite by default, or
``--database`` a PostgreSQL URL), serves it on loopback, lets an offline
counter issue ``--receipts`` receipts into its own SQLite file and then sync
them in batches. The baseline, measured in the same run on the same
database, is plain Core inserts of the same receipt and line rows (no checks,
no chain, no audit versions, no events). Prints both times and the ratio;
``benchmarks.run`` takes the same figures through ``measure``.

    .venv/bin/python -m benchmarks.collections_sync [--receipts 10000]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import g
from werkzeug.serving import make_server

from portal import create_app
from portal.extensions import db
from tests.conftest import app_settings, court_id, initialise, make_officer


@dataclass(frozen=True)
class SyncFigures:
    """Seconds spent by one measured sync and its plain-insert baseline."""

    receipts: int
    backend: str
    issue_seconds: float
    sync_seconds: float
    baseline_seconds: float


def measure(url: str | None, receipts: int, batch: int = 200) -> SyncFigures:
    """Issue ``receipts`` on an offline counter, sync them to a portal on ``url``
    (a fresh, empty database; None for a temporary SQLite), and time both the
    sync and the baseline inserts."""
    from plugins.collections import sync
    from plugins.collections.counter.client import CounterClient
    from plugins.collections.counter.store import CounterStore
    from plugins.collections.models import Counter, FeeType, Receipt, ReceiptLine

    work = Path(tempfile.mkdtemp(prefix="spkms-bench-"))
    url = url or f"sqlite:///{work / 'portal.db'}"
    app = create_app(app_settings(url))
    initialise(app)
    supervisor = make_officer(app, "Collections Supervisor", ("11002",))
    with app.app_context():
        g.user = app.appbuilder.sm.get_user_by_id(supervisor.id)
        counters = []
        for code in ("11002-BS", "11002-BB"):
            counter = Counter(court_id=court_id("11002"), code=code, name=code)
            db.session.add(counter)
            counters.append(counter)
        db.session.commit()
        secret = sync.enrol_counter(counters[0], g.user)
        left = receipts
        while left > 0:
            sync.reserve_block(counters[0], min(left, sync.MAX_BLOCK_SIZE))
            left -= sync.MAX_BLOCK_SIZE
        baseline_counter = counters[1].id
        fee_id = db.session.scalar(
            sa.select(FeeType.id).where(FeeType.code == "SALINAN_DIAKUI")
        )

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    store = CounterStore(work / "kaunter.db")
    store.configure(f"http://127.0.0.1:{server.server_port}", "11002-BS", secret)
    client = CounterClient(store)
    client.refresh()

    started = time.perf_counter()
    for index in range(receipts):
        store.issue(
            cashier_name="Juruwang Penanda Aras",
            payer_name=f"Pembayar {index}",
            payer_identity=f"850101-11-{index % 10000:04d}",
            method="tunai" if index % 2 else "kad",
            reference=None if index % 2 else f"APV{index}",
            lines=[{"fee_code": "SALINAN_DIAKUI", "quantity": 1 + index % 5}],
        )
    issue_seconds = time.perf_counter() - started

    started = time.perf_counter()
    report = client.sync(batch_size=batch)
    sync_seconds = time.perf_counter() - started
    assert report.accepted == receipts and not report.refused, report

    with app.app_context():
        now = datetime.now(UTC)
        court = court_id("11002")
        db.session.remove()  # SQLite: the baseline's connection takes the lock
        started = time.perf_counter()
        with db.engine.begin() as connection:
            for first in range(0, receipts, batch):
                chunk = range(first, min(first + batch, receipts))
                connection.execute(
                    sa.insert(Receipt.__table__),
                    [
                        {
                            "uuid": str(uuid.uuid4()),
                            "number": f"11002-BB-L{n + 1:06d}",
                            "court_id": court,
                            "counter_id": baseline_counter,
                            "series": "offline",
                            "running_number": n + 1,
                            "issued_at": now,
                            "business_date": now.date(),
                            "cashier_name": "Juruwang Penanda Aras",
                            "payer_name": f"Pembayar {n}",
                            "payer_identity": "850101-11-0000",
                            "method": "tunai",
                            "subtotal_sen": 300,
                            "rounding_sen": 0,
                            "total_sen": 300,
                            "offline": True,
                            "print_count": 0,
                            "created_at": now,
                            "changed_at": now,
                        }
                        for n in chunk
                    ],
                )
                ids = connection.scalars(
                    sa.select(Receipt.id).where(
                        Receipt.counter_id == baseline_counter,
                        Receipt.running_number > first,
                        Receipt.running_number <= chunk.stop,
                    )
                ).all()
                connection.execute(
                    sa.insert(ReceiptLine.__table__),
                    [
                        {
                            "receipt_id": pk,
                            "fee_type_id": fee_id,
                            "quantity": 1,
                            "amount_sen": 300,
                        }
                        for pk in ids
                    ],
                )
        baseline_seconds = time.perf_counter() - started
    server.shutdown()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return SyncFigures(
        receipts=receipts,
        backend=sa.make_url(url).get_backend_name(),
        issue_seconds=issue_seconds,
        sync_seconds=sync_seconds,
        baseline_seconds=baseline_seconds,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--database", default=None, help="default: a temp SQLite")
    args = parser.parse_args()
    found = measure(args.database, args.receipts, args.batch)
    sync, baseline = found.sync_seconds, found.baseline_seconds
    print(f"collections offline sync, {found.receipts} receipts, {found.backend}")
    print(f"  counter issues offline:         {found.issue_seconds:8.2f} s")
    print(f"  sync to the portal (HTTP):      {sync:8.2f} s")
    print(f"  baseline, plain inserts:        {baseline:8.2f} s")
    print(f"  ratio sync / baseline:          {sync / baseline:8.1f}x")
    per_receipt = 1000 * sync / found.receipts
    print(f"  per receipt synced:             {per_receipt:8.2f} ms")


if __name__ == "__main__":
    main()
