"""The offline counter against the real portal served on loopback.

The portal runs in a thread under werkzeug's ``make_server``; taking it down
and up again is the network failing and coming back. The counter keeps its
own SQLite file in a temporary folder.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g
from werkzeug.serving import BaseWSGIServer, make_server

from plugins.collections import statement, sync
from plugins.collections.counter.app import create_counter_app
from plugins.collections.counter.client import CounterClient, Offline
from plugins.collections.counter.store import CounterRefused, CounterStore
from plugins.collections.models import (
    Counter,
    NumberBlock,
    Receipt,
    ReceiptCancellation,
    SyncQueueItem,
)
from portal.extensions import db
from tests.cases.conftest import act_as
from tests.collections.conftest import Desk, new_case, new_counter

OFFLINE_RECEIPTS = 200


class Portal:
    """The portal on a fixed loopback port that can be stopped and restarted.

    ``cut_after`` makes the server commit that many receipt batches and then
    drop the connection of the last one before answering: the counter never
    learns that batch was taken.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server: BaseWSGIServer | None = None
        self.thread: threading.Thread | None = None
        self.port = 0
        self.cut_after: int | None = None
        self.batches = 0

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"].endswith("/receipts"):
            self.batches += 1
            if self.cut_after is not None and self.batches >= self.cut_after:
                body = b"".join(self.app(environ, lambda *args: None))
                assert body  # the batch was taken and committed
                environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
                self.cut_after = None
                start_response("200 OK", [])
                return []
        return self.app(environ, start_response)

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self._wsgi, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        assert self.server is not None and self.thread is not None
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def portal(app: Flask) -> Iterator[Portal]:
    served = Portal(app)
    served.start()
    yield served
    if served.server is not None:
        served.stop()


def enrol(app: Flask, desk: Desk) -> tuple[int, str, str]:
    counter_id = new_counter(app)
    with app.app_context():
        act_as(app, desk.supervisor)
        counter = db.session.get(Counter, counter_id)
        return counter_id, counter.code, sync.enrol_counter(counter, g.user)


def counter_pc(tmp_path: Path, portal: Portal, code: str, secret: str) -> CounterClient:
    store = CounterStore(tmp_path / f"{code}.db")
    store.configure(portal.url, code, secret)
    return CounterClient(store, block_size=250)


def test_offline_receipts_reach_the_portal_exactly_once(
    app: Flask, desk: Desk, portal: Portal, tmp_path: Path
) -> None:
    counter_id, code, secret = enrol(app, desk)
    _case_id, case_number = new_case(app, desk)
    client = counter_pc(tmp_path, portal, code, secret)
    client.refresh()
    store = client.store
    assert store.numbers_left() == 250
    assert case_number in {
        row["case_number"] for row in store.db.execute("SELECT * FROM open_case")
    }

    portal.stop()  # the line to the data centre goes down
    assert client.sync_and_refresh() is None
    assert client.online is False
    issued = []
    for index in range(OFFLINE_RECEIPTS):
        method, reference = [("tunai", None), ("kad", f"APV{index}")][index % 2]
        lines = [{"fee_code": "SALINAN_DIAKUI", "quantity": 1 + index % 4}]
        if index % 10 == 3:
            lines.append({"fee_code": "CAGARAN", "amount_sen": 1001 + index})
        issued.append(
            store.issue(
                cashier_name="Hafiz bin Rahman",
                payer_name=f"Pembayar {index}",
                payer_identity=f"850101-11-{index:04d}",
                method=method,
                reference=reference,
                case_number=case_number if index % 10 == 3 else None,
                lines=lines,
            )
        )
    # One receipt names a case the counter's list does not know: kept, queued.
    unknown = store.issue(
        cashier_name="Hafiz bin Rahman",
        payer_name="Pembayar tanpa kes",
        payer_identity="850101-11-9999",
        method="tunai",
        case_number="11002-055-9999-2001",
        lines=[{"fee_code": "SALINAN_DIAKUI", "quantity": 1}],
    )
    issued.append(unknown)
    store.cancel(issued[0]["uuid"], "Salah nama pembayar", "Wan Aishah")
    with pytest.raises(CounterRefused):
        store.cancel(issued[0]["uuid"], "Sekali lagi", "Wan Aishah")
    status = store.status(client.online)
    assert status.waiting == OFFLINE_RECEIPTS + 1
    assert status.low  # 49 of 250 left: the screen warns
    screen = create_counter_app(store, client).test_client().get("/")
    assert "Luar talian" in screen.text and "hampir habis" in screen.text

    portal.cut_after = 3  # the third batch is taken, its answer is lost
    portal.start()
    with pytest.raises(Offline):
        client.sync(batch_size=50)
    portal.stop()
    portal.start()
    first = client.sync(batch_size=50)
    client.refresh()  # back online: the next block is reserved at once
    second = client.sync(batch_size=50)

    assert first.duplicates == 50  # the batch whose answer was lost
    assert first.queued == 1 and first.refused == []
    assert second.sent == 0
    assert store.status().waiting == 0
    assert store.numbers_left() == 250 + 249 - OFFLINE_RECEIPTS
    with app.app_context():
        held = list(
            db.session.scalars(
                sa.select(Receipt).where(Receipt.counter_id == counter_id)
            )
        )
        assert len(held) == OFFLINE_RECEIPTS + 1
        assert {r.uuid for r in held} == {r["uuid"] for r in issued}
        assert sum(r.total_sen for r in held) == sum(r["total_sen"] for r in issued)
        assert all(r.offline and r.number.startswith(f"{code}-L") for r in held)
        assert (
            db.session.scalar(
                sa.select(sa.func.count(NumberBlock.id)).where(
                    NumberBlock.counter_id == counter_id
                )
            )
            == 2
        )
        queued = db.session.scalars(
            sa.select(SyncQueueItem).where(SyncQueueItem.counter_id == counter_id)
        ).all()
        reasons = sorted(item.reason for item in queued)
        assert any("11002-055-9999-2001" in reason for reason in reasons)
        assert any("Pembatalan luar talian" in reason for reason in reasons)
        cancelled = db.session.scalar(
            sa.select(ReceiptCancellation)
            .join(Receipt)
            .where(Receipt.uuid == issued[0]["uuid"])
        )
        assert cancelled is not None and "Wan Aishah" in cancelled.cancelled_by_name
        counter = db.session.get(Counter, counter_id)
        day = held[0].business_date
        found = statement.build_statement(counter, day)
        standing = [r for r in held if r.uuid != issued[0]["uuid"]]
        assert found.total_sen == sum(r.total_sen for r in standing)
        assert found.issued_count == OFFLINE_RECEIPTS + 1


def test_forged_replayed_and_out_of_block_syncs_are_refused(
    app: Flask, desk: Desk, portal: Portal, tmp_path: Path
) -> None:
    import json
    import urllib.error
    import urllib.request

    from plugins.collections import signing

    counter_id, code, secret = enrol(app, desk)
    client = counter_pc(tmp_path, portal, code, secret)
    client.refresh()
    receipt = client.store.issue(
        cashier_name="Hafiz",
        payer_name="Pembayar",
        payer_identity="850101-11-0001",
        method="tunai",
        lines=[{"fee_code": "SALINAN_DIAKUI", "quantity": 1}],
    )
    body = json.dumps({"receipts": client.store.pending(10)}).encode()
    path = "/counter-api/v1/receipts"

    def post(headers: dict[str, str], data: bytes = body) -> tuple[int, dict]:
        request = urllib.request.Request(
            portal.url + path,
            data=data,
            headers={**headers, "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    unknown = signing.signed_headers("99999-X1", secret, "POST", path, body)
    assert post(unknown)[0] == 401
    forged = signing.signed_headers(code, "0" * 64, "POST", path, body)
    status, answer = post(forged)
    assert status == 401 and answer["field"] == signing.HEADER_SIGNATURE
    good = signing.signed_headers(code, secret, "POST", path, body)
    assert post(good)[0] == 200
    status, answer = post(good)  # the very same request again
    assert status == 401 and "replayed" in answer["rule"]
    # Sent again with a fresh signature, the receipt is a duplicate, no more.
    status, answer = post(signing.signed_headers(code, secret, "POST", path, body))
    assert (status, answer["duplicates"]) == (200, [receipt["uuid"]])

    # A receipt numbered outside the counter's blocks is refused by name.
    content = {key: receipt.get(key) for key in sync.CONTENT_KEYS}
    content.update(uuid="00000000-0000-4000-8000-000000000001", running_number=99999)
    prev = receipt["hash"]
    forged_receipt = {
        **content,
        "prev_hash": prev,
        "hash": signing.chain_hash(prev, content),
    }
    data = json.dumps({"receipts": [forged_receipt]}).encode()
    status, answer = post(
        signing.signed_headers(code, secret, "POST", path, data), data
    )
    assert status == 422
    assert answer["refused"]["field"] == "running_number"
    assert "outside the number blocks" in answer["refused"]["rule"]
    # An altered receipt breaks the chain.
    content.update(running_number=receipt["running_number"] + 1)
    tampered = {**content, "prev_hash": prev, "hash": "f" * 64}
    data = json.dumps({"receipts": [tampered]}).encode()
    status, answer = post(
        signing.signed_headers(code, secret, "POST", path, data), data
    )
    assert status == 422 and answer["refused"]["field"] == "hash"
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Receipt.id)).where(
                    Receipt.counter_id == counter_id
                )
            )
            == 1
        )
