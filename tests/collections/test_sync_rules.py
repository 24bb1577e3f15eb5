"""What the portal does with each offline receipt, called without the network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, g

from plugins.collections import statement, sync
from plugins.collections.counter.store import CounterStore
from plugins.collections.models import Counter, FeeType, Receipt, SyncQueueItem
from portal.extensions import db
from portal.timezone import local_date
from tests.cases.conftest import act_as
from tests.collections.conftest import Desk, new_counter


def _counter_pc(app: Flask, desk: Desk, tmp_path: Path) -> tuple[int, CounterStore]:
    counter_id = new_counter(app)
    with app.app_context():
        act_as(app, desk.supervisor)
        counter = db.session.get(Counter, counter_id)
        sync.enrol_counter(counter, g.user)
        sync.reserve_block(counter, 20)
        snapshot = sync.snapshot(counter)
    store = CounterStore(tmp_path / "kaunter.db")
    store.configure("http://127.0.0.1:9", snapshot["counter"]["code"], "-")
    store.cache(snapshot)
    return counter_id, store


def _issue(store: CounterStore, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "cashier_name": "Hafiz",
        "payer_name": "Siti",
        "payer_identity": "850101-11-5002",
        "method": "tunai",
        "lines": [{"fee_code": "SALINAN_DIAKUI", "quantity": 1}],
    }
    values.update(extra)
    return store.issue(**values)


def _take(app: Flask, counter_id: int, items: list[dict]) -> sync.SyncResult:
    with app.app_context():
        return sync.take_receipts(db.session.get(Counter, counter_id), items)


def test_a_missing_receipt_breaks_the_chain_and_nothing_after_is_taken(
    app: Flask, desk: Desk, tmp_path: Path
) -> None:
    counter_id, store = _counter_pc(app, desk, tmp_path)
    first, second, third = (_issue(store) for _ in range(3))
    # The second receipt is deleted on the counter before it was synced.
    store.db.execute("DELETE FROM receipt WHERE uuid = ?", (second["uuid"],))
    result = _take(app, counter_id, store.pending(10))
    assert result.accepted == [first["uuid"]]
    assert result.refused["field"] == "prev_hash"
    assert result.refused["uuid"] == third["uuid"]
    with app.app_context():
        held = db.session.scalars(
            sa.select(Receipt.uuid).where(Receipt.counter_id == counter_id)
        ).all()
        assert held == [first["uuid"]]


def test_what_cannot_be_matched_is_queued_not_dropped(
    app: Flask, desk: Desk, tmp_path: Path
) -> None:
    counter_id, store = _counter_pc(app, desk, tmp_path)
    with app.app_context():
        if not db.session.scalar(sa.select(FeeType).where(FeeType.code == "UJI_LAMA")):
            db.session.add(
                FeeType(
                    code="UJI_LAMA", name="Fi lama", revenue_code="1", amount_sen=100
                )
            )
            db.session.commit()
        store.cache(sync.snapshot(db.session.get(Counter, counter_id)))
        # The fee leaves the schedule while the counter is offline.
        db.session.scalar(
            sa.select(FeeType).where(FeeType.code == "UJI_LAMA")
        ).active = False
        db.session.commit()
    old_fee = _issue(store, lines=[{"fee_code": "UJI_LAMA", "quantity": 1}])
    yesterday = datetime.now(UTC) - timedelta(days=1)
    late = _issue(store, issued_at=yesterday)
    fine = _issue(store)
    with app.app_context():
        act_as(app, desk.supervisor)
        counter = db.session.get(Counter, counter_id)
        statement.close_day(counter, local_date(yesterday), g.user)
    result = _take(app, counter_id, store.pending(10))
    assert result.queued == [old_fee["uuid"], late["uuid"]]
    assert result.accepted == [fine["uuid"]] and result.refused is None
    again = _take(app, counter_id, store.pending(10))
    assert again.duplicates == [old_fee["uuid"], late["uuid"], fine["uuid"]]
    with app.app_context():
        queued = db.session.scalars(
            sa.select(SyncQueueItem)
            .where(SyncQueueItem.counter_id == counter_id)
            .order_by(SyncQueueItem.id)
        ).all()
        assert [item.receipt_uuid for item in queued] == [old_fee["uuid"], late["uuid"]]
        assert "fee schedule" in queued[0].reason and "closed" in queued[1].reason
        assert queued[0].payload["lines"] == [{"fee_code": "UJI_LAMA", "quantity": 1}]
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Receipt.id)).where(
                    Receipt.counter_id == counter_id
                )
            )
            == 1
        )
