"""Running one outbox row: claim it, run the job as the service user, settle it.

The same code runs a job in an RQ worker (``run_outbox_job``, the function RQ
calls) and in-process in inline mode. A row is claimed with one conditional
UPDATE, so a row pushed twice, or pushed by two drains, runs once.
"""

from __future__ import annotations

import logging
import traceback
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context

from portal.extensions import db
from portal.jobs.models import CLAIMABLE, DEAD, DONE, FAILED, RUNNING, OutboxJob
from portal.jobs.registry import EXTENSION_KEY, JobRegistry
from portal.models import utcnow

logger = logging.getLogger(__name__)

#: Longest wait between two attempts, however many attempts have failed.
MAX_BACKOFF = timedelta(hours=1)
#: How much of a traceback ``last_error`` keeps.
MAX_ERROR_CHARS = 8000

_bound_app: Flask | None = None
_built_app: Flask | None = None


def bind_app(app: Flask | None) -> None:
    """Make ``run_outbox_job`` use ``app`` in this process (``None`` unbinds).

    ``spkms worker`` binds the app it was started with, so the worker and the
    jobs it forks share one configured app; tests bind theirs.
    """
    global _bound_app
    _bound_app = app


def worker_app() -> Flask:
    """The app jobs run in: the bound one, the current one, or one built once.

    A bare ``rq worker`` has no app, so the first job builds it with
    ``portal.create_app()`` from the environment and later jobs reuse it.
    """
    global _built_app
    if _bound_app is not None:
        return _bound_app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _built_app is None:
        from portal import create_app

        _built_app = create_app()
    return _built_app


def run_outbox_job(outbox_id: int) -> str:
    """RQ entry point: run outbox row ``outbox_id`` and return what happened."""
    return execute_outbox_job(worker_app(), outbox_id)


def backoff(attempts: int, base_seconds: float) -> timedelta:
    """The wait before the next attempt: ``base`` doubled per failed attempt."""
    delay = timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0))
    return min(delay, MAX_BACKOFF)


def execute_outbox_job(app: Flask, outbox_id: int) -> str:
    """Claim, run and settle one row in a fresh app context of ``app``.

    The job runs with ``g.user`` set to the service user (Continuum signs its
    versions with it) and ``g.request_id`` set to the request that queued it,
    in its own transaction that also marks the row done. If the job raises,
    its transaction is rolled back and the row records the error and either
    a retry time (``failed``) or ``dead`` once ``max_attempts`` are used.

    Returns ``"skipped"`` (another runner has it, it is done, or not due),
    ``"done"``, ``"failed"`` or ``"dead"``.
    """
    with app.app_context():
        registry: JobRegistry = app.extensions[EXTENSION_KEY]
        g.user = app.appbuilder.sm.service_user()
        if not _claim(outbox_id):
            logger.info(
                "job skipped: outbox_id=%s already taken, finished or not due",
                outbox_id,
            )
            return "skipped"
        job = db.session.get(OutboxJob, outbox_id)
        assert job is not None  # the claim just updated it
        name, kwargs = job.name, dict(job.kwargs or {})
        attempts, max_attempts = job.attempts, job.max_attempts
        g.request_id = job.request_id
        request_id = job.request_id or "-"
        function = registry.jobs.get(name)
        logger.info(
            "job started: outbox_id=%s job=%s request_id=%s attempt=%s/%s",
            outbox_id,
            name,
            request_id,
            attempts,
            max_attempts,
        )
        try:
            if function is None:
                raise LookupError(f"job {name!r} is not registered in this app")
            function(**kwargs)
            db.session.execute(
                sa.update(OutboxJob)
                .where(OutboxJob.id == outbox_id, OutboxJob.state == RUNNING)
                .values(state=DONE, finished_at=utcnow(), last_error=None)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            permanent = function is None
            return _settle_failure(
                registry,
                outbox_id,
                name,
                request_id,
                attempts,
                max_attempts,
                exc,
                permanent=permanent,
            )
        logger.info(
            "job done: outbox_id=%s job=%s request_id=%s", outbox_id, name, request_id
        )
        return "done"


def _claim(outbox_id: int) -> bool:
    """Move the row to running in one conditional UPDATE; True if we got it."""
    # TODO(no reaper): a worker killed mid-job leaves its row running and
    # nothing moves it back; support must set it to pending by hand after
    # checking the job's effects, or the job never completes.
    now = utcnow()
    result: Any = db.session.execute(
        sa.update(OutboxJob)
        .where(
            OutboxJob.id == outbox_id,
            OutboxJob.state.in_(CLAIMABLE),
            OutboxJob.available_at <= now,
        )
        .values(
            state=RUNNING,
            attempts=OutboxJob.attempts + 1,
            started_at=now,
            finished_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return False
    db.session.commit()
    return True


def _settle_failure(
    registry: JobRegistry,
    outbox_id: int,
    name: str,
    request_id: str | None,
    attempts: int,
    max_attempts: int,
    exc: BaseException,
    *,
    permanent: bool,
) -> str:
    """Record a failed attempt: retry later with back-off, or give up (dead)."""
    now = utcnow()
    error = _describe(exc)
    values: dict[str, Any] = {"last_error": error}
    retry_at: datetime | None = None
    if permanent or attempts >= max_attempts:
        values.update(state=DEAD, finished_at=now)
    else:
        retry_at = now + backoff(
            attempts, float(registry.setting("SPKMS_JOB_RETRY_SECONDS"))
        )
        values.update(state=FAILED, available_at=retry_at)
    db.session.execute(
        sa.update(OutboxJob)
        .where(OutboxJob.id == outbox_id, OutboxJob.state == RUNNING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if retry_at is not None:
        logger.warning(
            "job failed, will retry: outbox_id=%s job=%s request_id=%s "
            "attempt=%s/%s retry_at=%s error=%s",
            outbox_id,
            name,
            request_id,
            attempts,
            max_attempts,
            retry_at.isoformat(),
            error.splitlines()[0],
            exc_info=exc,
        )
        return FAILED
    logger.error(
        "job dead: outbox_id=%s job=%s request_id=%s attempt=%s/%s error=%s",
        outbox_id,
        name,
        request_id,
        attempts,
        max_attempts,
        error.splitlines()[0],
        exc_info=exc,
    )
    return DEAD


def _describe(exc: BaseException) -> str:
    """The exception line first (what ``jobs list`` shows), then the traceback."""
    summary = "".join(traceback.format_exception_only(exc)).strip()
    detail = "".join(traceback.format_exception(exc)).strip()
    return f"{summary}\n\n{detail}"[:MAX_ERROR_CHARS]
