"""The web tier keeps nothing between requests: two portals serve one state.

Two gunicorn processes started from deploy/gunicorn.conf.py share one
PostgreSQL database, one Redis and one secret key, as two hosts behind nginx
would. A session opened on A is honoured by B, a case registered through A's
API is read through B's, and the event that registration queued on A is run
by a separate RQ worker process and its effect (the registrar's inbox
message) is seen through B.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from flask import Flask
from redis import Redis
from rq import Queue

from tests.cases.conftest import mykad
from tests.conftest import PASSWORD, court_id, make_officer
from tests.ops.processes import Answer, Portal, base_env, spkms

REDIS_URL = "redis://127.0.0.1:6379/7"


@pytest.fixture(scope="module")
def deployment(
    state_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Portal, Portal, dict[str, str]]]:
    """Portals A and B on one database and one Redis queue; stopped at the end."""
    tmp = tmp_path_factory.mktemp("many-hosts")
    env = base_env(
        SPKMS_DATABASE_URL=state_database,
        SPKMS_REDIS_URL=REDIS_URL,
        SPKMS_QUEUE_NAME=f"spkms-test-{uuid.uuid4().hex[:8]}",
        SPKMS_SECRET_KEY=f"shared-{uuid.uuid4().hex}-{uuid.uuid4().hex}",
        SPKMS_WEB_WORKERS="1",
    )
    portals = [
        Portal("a", {**env, "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics-a")}, tmp),
        Portal("b", env, tmp),
    ]
    (tmp / "metrics-a").mkdir()
    try:
        for portal in portals:
            portal.start()
        for portal in portals:
            portal.wait_ready()
        yield portals[0], portals[1], env
    finally:
        for portal in portals:
            portal.terminate()
        for portal in portals:
            portal.stop()
        Queue(env["SPKMS_QUEUE_NAME"], connection=Redis.from_url(REDIS_URL)).empty()


def browser_login(portal: Portal, username: str) -> str:
    """Log in with the form (CSRF token and all); return the session cookie."""
    page = portal.get("/login/")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert token, page.text[:500]
    cookie = page.cookie("session")
    assert cookie
    answer = portal.post(
        "/login/",
        form={"username": username, "password": PASSWORD, "csrf_token": token[1]},
        headers={"Cookie": f"session={cookie}"},
    )
    assert answer.status == 302 and "/login" not in answer.headers["Location"]
    session = answer.cookie("session")
    assert session
    return session


def api_token(portal: Portal, username: str) -> dict[str, str]:
    answer = portal.post(
        "/api/v1/security/login",
        body={"username": username, "password": PASSWORD, "provider": "db"},
    )
    assert answer.status == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_two_portals_share_sessions_records_and_jobs(
    deployment: tuple[Portal, Portal, dict[str, str]], state_app: Flask
) -> None:
    a, b, env = deployment
    clerk = make_officer(state_app, "Clerk", ("11001",))
    registrar = make_officer(state_app, "Registrar", ("11002",))
    with state_app.app_context():
        court, from_court = court_id("11002"), court_id("11001")

    # A session cookie issued by A opens B's screens.
    session = browser_login(a, registrar.username)
    inbox = b.get("/inbox/list/", headers={"Cookie": f"session={session}"})
    assert inbox.status == 200, inbox.text[:300]
    assert registrar.username in inbox.text
    assert b.get("/inbox/list/").status == 302  # no cookie: to the login page

    # A case registered through A's API (a remote registration, keyed at
    # 11001 for 11002) is read on B by the registrar of 11002.
    body = {
        "court_id": court,
        "case_type_id": _case_type_id(state_app),
        "title": "Tuntutan hadhanah",
        "registered_from_id": from_court,
        "parties": [
            {
                "role": "plaintif",
                "identity_number": mykad(),
                "details": {"full_name": "Fatimah binti Yusof"},
            },
            {
                "role": "defendan",
                "identity_number": mykad(),
                "details": {"full_name": "Zulkifli bin Hassan"},
            },
        ],
    }
    created = a.post(
        "/api/v1/case/register", body=body, headers=api_token(a, clerk.username)
    )
    assert created.status == 201, created.text
    case_id, number = created.json()["id"], created.json()["case_number"]
    shown = b.get(f"/api/v1/case/{case_id}", headers=api_token(b, registrar.username))
    assert shown.status == 200, shown.text
    assert shown.json()["result"]["case_number"] == number

    # The registration's event waits in Redis; nobody has run it yet.
    waiting = b.get("/health/ready").json()["checks"]
    assert waiting["redis"]["queue"]["depth"] >= 1
    assert f"Kes baharu {number}" not in _inbox(b, session)

    # A worker process (another host, as far as A and B know) runs it...
    spkms(env, "worker", "--burst")
    # ...and B shows its effect: the registrar's inbox message.
    assert f"Kes baharu {number}" in _inbox(b, session)
    after = b.get("/health/ready").json()["checks"]
    assert after["redis"]["queue"]["depth"] == 0
    assert after["database"]["outbox"]["pending"] == 0


def test_metrics_add_up_every_process_of_a_host(
    deployment: tuple[Portal, Portal, dict[str, str]],
) -> None:
    a, _, env = deployment
    # The reminder run is another process writing to A's metrics folder, as
    # the worker and scheduler units of a host do.
    metrics_env = {**env, "PROMETHEUS_MULTIPROC_DIR": a.env["PROMETHEUS_MULTIPROC_DIR"]}
    later = (date.today() + timedelta(days=800)).isoformat()
    ran = spkms(metrics_env, "reminders", "run", "--date", later, "--rule", _RULE)
    warned = int(re.search(r"(\d+) record\(s\) warned", ran)[1])
    assert warned >= 1, ran

    text = a.get("/metrics").text
    sent = sum(
        float(value)
        for value in re.findall(
            rf'spkms_reminders_sent_total\{{[^}}]*rule="{re.escape(_RULE)}"[^}}]*\}} '
            r"(\S+)",
            text,
        )
    )
    assert sent == warned
    assert 'spkms_queue_jobs{queue="' + env["SPKMS_QUEUE_NAME"] in text
    assert 'spkms_dependency_up{dependency="redis"} 1.0' in text
    assert 'endpoint="spkms_health_ready"' in text


_RULE = "cases.unresolved"


def _inbox(portal: Portal, session: str) -> str:
    answer: Answer = portal.get(
        "/inbox/list/", headers={"Cookie": f"session={session}"}
    )
    assert answer.status == 200
    return answer.text


def _case_type_id(app: Flask) -> int:
    from tests.cases.conftest import case_type_id

    with app.app_context():
        return case_type_id("055")
