"""Liveness and readiness for load balancers, systemd and monitoring.

- ``/health/live`` says the process is up and serving; it touches nothing, so
  a slow database never gets a healthy worker restarted.
- ``/health/ready`` says whether this process can do useful work now: the
  database answers within ``SPKMS_HEALTH_TIMEOUT`` seconds, and so does Redis
  when ``SPKMS_REDIS_URL`` is set. It also reports the queue depth and the
  outbox backlog (pending, failed, dead) so an operator sees at a glance
  whether jobs are piling up. It answers 503 when a dependency fails, with a
  JSON body naming which one; a backlog alone never makes it unready (nginx
  should keep sending users to a portal whose jobs are late).

Neither needs a login, so neither says anything private: no URLs, hosts,
user names or error texts, only check names, booleans, counts and the
exception's class. The full error goes to the log with the request id.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, jsonify

from portal.metrics import BACKLOG_STATES

logger = logging.getLogger(__name__)

#: Seconds a readiness check waits for the database or Redis.
DEFAULT_TIMEOUT = 2.0

#: Outbox states the readiness answer counts.
READY_BACKLOG = ("pending", "failed", "dead")

# One small pool per process, so a check can be given up on after its timeout.
# TODO(stuck driver): a check that hangs keeps its pool thread until the
# driver itself gives up; two hung checks fill the pool and later readiness
# answers wait in line (still 503 after the timeout, never a false 200).
_checks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="spkms-health")


def init_app(app: Flask) -> None:
    """Add ``/health/live`` and ``/health/ready``."""
    app.add_url_rule("/health/live", "spkms_health_live", live)
    app.add_url_rule("/health/ready", "spkms_health_ready", ready)


def live() -> Any:
    """The process runs and its request loop answers."""
    return jsonify(status="ok")


def ready() -> Any:
    """Check the database and Redis, then report queue depth and outbox backlog."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    timeout = float(app.config.get("SPKMS_HEALTH_TIMEOUT") or DEFAULT_TIMEOUT)
    checks: dict[str, Any] = {}
    failed: list[str] = []

    database = _run("database", _database_check, app, timeout)
    checks["database"] = database
    if not database["ok"]:
        failed.append("database")

    from portal.jobs import current_registry

    registry = current_registry()
    if registry.inline:
        checks["redis"] = {"ok": True, "configured": False}
    else:
        redis = _run("redis", _redis_check, app, timeout)
        redis["configured"] = True
        checks["redis"] = redis
        if not redis["ok"]:
            failed.append("redis")

    body = {
        "status": "unavailable" if failed else "ok",
        "failed": failed,
        "checks": checks,
    }
    return jsonify(body), 503 if failed else 200


def _run(name: str, check: Any, app: Flask, timeout: float) -> dict[str, Any]:
    """Run ``check(app)`` on the pool; give up after ``timeout`` seconds."""
    future = _checks.submit(check, app, timeout)
    try:
        result = future.result(timeout=timeout)
    except FutureTimeout:
        logger.warning("readiness: %s did not answer within %.1fs", name, timeout)
        return {"ok": False, "error": "timeout"}
    except Exception as exc:
        logger.warning("readiness: %s failed: %s", name, exc)
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, **result}


def _database_check(app: Flask, timeout: float) -> dict[str, Any]:
    """``SELECT 1``, then the outbox counts, on a connection of the app's pool."""
    from portal.extensions import db
    from portal.jobs.models import OutboxJob

    with app.app_context():
        engine = db.engine
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # The server stops the count itself if it runs past the timeout.
            connection.execute(
                sa.text(f"SET LOCAL statement_timeout = {int(timeout * 1000)}")
            )
        connection.execute(sa.text("SELECT 1"))
        counts = dict(
            connection.execute(
                sa.select(OutboxJob.state, sa.func.count())
                .where(OutboxJob.state.in_(BACKLOG_STATES))
                .group_by(OutboxJob.state)
            ).all()
        )
        connection.rollback()
    return {"outbox": {state: counts.get(state, 0) for state in READY_BACKLOG}}


def _redis_check(app: Flask, timeout: float) -> dict[str, Any]:
    """``PING`` Redis and read the portal queue's depth."""
    registry = app.extensions["spkms_jobs"]
    client = registry.redis()
    client.ping()
    queue = registry.queue(client)
    return {"queue": {"name": registry.queue_name, "depth": queue.count}}
