"""``spkms counter ...`` works on the counter's own file."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from plugins.collections.counter.cli import counter
from plugins.collections.counter.store import CounterStore


def test_status_and_a_sync_with_the_portal_down(tmp_path: Path) -> None:
    path = tmp_path / "kaunter.db"
    store = CounterStore(path)
    store.configure("http://127.0.0.1:9", "11002-K9", "rahsia")
    store.close()
    runner = CliRunner()
    status = runner.invoke(counter, ["status", "--db", str(path)])
    assert status.exit_code == 0, status.output
    assert (
        "11002-K9: 0 receipts waiting, last sync never, 0 numbers left" in status.output
    )
    down = runner.invoke(counter, ["sync", "--db", str(path)])
    assert down.exit_code != 0 and "portal unreachable" in down.output


def test_the_counter_screen_refuses_bad_input_and_keeps_what_it_took(
    tmp_path: Path,
) -> None:
    from plugins.collections import signing
    from plugins.collections.counter.app import create_counter_app
    from plugins.collections.counter.client import CounterClient

    store = CounterStore(tmp_path / "kaunter.db")
    store.configure("http://127.0.0.1:9", "11002-K8", "rahsia")
    store.cache(
        {
            "counter": {"code": "11002-K8", "name": "Kaunter 8"},
            "court": {"code": "11002", "name": "Mahkamah Rendah Syariah Besut"},
            "fee_types": [
                {
                    "code": "SALINAN_DIAKUI",
                    "name": "Salinan diakui sah",
                    "revenue_code": "71305",
                    "amount_sen": 300,
                    "kind": "fee",
                }
            ],
            "open_cases": [],
            "blocks": [[1, 5]],
            "chain_head": signing.GENESIS,
        }
    )
    screen = create_counter_app(store, CounterClient(store)).test_client()
    form = {
        "cashier_name": "Hafiz",
        "payer_name": "Siti",
        "payer_identity": "850101-11-5002",
        "method": "tunai",
        "fee_code": "SALINAN_DIAKUI",
        "quantity": "2",
    }
    assert screen.post("/issue", data=form).status_code == 302
    for bad, words in (
        ({"fee_code": "FI_NEGERI_LAIN"}, "not in this state&#39;s fee schedule"),
        ({"quantity": "0"}, "lines[0].quantity"),
        ({"method": "kad"}, "reference"),
        ({"payer_name": " "}, "payer_name"),
    ):
        refused = screen.post("/issue", data={**form, **bad})
        assert refused.status_code == 422 and words in refused.text, bad
    for _ in range(4):
        assert screen.post("/issue", data=form).status_code == 302
    empty = screen.post("/issue", data=form)
    assert empty.status_code == 422 and "no receipt numbers left" in empty.text
    status = store.status()
    assert (status.waiting, status.numbers_left, status.low) == (5, 0, True)
    first = store.receipts()[-1]
    assert 'id="copy"' not in screen.get(f"/receipt/{first['uuid']}").text
    assert 'id="copy"' in screen.get(f"/receipt/{first['uuid']}").text
