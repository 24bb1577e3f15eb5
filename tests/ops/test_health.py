"""``/health/live`` and ``/health/ready``: what they check and what they never say."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask

from portal import create_app
from portal.extensions import db
from portal.jobs import enqueue
from portal.jobs.models import DEAD, OutboxJob
from tests.conftest import app_settings
from tests.ops.conftest import create_database, drop_database


def test_live_needs_no_login_and_touches_nothing(client: Any) -> None:
    answer = client.get("/health/live")
    assert answer.status_code == 200
    assert answer.json == {"status": "ok"}


def test_ready_reports_database_and_outbox_backlog(app: Flask, client: Any) -> None:
    before = client.get("/health/ready")
    assert before.status_code == 200, before.json
    assert before.json["status"] == "ok" and before.json["failed"] == []
    assert before.json["checks"]["redis"] == {"ok": True, "configured": False}
    backlog = before.json["checks"]["database"]["outbox"]
    assert set(backlog) == {"pending", "failed", "dead"}

    with app.app_context():
        job = enqueue("portal.event", event="officer_posted", payload={})
        job.state = DEAD  # written straight as dead: nothing runs it
        db.session.commit()
        job_id = job.id
    try:
        after = client.get("/health/ready")
        # A dead job is reported, but users can still be served: still ready.
        assert after.status_code == 200
        outbox = after.json["checks"]["database"]["outbox"]
        assert outbox["dead"] == backlog["dead"] + 1
    finally:
        with app.app_context():
            db.session.delete(db.session.get(OutboxJob, job_id))
            db.session.commit()


def test_ready_fails_when_redis_is_down(app: Flask, client: Any) -> None:
    from tests.mail import free_port

    dead_redis = f"redis://:not-for-the-public@127.0.0.1:{free_port()}/0"
    saved = app.config.get("SPKMS_REDIS_URL"), app.config.get("SPKMS_HEALTH_TIMEOUT")
    app.config.update(SPKMS_REDIS_URL=dead_redis, SPKMS_HEALTH_TIMEOUT=1.0)
    try:
        answer = client.get("/health/ready")
    finally:
        app.config["SPKMS_REDIS_URL"], app.config["SPKMS_HEALTH_TIMEOUT"] = saved
        app.extensions["spkms_jobs"].close()
    assert answer.status_code == 503
    assert answer.json["status"] == "unavailable"
    assert answer.json["failed"] == ["redis"]
    assert answer.json["checks"]["redis"]["ok"] is False
    assert answer.json["checks"]["database"]["ok"] is True
    assert "not-for-the-public" not in answer.text and "127.0.0.1" not in answer.text


def test_ready_fails_when_the_database_is_gone(tmp_path: Any) -> None:
    url = create_database("spkms_gone")
    app = create_app(app_settings(url, SPKMS_HEALTH_TIMEOUT=2.0))
    try:
        drop_database(url)  # closes the app's connections too
        answer = app.test_client().get("/health/ready")
    finally:
        with app.app_context():
            db.engine.dispose()
        drop_database(url)
    assert answer.status_code == 503
    body = answer.json
    assert body["failed"] == ["database"]
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    # Nothing about where the database is or who connects to it.
    text = json.dumps(body)
    assert "spkms_gone" not in text and "postgres" not in text
