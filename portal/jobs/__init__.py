"""Background jobs through a transactional outbox, with RQ or in-process.

Public API:

- ``enqueue(name, *, dedup_key=None, **kwargs)`` queues a registered job in
  the caller's transaction; it is handed over only if that transaction
  commits.
- ``emit(event, **payload)`` queues the built-in ``portal.event`` job, which
  calls ``spkms_on_<event>(**payload)`` on every plugin, each plugin in a job
  of its own (``portal.event.listener``) so their retries stay apart.
- ``Schedule`` declares a recurring job (``spkms_register_schedules``).
- ``drain()`` hands over every waiting row that is due; ``init_app(app)``
  wires it all; ``refresh_registry(app)`` re-reads jobs and schedules after a
  plugin object was registered on a built app (tests do this);
  ``start_inline_scheduler(app)`` runs the scheduler in a thread (the demo).

With ``SPKMS_REDIS_URL`` set, committed rows are pushed to the RQ queue
``SPKMS_QUEUE_NAME`` and ``spkms worker`` runs them; without it they run in
the committing process right after the commit, each in its own transaction.
Either way a job runs as the service user and a row runs at most once.
"""

from __future__ import annotations

import logging

from flask import Flask

from portal.jobs.cli import register_commands
from portal.jobs.models import OutboxJob
from portal.jobs.outbox import (
    EVENT_JOB,
    LISTENER_JOB,
    UnknownEventError,
    UnknownJobError,
    dispatch,
    drain,
    emit,
    enqueue,
    install_session_hooks,
)
from portal.jobs.registry import (
    JobRegistry,
    Schedule,
    current_registry,
    refresh_registry,
)
from portal.jobs.scheduler import (
    SchedulerThread,
    scheduler_tick,
    start_inline_scheduler,
)

logger = logging.getLogger(__name__)

__all__ = [
    "EVENT_JOB",
    "LISTENER_JOB",
    "JobRegistry",
    "OutboxJob",
    "Schedule",
    "SchedulerThread",
    "UnknownEventError",
    "UnknownJobError",
    "current_registry",
    "dispatch",
    "drain",
    "emit",
    "enqueue",
    "init_app",
    "refresh_registry",
    "scheduler_tick",
    "start_inline_scheduler",
]


def init_app(app: Flask) -> None:
    """Collect jobs and schedules, watch commits for outbox rows, add the CLI.

    Called by ``create_app`` once AppBuilder exists (jobs need its service
    user). Fails fast with ``ConfigError`` on a malformed schedule.
    """
    refresh_registry(app)
    install_session_hooks()
    register_commands(app)
