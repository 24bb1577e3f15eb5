"""The access log: every single-record read and every refused try, and who reads it.

A read of a court-owned record through a screen or the API leaves one entry
naming the officer, the record, the request id (the one the response carries
in ``X-Request-ID``) and the client address; a try at another court's record
leaves a denied entry though the answer was a plain 404. Only the auditor
reads the log, and nobody changes it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, Response, g
from flask.testing import FlaskClient

from portal.audit.models import AccessLog
from portal.extensions import db
from portal.models import Judge
from portal.security import access
from tests.conftest import api_headers, login, make_officer

COURT_A = "11001"
COURT_B = "11002"
#: The address the test client's requests come from.
CLIENT_ADDR = "10.11.12.13"


@dataclass
class Scene:
    """A clerk of court A, a judge's record in A and one in B."""

    app: Flask
    clerk: Any
    client: FlaskClient
    headers: dict[str, str]
    judge_a: int
    judge_b: int


def _judge_record(app: Flask, court: str) -> int:
    user = make_officer(app, "Judge", (court,), judge=True)
    with app.app_context():
        return db.session.scalar(sa.select(Judge.id).where(Judge.user_id == user.id))


@pytest.fixture
def scene(sample_app: Flask) -> Scene:
    """Built once per app: the tests only add log entries, each by request id."""
    app = sample_app
    cached = app.extensions.get("spkms_test_access_scene")
    if cached is None:
        clerk = make_officer(app, "Clerk", (COURT_A,))
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = CLIENT_ADDR
        login(client, clerk.username)
        cached = Scene(
            app,
            clerk,
            client,
            api_headers(client, clerk.username),
            _judge_record(app, COURT_A),
            _judge_record(app, COURT_B),
        )
        app.extensions["spkms_test_access_scene"] = cached
    return cached


def entries_for(app: Flask, request_id: str) -> list[AccessLog]:
    """The log entries one request wrote."""
    with app.app_context():
        found = list(
            db.session.scalars(
                sa.select(AccessLog).where(AccessLog.request_id == request_id)
            )
        )
        db.session.expunge_all()
        return found


def _assert_one_entry(
    scene: Scene, response: Any, *, record: int, allowed: bool, endpoint: str
) -> AccessLog:
    request_id = response.headers["X-Request-ID"]
    assert request_id
    entries = entries_for(scene.app, request_id)
    assert len(entries) == 1, [repr(entry) for entry in entries]
    (entry,) = entries
    assert entry.allowed is allowed
    assert entry.action == "read"
    assert entry.table_name == "judge"
    assert entry.record_id == str(record)
    assert entry.user_id == scene.clerk.id
    assert entry.username == scene.clerk.username
    assert entry.remote_addr == CLIENT_ADDR
    assert entry.endpoint == endpoint
    assert entry.at is not None
    return entry


def test_screen_read_is_logged_with_request_id_and_address(scene: Scene) -> None:
    response = scene.client.get(f"/judges/show/{scene.judge_a}")
    assert response.status_code == 200
    _assert_one_entry(
        scene, response, record=scene.judge_a, allowed=True, endpoint="JudgeView.show"
    )


def test_api_read_is_logged_with_the_callers_request_id(scene: Scene) -> None:
    # nginx passes its own request id on; the log keeps that one.
    response = scene.client.get(
        f"/api/v1/judge/{scene.judge_a}",
        headers={**scene.headers, "X-Request-ID": "nginx-7f3a-ujian"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Request-ID"] == "nginx-7f3a-ujian"
    _assert_one_entry(
        scene, response, record=scene.judge_a, allowed=True, endpoint="JudgeApi.get"
    )


def test_lists_are_not_single_record_reads(scene: Scene) -> None:
    response = scene.client.get("/judges/list/")
    assert response.status_code == 200
    assert entries_for(scene.app, response.headers["X-Request-ID"]) == []


def test_denied_attempts_are_logged_though_the_answer_is_404(scene: Scene) -> None:
    screen = scene.client.get(f"/judges/show/{scene.judge_b}")
    assert screen.status_code == 404
    _assert_one_entry(
        scene, screen, record=scene.judge_b, allowed=False, endpoint="JudgeView.show"
    )
    api = scene.client.get(f"/api/v1/judge/{scene.judge_b}", headers=scene.headers)
    assert api.status_code == 404
    assert api.json == {"message": "Not found"}
    _assert_one_entry(
        scene, api, record=scene.judge_b, allowed=False, endpoint="JudgeApi.get"
    )
    # A record that does not exist at all is not an attempt on anyone's record.
    missing = scene.client.get("/judges/show/987654321")
    assert missing.status_code == 404
    assert entries_for(scene.app, missing.headers["X-Request-ID"]) == []


def test_a_denial_the_access_check_logged_is_written_once(scene: Scene) -> None:
    """A view that asks ``access.check`` itself is not logged again on its 404."""
    from flask_appbuilder.security.sqla.models import User

    app = scene.app
    request_id = f"sekali-{uuid.uuid4().hex[:8]}"
    with app.test_request_context(f"/judges/show/{scene.judge_b}"):
        g.user = db.session.get(User, scene.clerk.id)
        g.request_id = request_id
        with pytest.raises(access.OutOfScope):
            access.check(db.session.get(Judge, scene.judge_b))
        app.process_response(Response(status=404))
    (entry,) = entries_for(app, request_id)
    assert not entry.allowed
    assert entry.record_id == str(scene.judge_b)


def test_auditor_reads_and_downloads_the_log_but_cannot_change_it(
    scene: Scene,
) -> None:
    app = scene.app
    read = scene.client.get(f"/judges/show/{scene.judge_a}")
    request_id = read.headers["X-Request-ID"]
    (entry,) = entries_for(app, request_id)
    auditor = make_officer(app, "Auditor")
    client = app.test_client()
    login(client, auditor.username)

    listing = client.get(
        "/audit/access/list/", query_string={"_flt_0_username": scene.clerk.username}
    )
    assert listing.status_code == 200
    assert scene.clerk.username in listing.text
    shown = client.get(f"/audit/access/show/{entry.id}")
    assert shown.status_code == 200
    assert request_id in shown.text

    download = client.get(
        "/audit/access/csv", query_string={"username": scene.clerk.username}
    )
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    header, *rows = download.text.splitlines()
    assert header.split(",")[:3] == ["at", "username", "action"]
    assert any(request_id in row for row in rows)

    before = _stored(app, entry.id)
    for url, data in (
        (f"/audit/access/edit/{entry.id}", {"username": "orang-lain"}),
        (f"/audit/access/delete/{entry.id}", {}),
        ("/audit/access/add", {"username": "rekaan", "action": "read"}),
    ):
        response = client.post(url, data=data)
        assert response.status_code in {302, 403}, f"POST {url}"
        assert "/audit/access/list" not in response.headers.get("Location", "")
    assert _stored(app, entry.id) == before
    with app.app_context():
        forged = db.session.scalar(
            sa.select(sa.func.count()).where(AccessLog.username == "rekaan")
        )
    assert forged == 0


def test_clerk_cannot_see_the_access_log(scene: Scene) -> None:
    for url in ("/audit/access/list/", "/audit/access/csv"):
        response = scene.client.get(url)
        assert response.status_code in {302, 403}, url
        assert scene.clerk.username not in response.text


def _stored(app: Flask, entry_id: int) -> dict[str, Any] | None:
    with app.app_context():
        row = db.session.execute(
            sa.select(AccessLog.__table__).where(AccessLog.id == entry_id)
        ).first()
        return None if row is None else dict(row._mapping)
