"""``spkms counter ...``: set up, serve, sync and inspect an offline counter.

These commands work on the counter's own SQLite file (``--db``), never on the
portal's database; they run on the cashier's PC.
"""

from __future__ import annotations

import click

from plugins.collections.counter.client import CounterClient, Offline, ServerRefused
from plugins.collections.counter.store import CounterStore

DB_OPTION = click.option(
    "--db",
    "db_path",
    default="kaunter.db",
    show_default=True,
    help="The counter's own SQLite file.",
)


@click.group("counter")
def counter() -> None:
    """Offline counter (kaunter luar talian) on a cashier's PC."""


@counter.command("setup")
@DB_OPTION
@click.option("--server", required=True, help="The portal's address, https://...")
@click.option("--code", required=True, help="The counter's code, e.g. 11002-K1.")
@click.option("--secret", required=True, help="The secret shown at enrolment.")
def setup(db_path: str, server: str, code: str, secret: str) -> None:
    """Store the portal's address and the counter's secret, then cache."""
    store = CounterStore(db_path)
    store.configure(server, code, secret)
    try:
        CounterClient(store).refresh()
    except Offline as exc:
        raise click.ClickException(f"portal unreachable: {exc}") from exc
    except ServerRefused as exc:
        raise click.ClickException(f"portal refused: {exc}") from exc
    click.echo(f"counter {code} ready: {store.numbers_left()} numbers reserved")


@counter.command("sync")
@DB_OPTION
def sync_command(db_path: str) -> None:
    """Send waiting receipts and cancellations; reserve numbers if low."""
    client = CounterClient(CounterStore(db_path))
    try:
        report = client.sync()
        client.refresh()
    except Offline as exc:
        raise click.ClickException(f"portal unreachable: {exc}") from exc
    click.echo(
        f"sent {report.sent}, accepted {report.accepted}, already held"
        f" {report.duplicates}, queued {report.queued}"
    )
    if report.refused:
        raise click.ClickException(f"refused: {report.refused}")


@counter.command("status")
@DB_OPTION
def status_command(db_path: str) -> None:
    """Receipts waiting, last sync and numbers left."""
    status = CounterStore(db_path).status()
    click.echo(
        f"counter {status.counter_code}: {status.waiting} receipts waiting,"
        f" last sync {status.last_sync or 'never'}, {status.numbers_left} numbers left"
        + (" (LOW)" if status.low else "")
    )


@counter.command("serve")
@DB_OPTION
@click.option("--port", default=8765, show_default=True)
@click.option("--sync-every", default=60, show_default=True, help="Seconds.")
def serve(db_path: str, port: int, sync_every: int) -> None:
    """Serve the receipt screen on localhost and sync in the background."""
    import threading

    from werkzeug.serving import run_simple

    from plugins.collections.counter.app import create_counter_app

    store = CounterStore(db_path)
    client = CounterClient(store)
    stop = threading.Event()

    def keep_syncing() -> None:
        # A connection of its own: SQLite connections stay in their thread.
        background = CounterClient(CounterStore(db_path))
        while not stop.wait(sync_every):
            background.sync_and_refresh()
            client.online = background.online

    threading.Thread(target=keep_syncing, daemon=True, name="counter-sync").start()
    click.echo(f"counter screen on http://127.0.0.1:{port}/")
    try:
        run_simple("127.0.0.1", port, create_counter_app(store, client), threaded=True)
    finally:
        stop.set()
