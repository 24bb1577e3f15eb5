"""What jobs and schedules exist, collected from the plugins, per app.

The registry lives in ``app.extensions["spkms_jobs"]``. ``refresh_registry``
builds it from ``spkms_register_jobs`` / ``spkms_register_schedules`` and
checks every schedule, so a typo in a cron string stops start-up with one
line naming the schedule instead of a silent scheduler.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from flask import Flask, current_app

from portal.settings import ConfigError

if TYPE_CHECKING:
    import redis
    import rq

logger = logging.getLogger(__name__)

#: Key of the registry in ``app.extensions``.
EXTENSION_KEY = "spkms_jobs"

#: Settings read by the job machinery, with the value used when unset.
DEFAULTS: dict[str, Any] = {
    "SPKMS_QUEUE_NAME": "spkms",
    "SPKMS_JOB_MAX_ATTEMPTS": 5,
    "SPKMS_JOB_RETRY_SECONDS": 30,
    "SPKMS_JOB_TIMEOUT": None,
    "SPKMS_REDIS_TIMEOUT": 1.0,
    "SPKMS_SCHEDULER_INTERVAL": 60,
}


@dataclass(frozen=True)
class Schedule:
    """A recurring job: run ``job`` with ``kwargs`` whenever ``cron`` falls due.

    ``cron`` has the usual five fields (minute hour day month weekday) and is
    read in the state's time zone (``profile.timezone``), because court
    calendars are local: "0 8 * * 0" means eight in the morning in Malaysia.
    """

    name: str
    cron: str
    job: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class JobRegistry:
    """The jobs and schedules of one app, and its connection to the queue."""

    jobs: dict[str, Callable[..., Any]]
    schedules: list[Schedule]
    timezone: ZoneInfo
    config: Mapping[str, Any] = field(repr=False)
    _redis: redis.Redis | None = field(default=None, repr=False)
    _redis_for: str | None = field(default=None, repr=False)

    def setting(self, key: str) -> Any:
        """Read a job setting from the app config, falling back to ``DEFAULTS``."""
        value = self.config.get(key)
        return DEFAULTS.get(key) if value is None else value

    @property
    def redis_url(self) -> str | None:
        """The Redis URL, or ``None`` when jobs run in-process after commit."""
        return self.config.get("SPKMS_REDIS_URL") or None

    @property
    def inline(self) -> bool:
        """True when no Redis is configured and jobs run in the committing process."""
        return self.redis_url is None

    @property
    def queue_name(self) -> str:
        """The RQ queue the outbox pushes to and ``spkms worker`` listens on."""
        return str(self.setting("SPKMS_QUEUE_NAME"))

    def redis(self) -> redis.Redis:
        """The client that pushes jobs: made once per URL, quick to give up.

        A commit must not hang on a dead Redis, so it waits at most
        ``SPKMS_REDIS_TIMEOUT`` seconds and retries once (enough to replace a
        pooled connection a Redis restart broke); then the job stays pending
        and ``drain`` pushes it later.
        """
        url = self._require_url()
        if self._redis is None or self._redis_for != url:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            self.close()
            timeout = float(self.setting("SPKMS_REDIS_TIMEOUT"))
            self._redis = redis.Redis.from_url(
                url,
                socket_connect_timeout=timeout,
                socket_timeout=timeout,
                retry=Retry(NoBackoff(), 1),
            )
            self._redis_for = url
        return self._redis

    def worker_connection(self) -> redis.Redis:
        """A new client for an RQ worker, whose blocking pops outlast any timeout.

        RQ adjusts the socket timeout of the connection it is given; a client
        of its own keeps that from touching the pushing client.
        """
        import redis

        return redis.Redis.from_url(self._require_url())

    def queue(self, connection: redis.Redis | None = None) -> rq.Queue:
        """The RQ queue of this app, on ``connection`` or the pushing client."""
        import rq

        return rq.Queue(self.queue_name, connection=connection or self.redis())

    def _require_url(self) -> str:
        url = self.redis_url
        if url is None:
            raise RuntimeError("SPKMS_REDIS_URL is not set: jobs run in-process")
        return url

    def close(self) -> None:
        """Drop the Redis connections (a refreshed registry makes new ones)."""
        if self._redis is not None:
            self._redis.close()
            self._redis = None


def current_registry() -> JobRegistry:
    """The running app's job registry (``portal.jobs.init_app`` made it)."""
    try:
        return current_app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError(
            "portal.jobs.init_app has not run for this app: no job registry"
        ) from None


def refresh_registry(
    app: Flask, builtin: Mapping[str, Callable[..., Any]] | None = None
) -> JobRegistry:
    """Collect jobs and schedules from the app's plugins again and check them.

    ``init_app`` calls it once. Call it again after registering another plugin
    object on ``app.extensions["spkms"].plugin_manager`` (tests do this to add
    their own jobs to a built app). ``builtin`` are the host's own jobs; by
    default the ones ``portal.jobs`` defines.

    :raises ConfigError: a job is registered twice or is not callable, or a
        schedule is malformed; the message names it.
    """
    if builtin is None:
        from portal.jobs.outbox import BUILTIN_JOBS

        builtin = BUILTIN_JOBS
    state = app.extensions["spkms"]
    hook = state.plugin_manager.hook

    jobs: dict[str, Callable[..., Any]] = dict(builtin)
    with app.app_context():  # a plugin may read its profile section
        job_answers = hook.spkms_register_jobs()
        schedule_answers = hook.spkms_register_schedules()
    for answer in job_answers:
        for name, function in (answer or {}).items():
            if name in jobs:
                raise ConfigError(
                    "spkms_register_jobs", f"job {name!r} is registered twice"
                )
            if not callable(function):
                raise ConfigError(
                    "spkms_register_jobs", f"job {name!r} is not callable: {function!r}"
                )
            jobs[name] = function

    schedules: list[Schedule] = []
    for answer in schedule_answers:
        schedules.extend(answer or [])
    _check_schedules(schedules, jobs)

    try:
        timezone = ZoneInfo(state.profile.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"{state.profile.path.name} [state].timezone",
            f"unknown time zone {state.profile.timezone!r}",
        ) from exc

    previous = app.extensions.get(EXTENSION_KEY)
    if previous is not None:
        previous.close()
    registry = JobRegistry(
        jobs=jobs, schedules=schedules, timezone=timezone, config=app.config
    )
    app.extensions[EXTENSION_KEY] = registry
    logger.info(
        "job registry: mode=%s queue=%s jobs=%s schedules=%s",
        "inline" if registry.inline else "rq",
        registry.queue_name,
        ",".join(sorted(jobs)),
        ",".join(s.name for s in schedules) or "-",
    )
    return registry


def _check_schedules(
    schedules: list[Schedule], jobs: Mapping[str, Callable[..., Any]]
) -> None:
    """Refuse a schedule that the scheduler could not run as written."""
    seen: set[str] = set()
    for schedule in schedules:
        if not isinstance(schedule, Schedule):
            raise ConfigError(
                "spkms_register_schedules",
                f"expected portal.jobs.Schedule, got {schedule!r}",
            )
        where = f"schedule {schedule.name!r}"
        if not schedule.name or schedule.name in seen:
            raise ConfigError(where, "the name is empty or used twice")
        seen.add(schedule.name)
        if len(schedule.cron.split()) != 5 or not croniter.is_valid(schedule.cron):
            raise ConfigError(
                where,
                f"cron {schedule.cron!r} is not a valid five-field cron expression",
            )
        if schedule.job not in jobs:
            raise ConfigError(where, f"job {schedule.job!r} is not registered")
        for key, value in schedule.kwargs.items():
            try:
                json.dumps(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(
                    where, f"argument {key!r} is not JSON-serialisable ({exc})"
                ) from exc
