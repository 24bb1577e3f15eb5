"""``spkms worker``, ``spkms scheduler``, ``spkms jobs drain`` and ``jobs list``.

They are added to ``app.cli``, so the ``spkms`` Flask command group shows
them with an app context already pushed.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from portal.extensions import db
from portal.jobs import runner
from portal.jobs.models import STATES, OutboxJob
from portal.jobs.outbox import drain
from portal.jobs.registry import current_registry
from portal.jobs.scheduler import run_scheduler

logger = logging.getLogger(__name__)

jobs_group = AppGroup("jobs", help="Inspect and push the job outbox.")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@click.option(
    "--simple",
    is_flag=True,
    help="Run jobs in the worker process instead of a forked child.",
)
@with_appcontext
def worker_command(burst: bool, simple: bool) -> None:
    """Run an RQ worker on the portal's queue (pending jobs are pushed first)."""
    from portal.jobs.workers import PromptSimpleWorker, PromptWorker

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    registry = current_registry()
    if registry.inline:
        raise click.UsageError(
            "SPKMS_REDIS_URL is not set: jobs run in-process after each commit, "
            "there is nothing for a worker to do"
        )
    runner.bind_app(app)
    pushed = drain()
    click.echo(f"drained {len(pushed)} waiting job(s) to queue {registry.queue_name}")
    # Forked work horses must open their own database connections.
    db.engine.dispose()
    worker_class = PromptSimpleWorker if simple else PromptWorker
    connection = registry.worker_connection()
    worker = worker_class([registry.queue(connection)], connection=connection)
    worker.work(burst=burst)


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run a single tick and stop.")
@click.option(
    "--interval", type=float, default=None, help="Seconds between ticks (default 60)."
)
@click.option(
    "--catch-up",
    type=float,
    default=None,
    help="Seconds the first tick looks back (default: one interval).",
)
@click.option(
    "--now",
    "now_text",
    default=None,
    help="With --once: evaluate the schedules as at this ISO 8601 time (UTC if "
    "no offset is given).",
)
@with_appcontext
def scheduler_command(
    once: bool, interval: float | None, catch_up: float | None, now_text: str | None
) -> None:
    """Enqueue recurring jobs as their cron expressions fall due."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    now: datetime | None = None
    if now_text is not None:
        if not once:
            raise click.UsageError("--now only makes sense with --once")
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--now") from exc
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
    registry = current_registry()
    click.echo(
        f"scheduler: {len(registry.schedules)} schedule(s), "
        f"time zone {registry.timezone.key}"
    )
    run_scheduler(app, interval=interval, once=once, catch_up=catch_up, now=now)


@jobs_group.command("drain")
def drain_command() -> None:
    """Hand every pending (and due) job to the queue, or run it in inline mode."""
    handed = drain()
    click.echo(f"handed over {len(handed)} job(s)")


@jobs_group.command("list")
@click.option("--state", type=click.Choice(STATES), default=None)
@click.option("--limit", type=int, default=20, show_default=True)
def list_command(state: str | None, limit: int) -> None:
    """Show the newest outbox rows, with the first line of any error."""
    query = sa.select(OutboxJob).order_by(OutboxJob.id.desc()).limit(limit)
    if state is not None:
        query = query.where(OutboxJob.state == state)
    for job in db.session.scalars(query):
        error = (job.last_error or "").splitlines()[0] if job.last_error else ""
        click.echo(
            f"{job.id:>7} {job.state:<10} {job.attempts}/{job.max_attempts} "
            f"{job.created_at:%Y-%m-%d %H:%M:%S} {job.name} {error}".rstrip()
        )


def register_commands(app: Flask) -> None:
    """Add the job commands to ``app.cli``."""
    app.cli.add_command(worker_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(jobs_group)
