"""The scheduler: turn each due cron occurrence into exactly one outbox row.

Every tick looks at the occurrences of each schedule between the previous
tick and now, and enqueues each with ``dedup_key="schedule:<name>:<time>"``.
The key is unique in the table, so when two schedulers run (a standby, or
a demo thread next to ``spkms scheduler``) the second insert fails and is
rolled back on its own; the occurrence still runs once.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta, tzinfo

import sqlalchemy as sa
from croniter import croniter
from flask import Flask
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.jobs.models import OutboxJob
from portal.jobs.outbox import drain, enqueue
from portal.jobs.registry import EXTENSION_KEY, JobRegistry, Schedule, current_registry
from portal.models import utcnow

logger = logging.getLogger(__name__)


def occurrences(
    schedule: Schedule, timezone: tzinfo, since: datetime, until: datetime
) -> list[datetime]:
    """Occurrences of ``schedule`` in ``(since, until]``, as aware UTC datetimes.

    The cron expression is read in ``timezone`` (the state's), which is why
    the walk starts from ``since`` converted to it.
    """
    start = since.astimezone(timezone)
    times = croniter(schedule.cron, start)
    found: list[datetime] = []
    while True:
        moment: datetime = times.get_next(datetime)
        if moment > until:
            return found
        found.append(moment.astimezone(UTC))


def dedup_key(schedule: Schedule, occurrence: datetime) -> str:
    """The outbox key of one occurrence of ``schedule``."""
    return f"schedule:{schedule.name}:{occurrence.astimezone(UTC).isoformat()}"


def scheduler_tick(since: datetime, now: datetime | None = None) -> list[str]:
    """Enqueue the occurrences due in ``(since, now]``, then drain.

    Each occurrence is committed on its own, so a duplicate (another scheduler
    got there first) rolls back only itself. Runs in an app context and
    commits ``db.session``, so call it with nothing else pending there.
    Returns the dedup keys this tick inserted.
    """
    registry = current_registry()
    now = now or utcnow()
    inserted: list[str] = []
    for schedule in registry.schedules:
        for occurrence in occurrences(schedule, registry.timezone, since, now):
            key = dedup_key(schedule, occurrence)
            if _already_queued(key):
                continue
            enqueue(schedule.job, dedup_key=key, **dict(schedule.kwargs))
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                logger.info("schedule occurrence taken by another scheduler: %s", key)
                continue
            inserted.append(key)
            logger.info("schedule fired: %s job=%s", key, schedule.job)
    drain()
    return inserted


def _already_queued(key: str) -> bool:
    """Cheap check before the insert; the unique key is what really decides."""
    found = db.session.scalar(sa.select(OutboxJob.id).where(OutboxJob.dedup_key == key))
    return found is not None


def run_scheduler(
    app: Flask,
    *,
    interval: float | None = None,
    once: bool = False,
    catch_up: float | None = None,
    now: datetime | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Tick every ``interval`` seconds until ``stop`` is set (or once).

    The first tick looks back ``catch_up`` seconds (default: one interval).
    A failed tick (database down) is logged and its window is tried again on
    the next tick. ``now`` fixes the clock of a single ``once`` tick.
    """
    registry: JobRegistry = app.extensions[EXTENSION_KEY]
    interval = float(interval or registry.setting("SPKMS_SCHEDULER_INTERVAL"))
    stop = stop or threading.Event()
    start = now or utcnow()
    since = start - timedelta(seconds=interval if catch_up is None else catch_up)
    # TODO(no persisted tick): the last tick lives in memory, so occurrences
    # during a scheduler outage longer than --catch-up are not enqueued.
    while True:
        tick_at = now if (once and now) else utcnow()
        try:
            with app.app_context():
                scheduler_tick(since, tick_at)
            since = tick_at
        except Exception:
            logger.exception("scheduler tick failed; window from %s kept", since)
        if once or stop.wait(interval):
            return


class SchedulerThread(threading.Thread):
    """A scheduler running in a daemon thread of the web process (the demo)."""

    def __init__(self, app: Flask, interval: float | None = None) -> None:
        super().__init__(name="spkms-scheduler", daemon=True)
        self.app = app
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        run_scheduler(self.app, interval=self.interval, stop=self.stopped)

    def stop(self, timeout: float | None = 5.0) -> None:
        """Ask the loop to end and wait for the current tick to finish."""
        self.stopped.set()
        self.join(timeout)


def start_inline_scheduler(
    app: Flask, interval: float | None = None
) -> SchedulerThread:
    """Start the scheduler in a background thread and return it (``.stop()``).

    For the embedded demo without a separate ``spkms scheduler`` process; in
    inline mode each tick also runs due retries. Dedup keys keep it safe to
    run next to a real scheduler.
    """
    thread = SchedulerThread(app, interval)
    thread.start()
    logger.info("in-process scheduler started: interval=%s", interval or "default")
    return thread
