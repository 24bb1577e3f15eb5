"""Jobs: the outbox, inline and RQ modes, retries, Redis outages, schedules.

Every test builds its own app on a fresh database of each backend (a SQLite
file and a PostgreSQL schema) and, in RQ mode, its own queue on the real
Redis at 127.0.0.1:6379. Test jobs come from ``JobsTestPlugin``, registered
on the built app's plugin manager followed by ``portal.jobs.refresh_registry``.
Jobs run in this process (inline, or an RQ ``SimpleWorker``), so they report
to the module-level ``RUNS`` counter.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import socket
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pluggy
import pytest
import redis
import sqlalchemy as sa
from flask import Flask, g
from sqlalchemy_continuum import version_class

from portal import create_app, hookimpl
from portal.extensions import db
from portal.jobs import (
    JobRegistry,
    OutboxJob,
    Schedule,
    UnknownEventError,
    UnknownJobError,
    current_registry,
    drain,
    emit,
    enqueue,
    refresh_registry,
    runner,
    scheduler,
    start_inline_scheduler,
)
from portal.jobs.outbox import job_id_for
from portal.jobs.workers import PromptSimpleWorker
from portal.models import Court
from portal.settings import ConfigError
from tests.databases import BACKENDS, drop_database, fresh_database_url

REDIS_URL = "redis://127.0.0.1:6379/0"

#: How often each test job ran, by the ``tag`` it was given.
RUNS: Counter[str] = Counter()
#: The ``g.user`` each run of ``test.record`` saw, by tag.
SEEN_USERS: dict[str, list[str]] = {}


def record(tag: str) -> None:
    """Test job: count a run and note the user it ran as."""
    RUNS[tag] += 1
    SEEN_USERS.setdefault(tag, []).append(g.user.username)


def add_court(code: str, fail: bool = False) -> None:
    """Test job: write a versioned row, then fail if asked (after the write)."""
    RUNS[code] += 1
    db.session.add(
        Court(code=code, name=f"Mahkamah Ujian {code}", level="rendah", district="X")
    )
    db.session.flush()
    if fail:
        raise RuntimeError(f"boom after writing court {code}")


def chain(tag: str, depth: int) -> None:
    """Test job: run, then queue itself again and commit, ``depth`` times."""
    RUNS[tag] += 1
    if depth:
        enqueue("test.chain", tag=tag, depth=depth - 1)
        db.session.commit()


class JobsTestPlugin:
    """Registers the test jobs, one hourly schedule and an event listener."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.events: list[dict[str, int]] = []

    @hookimpl
    def spkms_register_jobs(self) -> dict[str, Callable[..., Any]]:
        return {"test.record": record, "test.add_court": add_court, "test.chain": chain}

    @hookimpl
    def spkms_register_schedules(self) -> list[Schedule]:
        # 09:00 in Kuala Lumpur, which is 01:00 UTC.
        return [Schedule("test.morning", "0 9 * * *", "test.record", {"tag": self.tag})]

    @hookimpl
    def spkms_on_officer_posted(self, user_id: int, court_id: int) -> None:
        self.events.append({"user_id": user_id, "court_id": court_id})


def _tag() -> str:
    return uuid.uuid4().hex[:10]


_court_codes = itertools.count(90001)


def _court_code() -> str:
    """A court code no other test uses (codes are five characters, unique)."""
    return str(next(_court_codes))


class JobsApps:
    """The apps of one backend, built on first use and shared by the module.

    Building an app and its schema takes seconds, so each mode (inline, RQ)
    gets one app per backend; ``_fresh`` empties its outbox and queue before
    each test, and tests use their own tags and court codes.
    """

    def __init__(self, backend: str, tmp: Path) -> None:
        self.backend = backend
        self.tmp = tmp
        self.built: dict[str, tuple[Flask, str]] = {}

    def get(self, mode: str) -> Flask:
        if mode not in self.built:
            redis_url = None if mode == "inline" else REDIS_URL
            self.built[mode] = _build_app(self.backend, self.tmp, redis_url)
        return self.built[mode][0]

    def close(self) -> None:
        for app, url in self.built.values():
            with app.app_context():
                registry = current_registry()
                if not registry.inline:
                    _forget_queue(registry)
                registry.close()
                db.session.remove()
                db.engine.dispose()
            drop_database(url)


def _forget_queue(registry: JobRegistry) -> None:
    """Delete every Redis key of the test's queue: its list, registries, jobs."""
    connection = registry.redis()
    registry.queue().delete(delete_jobs=True)
    for key in connection.scan_iter(match=f"rq:*{registry.queue_name}*"):
        connection.delete(key)


def _build_app(backend: str, tmp: Path, redis_url: str | None) -> tuple[Flask, str]:
    """An app with the test plugin and two test routes, on a fresh database."""
    url = fresh_database_url(backend, tmp)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SPKMS_REDIS_URL": redis_url,
            "SPKMS_QUEUE_NAME": f"spkms-test-{uuid.uuid4().hex[:12]}",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test-secret",
        }
    )
    plugin = JobsTestPlugin(_tag())
    app.extensions["spkms"].plugin_manager.register(plugin, name="jobs-test")
    app.extensions["jobs_test_plugin"] = plugin
    refresh_registry(app)

    @app.post("/_jobs_test/record/<tag>")
    def _queue_record(tag: str) -> str:
        enqueue("test.record", tag=tag)
        db.session.commit()
        return "queued"

    @app.post("/_jobs_test/court/<code>")
    def _queue_failing_court(code: str) -> str:
        enqueue("test.add_court", code=code, fail=True)
        db.session.commit()
        return "queued"

    with app.app_context():
        db.create_all()
        app.appbuilder.sm.create_db()
        app.appbuilder.sm.service_user()
    return app, url


@pytest.fixture(scope="module", params=BACKENDS)
def jobs_apps(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JobsApps]:
    apps = JobsApps(request.param, tmp_path_factory.mktemp(f"jobs-{request.param}"))
    yield apps
    apps.close()


def _fresh(app: Flask) -> Iterator[Flask]:
    """Empty the outbox and the queue, and let RQ jobs run in ``app``."""
    with app.app_context():
        db.session.execute(sa.delete(OutboxJob))
        db.session.commit()
        registry = current_registry()
        if not registry.inline:
            _forget_queue(registry)
    runner.bind_app(app)
    yield app
    runner.bind_app(None)
    plugin: JobsTestPlugin = app.extensions["jobs_test_plugin"]
    plugin.events.clear()


@pytest.fixture
def jobs_inline_app(jobs_apps: JobsApps) -> Iterator[Flask]:
    """The inline-mode app (no Redis) of this backend, with an empty outbox."""
    yield from _fresh(jobs_apps.get("inline"))


@pytest.fixture
def jobs_rq_app(jobs_apps: JobsApps) -> Iterator[Flask]:
    """The RQ-mode app of this backend, with an empty outbox and queue."""
    yield from _fresh(jobs_apps.get("rq"))


def _burst(app: Flask) -> None:
    """Run the app's queue to empty in this process, as ``spkms worker`` would."""
    with app.app_context():
        registry = current_registry()
        connection = registry.worker_connection()
        worker = PromptSimpleWorker([registry.queue(connection)], connection=connection)
    try:
        assert worker.work(burst=True, logging_level="WARNING")
    finally:
        connection.close()


def _rows(app: Flask) -> list[OutboxJob]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(OutboxJob).order_by(OutboxJob.id)))
        db.session.expunge_all()
        return rows


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; they are stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- inline mode ---------------------------------------------------------------


def test_a_long_number_in_a_url_is_refused_only_where_it_names_a_record(
    jobs_inline_app: Flask,
) -> None:
    """Record keys are 32-bit; other URL parts (a tag here, a MyKad number
    elsewhere) may be any string of digits."""
    client = jobs_inline_app.test_client()
    tag = str(uuid.uuid4().int)[:12]  # digits only, beyond 32 bits
    assert client.post(f"/_jobs_test/record/{tag}").status_code == 200
    assert RUNS[tag] == 1
    assert client.get(f"/api/v1/case/{tag}").status_code == 404


def test_inline_job_runs_after_commit_and_not_after_rollback(
    jobs_inline_app: Flask,
) -> None:
    app = jobs_inline_app
    kept, dropped = _tag(), _tag()
    with app.app_context():
        enqueue("test.record", tag=kept)
        db.session.flush()
        assert RUNS[kept] == 0, "a job must not run before its transaction commits"
        db.session.commit()
        assert RUNS[kept] == 1

        enqueue("test.record", tag=dropped)
        db.session.flush()
        db.session.rollback()
    assert RUNS[dropped] == 0
    (row,) = _rows(app)
    assert (row.name, row.kwargs, row.state) == ("test.record", {"tag": kept}, "done")
    assert row.attempts == 1
    assert row.finished_at is not None
    assert SEEN_USERS[kept] == [app.config["SPKMS_SERVICE_USER"]]


def test_inline_jobs_that_queue_jobs_run_one_after_another(
    jobs_inline_app: Flask,
) -> None:
    app = jobs_inline_app
    tag = _tag()
    with app.app_context():
        enqueue("test.chain", tag=tag, depth=3)
        db.session.commit()
    assert RUNS[tag] == 4
    assert [row.state for row in _rows(app)] == ["done"] * 4


def test_savepoints_queue_jobs_only_with_the_outer_commit(
    jobs_inline_app: Flask,
) -> None:
    app = jobs_inline_app
    released, rolled_back = _tag(), _tag()
    with app.app_context():
        with db.session.begin_nested():
            enqueue("test.record", tag=released)
        assert RUNS[released] == 0, "releasing a savepoint is not a commit"
        savepoint = db.session.begin_nested()
        enqueue("test.record", tag=rolled_back)
        db.session.flush()
        savepoint.rollback()
        db.session.commit()
    assert (RUNS[released], RUNS[rolled_back]) == (1, 0)
    assert [(r.kwargs["tag"], r.state) for r in _rows(app)] == [(released, "done")]


def _insert_pending(app: Flask, tag: str) -> int:
    """A pending row written behind the session's back, as an outage leaves it."""
    now = datetime.now(UTC)
    with app.app_context(), db.engine.begin() as connection:
        return connection.scalar(
            sa.insert(OutboxJob)
            .values(
                name="test.record",
                kwargs={"tag": tag},
                state="pending",
                attempts=0,
                max_attempts=5,
                created_at=now,
                available_at=now,
            )
            .returning(OutboxJob.id)
        )


def test_inline_scheduler_thread_runs_waiting_jobs(jobs_inline_app: Flask) -> None:
    app = jobs_inline_app
    tag = _tag()
    _insert_pending(app, tag)
    thread = start_inline_scheduler(app, interval=0.05)
    try:
        deadline = time.monotonic() + 10
        while RUNS[tag] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        thread.stop()
    assert not thread.is_alive()
    assert RUNS[tag] == 1
    assert [r.state for r in _rows(app)] == ["done"]


def test_inline_failure_keeps_the_request_and_records_back_off(
    jobs_inline_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = jobs_inline_app
    monkeypatch.setitem(app.config, "SPKMS_JOB_MAX_ATTEMPTS", 2)
    monkeypatch.setitem(app.config, "SPKMS_JOB_RETRY_SECONDS", 30)
    code = _court_code()
    response = app.test_client().post(
        f"/_jobs_test/court/{code}", headers={"X-Request-ID": "req-inline-fail"}
    )
    assert response.status_code == 200, "a failing job must not fail the request"
    assert response.text == "queued"
    assert RUNS[code] == 1  # it did run, and wrote before failing

    (row,) = _rows(app)
    assert row.state == "failed"
    assert row.attempts == 1
    assert row.request_id == "req-inline-fail"
    assert row.last_error.startswith(f"RuntimeError: boom after writing court {code}")
    waited = _aware(row.available_at) - _aware(row.created_at)
    assert timedelta(seconds=25) < waited < timedelta(seconds=40)
    with app.app_context():
        assert db.session.scalar(sa.select(Court).where(Court.code == code)) is None
        db.session.rollback()  # drain reads on a connection of its own

        # Not due yet: drain leaves it alone.
        assert drain() == []
        # Once due, the second and last attempt fails too: dead.
        db.session.execute(
            sa.update(OutboxJob).values(available_at=datetime.now(UTC) - timedelta(1))
        )
        db.session.commit()
        assert drain() == [row.id]
    (row,) = _rows(app)
    assert (row.state, row.attempts) == ("dead", 2)
    assert row.finished_at is not None
    assert RUNS[code] == 2


def test_emit_calls_the_event_hook_after_commit_only(jobs_inline_app: Flask) -> None:
    app = jobs_inline_app
    plugin: JobsTestPlugin = app.extensions["jobs_test_plugin"]
    with app.app_context():
        emit("officer_posted", user_id=7, court_id=3)
        db.session.rollback()
        assert plugin.events == []
        emit("officer_posted", user_id=8, court_id=4)
        db.session.commit()
    assert plugin.events == [{"user_id": 8, "court_id": 4}]
    rows = _rows(app)
    assert (rows[0].name, rows[0].state) == ("portal.event", "done")
    listeners = {r.kwargs["plugin"]: r.state for r in rows[1:]}
    assert listeners["jobs-test"] == "done"
    assert all(r.name == "portal.event.listener" for r in rows[1:])


class UnheardEvents:
    """A hookspec added for one test: an event that starts with no listener."""

    @pluggy.HookspecMarker("spkms")
    def spkms_on_test_unheard(self, record_id: int) -> None:
        """Nobody listens until the test registers someone."""


class LateListener:
    def __init__(self) -> None:
        self.heard: list[int] = []

    @hookimpl
    def spkms_on_test_unheard(self, record_id: int) -> None:
        self.heard.append(record_id)


def test_an_event_nobody_listens_to_queues_nothing(jobs_inline_app: Flask) -> None:
    app = jobs_inline_app
    manager = app.extensions["spkms"].plugin_manager
    manager.add_hookspecs(UnheardEvents)
    with app.app_context():
        # Checked all the same: a wrong payload fails with or without listeners.
        with pytest.raises(TypeError, match="missing: \\['record_id'\\]"):
            emit("test_unheard")
        assert emit("test_unheard", record_id=1) is None
        db.session.commit()
    assert [r for r in _rows(app) if r.kwargs.get("event") == "test_unheard"] == []
    listener = LateListener()
    manager.register(listener, name="jobs-test-late")
    try:
        with app.app_context():
            assert emit("test_unheard", record_id=2) is not None
            db.session.commit()
        assert listener.heard == [2]
    finally:
        manager.unregister(name="jobs-test-late")


class FailingListener:
    """A second listener that fails the first time it hears an event."""

    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def spkms_on_officer_posted(self, user_id: int, court_id: int) -> None:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError(f"listener down for officer {user_id}")


def test_a_failing_listener_is_retried_without_repeating_the_others(
    jobs_inline_app: Flask,
) -> None:
    app = jobs_inline_app
    plugin: JobsTestPlugin = app.extensions["jobs_test_plugin"]
    manager = app.extensions["spkms"].plugin_manager
    failing = FailingListener()
    manager.register(failing, name="jobs-test-failing")
    try:
        with app.app_context():
            emit("officer_posted", user_id=9, court_id=5)
            db.session.commit()
            states = {
                r.kwargs.get("plugin"): r.state
                for r in _rows(app)
                if r.name == "portal.event.listener"
            }
            assert states["jobs-test"] == "done"
            assert states["jobs-test-failing"] == "failed"
            db.session.execute(
                sa.update(OutboxJob).values(
                    available_at=datetime.now(UTC) - timedelta(1)
                )
            )
            db.session.commit()
            assert len(drain()) == 1
    finally:
        manager.unregister(failing)
    assert failing.calls == 2
    assert plugin.events == [{"user_id": 9, "court_id": 5}]


# -- RQ mode -------------------------------------------------------------------


def test_rq_job_runs_in_a_worker_as_the_service_user(jobs_rq_app: Flask) -> None:
    app = jobs_rq_app
    code = _court_code()
    with app.app_context():
        job = enqueue("test.add_court", code=code)
        db.session.commit()
        outbox_id = job.id
        queued = current_registry().queue().get_job_ids()
    assert queued == [job_id_for(outbox_id)]
    assert [r.state for r in _rows(app)] == ["dispatched"]
    assert RUNS[code] == 0

    _burst(app)

    assert RUNS[code] == 1
    (row,) = _rows(app)
    assert (row.state, row.attempts, row.last_error) == ("done", 1, None)
    with app.app_context():
        court = db.session.scalar(sa.select(Court).where(Court.code == code))
        assert court is not None
        court_version = version_class(Court)
        (version,) = db.session.scalars(
            sa.select(court_version).where(court_version.id == court.id)
        )
        service = app.appbuilder.sm.find_user(username=app.config["SPKMS_SERVICE_USER"])
        assert version.transaction.user_id == service.id


def test_rq_failure_rolls_back_the_job_and_logs_its_ids(
    jobs_rq_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    app = jobs_rq_app
    code = _court_code()
    response = app.test_client().post(
        f"/_jobs_test/court/{code}", headers={"X-Request-ID": "req-rq-fail"}
    )
    assert response.status_code == 200
    with caplog.at_level(logging.WARNING, logger="portal.jobs"):
        _burst(app)

    assert RUNS[code] == 1
    (row,) = _rows(app)
    assert (row.state, row.attempts) == ("failed", 1)
    assert f"boom after writing court {code}" in row.last_error
    assert _aware(row.available_at) > datetime.now(UTC) + timedelta(seconds=20)
    with app.app_context():
        assert db.session.scalar(sa.select(Court).where(Court.code == code)) is None
    (line,) = [r.getMessage() for r in caplog.records if "job failed" in r.getMessage()]
    assert f"outbox_id={row.id}" in line
    assert "job=test.add_court" in line
    assert "request_id=req-rq-fail" in line


def test_a_job_dispatched_twice_runs_once(jobs_rq_app: Flask) -> None:
    app = jobs_rq_app
    tag = _tag()
    with app.app_context():
        job = enqueue("test.record", tag=tag)
        db.session.commit()
        outbox_id = job.id
        queue = current_registry().queue()
        # A second push under the same RQ id and a third under another id,
        # as two racing drains or a replayed push would leave behind.
        queue.enqueue(runner.run_outbox_job, outbox_id, job_id=job_id_for(outbox_id))
        extra = queue.enqueue(runner.run_outbox_job, outbox_id, result_ttl=60)
    _burst(app)

    assert RUNS[tag] == 1
    (row,) = _rows(app)
    assert (row.state, row.attempts) == ("done", 1)
    assert extra.latest_result().return_value == "skipped"
    assert runner.run_outbox_job(outbox_id) == "skipped"
    assert RUNS[tag] == 1


def test_cli_lists_jobs_and_worker_drains_then_runs_them(jobs_rq_app: Flask) -> None:
    app = jobs_rq_app
    tag = _tag()
    outbox_id = _insert_pending(app, tag)
    cli = app.test_cli_runner()

    listed = cli.invoke(args=["jobs", "list", "--state", "pending"])
    assert listed.exit_code == 0, listed.output
    assert f"{outbox_id} pending" in " ".join(listed.output.split())

    worked = cli.invoke(args=["worker", "--burst", "--simple"])
    assert worked.exit_code == 0, worked.output
    assert "drained 1 waiting job(s)" in worked.output
    assert RUNS[tag] == 1
    listed = cli.invoke(args=["jobs", "list", "--state", "done"])
    assert "test.record" in listed.output

    drained = cli.invoke(args=["jobs", "drain"])
    assert drained.output.strip() == "handed over 0 job(s)"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_redis(port: int) -> subprocess.Popen[bytes]:
    server = shutil.which("redis-server")
    assert server, "redis-server is needed for the outage test"
    process = subprocess.Popen(
        [server, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    for _ in range(100):
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError(f"redis-server did not start on port {port}")


def _stop_redis(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)


def test_redis_outage_loses_nothing_and_runs_each_job_once(
    jobs_rq_app: Flask,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = jobs_rq_app
    port = _free_port()
    server = _start_redis(port)
    # The registry notices the changed URL and connects to the new server.
    monkeypatch.setitem(app.config, "SPKMS_REDIS_URL", f"redis://127.0.0.1:{port}/0")
    try:
        client = app.test_client()
        before, during = [_tag(), _tag()], [_tag(), _tag()]
        for tag in before:
            assert client.post(f"/_jobs_test/record/{tag}").status_code == 200
        assert [r.state for r in _rows(app)] == ["dispatched"] * 2

        _stop_redis(server)
        with caplog.at_level(logging.WARNING, logger="portal.jobs"):
            for tag in during:
                assert client.post(f"/_jobs_test/record/{tag}").status_code == 200
        rows = _rows(app)
        assert [r.state for r in rows] == ["dispatched"] * 2 + ["pending"] * 2
        warnings = [r.getMessage() for r in caplog.records if "Redis" in r.getMessage()]
        assert any(f"outbox_ids=[{rows[2].id}]" in w for w in warnings), warnings

        # The restarted server has no memory: the first two entries are gone.
        server = _start_redis(port)
        with app.app_context():
            handed = drain()
        assert sorted(handed) == [r.id for r in rows]
        _burst(app)
        with app.app_context():
            assert drain() == []  # nothing waits, nothing was lost
    finally:
        _stop_redis(server)

    assert [r.state for r in _rows(app)] == ["done"] * 4
    assert [RUNS[tag] for tag in before + during] == [1, 1, 1, 1]


# -- schedules -----------------------------------------------------------------


def test_two_scheduler_ticks_for_one_occurrence_queue_one_job(
    jobs_inline_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = jobs_inline_app
    tag = app.extensions["jobs_test_plugin"].tag
    runs_before = RUNS[tag]
    cli = app.test_cli_runner()
    args = ["scheduler", "--once", "--now", "2026-03-01T01:00:30+00:00"]
    first = cli.invoke(args=args)
    second = cli.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output

    # A racing scheduler that missed the pre-check hits the unique key instead.
    monkeypatch.setattr(scheduler, "_already_queued", lambda key: False)
    with app.app_context():
        late = datetime(2026, 3, 1, 1, 0, 40, tzinfo=UTC)
        assert scheduler.scheduler_tick(late - timedelta(minutes=1), late) == []

    # Plugins' own schedules (the links re-drive runs every minute) fire in
    # the same window; only the test schedule's occurrence is counted here.
    (row,) = [
        row
        for row in _rows(app)
        if (row.dedup_key or "").startswith("schedule:test.morning:")
    ]
    assert row.dedup_key == "schedule:test.morning:2026-03-01T01:00:00+00:00"
    assert row.state == "done"
    assert RUNS[tag] == runs_before + 1


# -- refusals ------------------------------------------------------------------


def test_unknown_names_and_bad_arguments_are_refused_by_name(
    jobs_inline_app: Flask,
) -> None:
    app = jobs_inline_app
    with app.app_context():
        with pytest.raises(UnknownJobError, match=r"unknown job 'test\.nope'"):
            enqueue("test.nope", tag="x")
        with pytest.raises(UnknownEventError, match="spkms_on_case_vanished"):
            emit("case_vanished", case_id=1)
        with pytest.raises(TypeError, match="missing: \\['court_id'\\]"):
            emit("officer_posted", user_id=1)
        with pytest.raises(ValueError, match="argument 'when'"):
            enqueue("test.record", tag="x", when=datetime.now(UTC))
        assert not db.session.new
    assert _rows(app) == []


def test_a_bad_schedule_stops_start_up_naming_it(jobs_inline_app: Flask) -> None:
    app = jobs_inline_app
    registry = app.extensions["spkms_jobs"]

    class BadSchedules:
        @hookimpl
        def spkms_register_schedules(self) -> list[Schedule]:
            return [Schedule("test.typo", "61 * * * *", "test.record", {"tag": "x"})]

    manager = app.extensions["spkms"].plugin_manager
    bad = BadSchedules()
    manager.register(bad)
    try:
        with pytest.raises(
            ConfigError, match=r"schedule 'test.typo'.*'61 \* \* \* \*'"
        ):
            refresh_registry(app)
    finally:
        manager.unregister(bad)
    assert app.extensions["spkms_jobs"] is registry  # the old registry stays
