"""Putting jobs in the outbox, and handing them over once the writer commits.

``enqueue`` only adds a row to the caller's session. Session events notice
the new rows at flush and, once the outermost transaction has committed, hand
them over: to RQ when ``SPKMS_REDIS_URL`` is set, otherwise to the in-process
runner. A rolled-back transaction never had the rows, so it queues nothing.
If Redis is unreachable the rows stay pending and ``drain`` pushes them later.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import pluggy
import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context, has_request_context
from redis.exceptions import RedisError
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction

from portal.extensions import db
from portal.jobs.models import DISPATCHED, PENDING, WAITING, OutboxJob
from portal.jobs.registry import EXTENSION_KEY, JobRegistry, current_registry
from portal.models import utcnow

logger = logging.getLogger(__name__)

#: The built-in job that fans an ``emit``-ted event out to the listeners.
EVENT_JOB = "portal.event"
#: The built-in job that delivers an event to one listening plugin.
LISTENER_JOB = "portal.event.listener"

#: ``session.info`` key: outbox ids flushed in the open transaction.
_FLUSHED = "spkms_jobs_flushed"
#: ``session.info`` key: outbox ids of a transaction that has just committed.
_COMMITTED = "spkms_jobs_committed"


class UnknownJobError(ValueError):
    """``enqueue`` was given a job name no plugin registered."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        super().__init__(
            f"unknown job {name!r}; registered jobs: {', '.join(sorted(known))}"
        )


class UnknownEventError(ValueError):
    """``emit`` was given an event with no ``spkms_on_<event>`` hookspec."""

    def __init__(self, event: str, known: Iterable[str]) -> None:
        self.event = event
        super().__init__(
            f"unknown event {event!r}: no hook spkms_on_{event}; "
            f"known events: {', '.join(sorted(known)) or 'none'}"
        )


def job_id_for(outbox_id: int) -> str:
    """The RQ job id of an outbox row; a second push reuses it."""
    # TODO(shared Redis): the id is not namespaced by deployment, so two
    # portals on one Redis database overwrite each other's RQ entries (drain
    # repairs it by pushing again); give each deployment its own database.
    return f"spkms-outbox-{outbox_id}"


def enqueue(name: str, *, dedup_key: str | None = None, **kwargs: Any) -> OutboxJob:
    """Queue job ``name`` with ``kwargs`` once the current transaction commits.

    The row is only added to ``db.session``; nothing is committed here, so
    the job belongs to the caller's unit of work: it is handed over after the
    caller commits and vanishes with a rollback. ``dedup_key`` makes the row
    unique (the scheduler uses it per occurrence); a second row with the same
    key fails at flush with ``IntegrityError``.

    :raises UnknownJobError: no plugin registered ``name``.
    :raises ValueError: an argument cannot be stored as JSON (names it).
    """
    registry = current_registry()
    if name not in registry.jobs:
        raise UnknownJobError(name, registry.jobs)
    for key, value in kwargs.items():
        _check_json(f"job {name!r}", key, value)
    if dedup_key is not None and len(dedup_key) > 255:
        raise ValueError(f"job {name!r}: dedup_key is longer than 255 characters")

    request_id, user_id = _origin()
    now = utcnow()
    job = OutboxJob(
        name=name,
        kwargs=dict(kwargs),
        state=PENDING,
        dedup_key=dedup_key,
        attempts=0,
        max_attempts=int(registry.setting("SPKMS_JOB_MAX_ATTEMPTS")),
        request_id=request_id,
        user_id=user_id,
        created_at=now,
        available_at=now,
    )
    db.session.add(job)
    logger.debug("job queued in session: job=%s request_id=%s", name, request_id)
    return job


def emit(event: str, **payload: Any) -> OutboxJob | None:
    """Fire ``spkms_on_<event>(**payload)`` for every plugin after commit.

    The event travels as the built-in job ``portal.event``, so listeners run
    only if the change committed, as the service user, and (in RQ mode)
    without slowing the request down. That job gives each listening plugin a
    job of its own (``portal.event.listener``): one plugin failing and being
    retried never makes the others run twice.

    An event no loaded plugin listens to queues nothing (``None``): the
    plugins are fixed when the app is built, the web and worker processes
    load the same ones, and a bulk path such as the counters' offline sync
    would otherwise pay a job per row for nobody. The payload is checked all
    the same, so a wrong call fails whether or not anyone listens today.

    :raises UnknownEventError: no hookspec ``spkms_on_<event>`` exists.
    :raises TypeError: the payload does not match the hookspec's arguments.
    :raises ValueError: a payload value cannot be stored as JSON (names it).
    """
    manager = current_app.extensions["spkms"].plugin_manager
    spec = _event_spec(manager, event)
    accepted = set(spec.argnames) | set(spec.kwargnames)
    unexpected = sorted(set(payload) - accepted)
    missing = sorted(set(spec.argnames) - set(payload))
    if unexpected or missing:
        raise TypeError(
            f"event {event!r}: payload does not match spkms_on_{event}"
            f" (unexpected: {unexpected or '-'}, missing: {missing or '-'})"
        )
    for key, value in payload.items():
        _check_json(f"event {event!r}", key, value)
    if not getattr(manager.hook, f"spkms_on_{event}").get_hookimpls():
        return None
    return enqueue(EVENT_JOB, event=event, payload=payload)


def _event_spec(manager: pluggy.PluginManager, event: str) -> Any:
    """The hookspec of ``spkms_on_<event>`` (pluggy's ``HookSpec``).

    :raises UnknownEventError: there is none.
    """
    caller = getattr(manager.hook, f"spkms_on_{event}", None)
    spec = getattr(caller, "spec", None)
    if spec is None:
        known = [
            name.removeprefix("spkms_on_")
            for name, hook in vars(manager.hook).items()
            if name.startswith("spkms_on_") and getattr(hook, "spec", None)
        ]
        raise UnknownEventError(event, known)
    return spec


def deliver_event(event: str, payload: dict[str, Any]) -> None:
    """The ``portal.event`` job: queue one listener job per listening plugin.

    The listener jobs commit together with this job's own completion, so an
    event is fanned out exactly once.
    """
    manager = current_app.extensions["spkms"].plugin_manager
    caller = getattr(manager.hook, f"spkms_on_{event}")
    for impl in caller.get_hookimpls():
        enqueue(LISTENER_JOB, event=event, plugin=impl.plugin_name, payload=payload)


def deliver_to_listener(event: str, plugin: str, payload: dict[str, Any]) -> None:
    """The ``portal.event.listener`` job: call one plugin's ``spkms_on_<event>``.

    A plugin disabled since the event was emitted is skipped with a warning.
    """
    manager = current_app.extensions["spkms"].plugin_manager
    if manager.get_plugin(plugin) is None:
        logger.warning(
            "event %s: plugin %s is no longer loaded, listener skipped", event, plugin
        )
        return
    others = [obj for name, obj in manager.list_name_plugin() if name != plugin]
    manager.subset_hook_caller(f"spkms_on_{event}", remove_plugins=others)(**payload)


#: Jobs the host itself provides; plugins add theirs by hook.
BUILTIN_JOBS: dict[str, Callable[..., Any]] = {
    EVENT_JOB: deliver_event,
    LISTENER_JOB: deliver_to_listener,
}


def _check_json(where: str, key: str, value: Any) -> None:
    """Refuse a value the outbox cannot store as JSON, naming its argument."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{where}: argument {key!r} is not JSON-serialisable ({exc})"
        ) from exc


def _origin() -> tuple[str | None, int | None]:
    """The request id and user id behind the current write, when known."""
    if not has_app_context():
        return None, None
    user = g.get("user")
    if user is None and has_request_context():
        from flask_login import current_user

        if getattr(current_user, "is_authenticated", False):
            user = current_user
    return g.get("request_id"), getattr(user, "id", None)


# -- handing over after commit ------------------------------------------------


def install_session_hooks() -> None:
    """Listen on ``db.session`` for new outbox rows and for commits.

    Flask-SQLAlchemy's scoped session resolves to its own session class, so
    the listeners cover every app using ``portal.extensions.db``; they are
    installed once per process and find the app through ``current_app``.
    """
    for name, listener in (
        ("after_flush", _after_flush),
        ("after_commit", _after_commit),
        ("after_transaction_end", _after_transaction_end),
    ):
        if not sa.event.contains(db.session, name, listener):
            sa.event.listen(db.session, name, listener)


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    """Remember the ids of outbox rows this flush inserted."""
    ids = [obj.id for obj in session.new if isinstance(obj, OutboxJob)]
    if ids:
        session.info.setdefault(_FLUSHED, set()).update(ids)


def _after_commit(session: Session) -> None:
    """Move the flushed ids to 'committed' when the outermost transaction commits.

    SQLAlchemy also fires this event when a SAVEPOINT is released; the outer
    transaction can still roll back then, so nothing moves yet.
    """
    if session.in_nested_transaction():
        return
    flushed = session.info.pop(_FLUSHED, None)
    if flushed:
        session.info.setdefault(_COMMITTED, set()).update(flushed)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """Once the outermost transaction is over, hand over what it committed.

    Runs after the session let go of its connection, so an in-process job
    starts on a fresh connection. Ids flushed by a transaction that rolled
    back (or was closed) are forgotten. A hand-over error is logged, never
    raised: the caller's data is already committed.
    """
    if transaction.parent is not None:
        return
    session.info.pop(_FLUSHED, None)
    committed = session.info.pop(_COMMITTED, None)
    if not committed:
        return
    if not has_app_context() or EXTENSION_KEY not in current_app.extensions:
        logger.warning(
            "outbox rows committed outside a jobs-enabled app; left pending: %s",
            sorted(committed),
        )
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        dispatch(app, sorted(committed))
    except Exception:
        logger.exception(
            "job hand-over failed; rows stay pending for drain: outbox_ids=%s",
            sorted(committed),
        )


def dispatch(app: Flask, outbox_ids: list[int]) -> list[int]:
    """Hand committed outbox rows to RQ, or run them here in inline mode.

    Returns the ids handed over (pushed, or run in-process). Ids of rows that
    no longer wait (taken, done, or rolled back in a savepoint) are skipped.
    """
    registry: JobRegistry = app.extensions[EXTENSION_KEY]
    if not outbox_ids:
        return []
    if registry.inline:
        return _run_inline(app, outbox_ids)
    return _push(app, registry, outbox_ids)


def drain(limit: int | None = None) -> list[int]:
    """Hand over every row that waits and is due; re-push lost queue entries.

    The safety net of the outbox. Runs at worker start, on each scheduler tick
    and from ``spkms jobs drain``. It hands over rows that a Redis outage left
    pending and failed rows whose back-off has passed. In RQ mode it also
    pushes again any dispatched row whose RQ entry is gone or settled without
    running it (see ``_lost_in_queue``): the claim in the runner makes a
    second push harmless. Returns the ids handed over.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    registry: JobRegistry = app.extensions[EXTENSION_KEY]
    query = (
        sa.select(OutboxJob.id)
        .where(OutboxJob.state.in_(WAITING), OutboxJob.available_at <= utcnow())
        .order_by(OutboxJob.id)
    )
    if limit is not None:
        query = query.limit(limit)
    with db.engine.connect() as connection:
        due = list(connection.scalars(query))
        dispatched = (
            []
            if registry.inline
            else list(
                connection.scalars(
                    sa.select(OutboxJob.id)
                    .where(OutboxJob.state == DISPATCHED)
                    .order_by(OutboxJob.id)
                )
            )
        )
    handed = dispatch(app, due) if due else []
    lost = _lost_in_queue(registry, dispatched)
    if lost:
        logger.warning(
            "queue entries gone, pushing again: outbox_ids=%s queue=%s",
            lost,
            registry.queue_name,
        )
        handed += _push(app, registry, lost, states=(DISPATCHED,))
    if due or lost:
        logger.info(
            "drain: %d job(s) handed over (%d due, %d lost in the queue)",
            len(handed),
            len(due),
            len(lost),
        )
    return handed


def _lost_in_queue(registry: JobRegistry, outbox_ids: list[int]) -> list[int]:
    """The dispatched rows whose RQ entry will never run them.

    That is an entry that is gone (Redis restarted empty, or evicted it), or
    one RQ has settled without settling the row: failed (the runner could not
    reach the database), stopped, canceled, or finished while the row was not
    yet due.
    """
    if not outbox_ids:
        return []
    from rq.job import Job, JobStatus

    settled = {
        JobStatus.FAILED,
        JobStatus.STOPPED,
        JobStatus.CANCELED,
        JobStatus.FINISHED,
    }
    try:
        entries = Job.fetch_many(
            [job_id_for(outbox_id) for outbox_id in outbox_ids],
            connection=registry.redis(),
        )
    except RedisError as exc:
        logger.warning(
            "Redis unreachable, cannot check dispatched jobs: outbox_ids=%s error=%s",
            outbox_ids,
            exc,
        )
        return []
    return [
        outbox_id
        for outbox_id, entry in zip(outbox_ids, entries, strict=True)
        if entry is None or entry.get_status(refresh=False) in settled
    ]


def _push(
    app: Flask,
    registry: JobRegistry,
    outbox_ids: list[int],
    states: tuple[str, ...] = WAITING,
) -> list[int]:
    """Push rows that are still in ``states`` to RQ; mark the pushed dispatched.

    A worker may claim a row before it is marked; the mark only moves rows
    still in ``states``, so it never undoes a claim. On a Redis error the rest
    stay as they are and a later ``drain`` pushes them.
    """
    from rq.job import Job

    from portal.jobs.runner import run_outbox_job

    candidates = _still_in(outbox_ids, states)
    if not candidates:
        return []
    pushed: list[int] = []
    try:
        queue = registry.queue()
        for outbox_id in candidates:
            job_id = job_id_for(outbox_id)
            queue.enqueue(
                run_outbox_job,
                outbox_id,
                job_id=job_id,
                job_timeout=registry.setting("SPKMS_JOB_TIMEOUT"),
                result_ttl=0,
                description=f"outbox {outbox_id}",
            )
            # An earlier entry under this id may have left an expiry on the
            # job key; the new entry must not expire before a worker takes it.
            registry.redis().persist(Job.key_for(job_id))
            pushed.append(outbox_id)
    except RedisError as exc:
        logger.warning(
            "Redis unreachable, jobs stay pending until drain: outbox_ids=%s "
            "queue=%s error=%s",
            [i for i in candidates if i not in pushed],
            registry.queue_name,
            exc,
        )
    if pushed:
        with db.engine.begin() as connection:
            connection.execute(
                sa.update(OutboxJob)
                .where(OutboxJob.id.in_(pushed), OutboxJob.state.in_(states))
                .values(state=DISPATCHED)
            )
        logger.info("jobs pushed: outbox_ids=%s queue=%s", pushed, registry.queue_name)
    return pushed


def _still_in(outbox_ids: list[int], states: tuple[str, ...]) -> list[int]:
    """The ids among ``outbox_ids`` whose rows exist and are in ``states``."""
    with db.engine.connect() as connection:
        return list(
            connection.scalars(
                sa.select(OutboxJob.id)
                .where(OutboxJob.id.in_(outbox_ids), OutboxJob.state.in_(states))
                .order_by(OutboxJob.id)
            )
        )


_inline = threading.local()


def _run_inline(app: Flask, outbox_ids: list[int]) -> list[int]:
    """Run rows in this process, one after another, each in its own context.

    A job that commits and enqueues more jobs re-enters here from its own
    commit; those are appended to the queue of the loop already running in
    this thread instead of nesting, so deep chains do not grow the stack.
    A failing job is recorded on its row and never raised to the committer.
    """
    from portal.jobs.runner import execute_outbox_job

    queue: deque[tuple[Flask, int]] | None = getattr(_inline, "queue", None)
    if queue is not None:
        queue.extend((app, outbox_id) for outbox_id in outbox_ids)
        return list(outbox_ids)
    queue = _inline.queue = deque((app, outbox_id) for outbox_id in outbox_ids)
    try:
        while queue:
            job_app, outbox_id = queue.popleft()
            try:
                execute_outbox_job(job_app, outbox_id)
            except Exception:
                logger.exception("in-process job crashed: outbox_id=%s", outbox_id)
    finally:
        _inline.queue = None
    return list(outbox_ids)
