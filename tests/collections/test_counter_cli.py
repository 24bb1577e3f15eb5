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
