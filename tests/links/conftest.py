"""A portal and the agency simulator talking over real HTTP on loopback.

Per backend, one portal app is built from a copy of the state profile whose
``[links.*]`` endpoints point at a simulator served by werkzeug in a thread,
with short back-offs and time-outs; the portal itself is served the same way
so the simulator's callbacks reach the signed inbound endpoint. Jobs run
inline (the embedded default), so a registration delivers in the same thread.
"""

from __future__ import annotations

import itertools
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from plugins.cases import services as cases
from plugins.links.models import AgencyMessage
from plugins.links.simulator import Simulator
from portal import create_app
from portal.extensions import db
from portal.settings import CONFIG_DIR
from tests.cases.conftest import act_as, case_type_id, mykad
from tests.conftest import app_settings, court_id, initialise, make_officer
from tests.databases import drop_database, fresh_database_url

#: The portal's time-out for one agency call in these tests (seconds).
TIMEOUT = 0.5
#: First retry pause and the longest pause (seconds).
RETRY = 0.05
MAX_BACKOFF = 0.4
COURT = "11002"

_serial = itertools.count(1)


@dataclass
class Links:
    """The portal under test, its simulator and a clerk who registers cases."""

    app: Flask
    sim: Simulator
    portal_url: str
    sim_url: str
    clerk: Any
    officer: Any

    def register(
        self, *, name: str = "Siti Aminah binti Abdullah", number: str = ""
    ) -> int:
        """Register a case with one MyKad applicant; return its id."""
        with self.app.app_context():
            act_as(self.app, self.clerk)
            request = cases.Registration(
                court_id=court_id(COURT),
                case_type_id=case_type_id("055"),
                title=f"Tuntutan {next(_serial)}",
                parties=[
                    cases.PartyInput(
                        role="plaintif",
                        identity_number=number or mykad(next(_serial) + 3000),
                        details={"full_name": name},
                    )
                ],
                registered_by_id=self.clerk.id,
                registered_from_id=court_id(COURT),
            )
            return cases.register_case(request).id

    def messages(self, **where: Any) -> list[dict[str, Any]]:
        """Stored agency messages matching ``where``, oldest first, as dicts."""
        with self.app.app_context():
            query = sa.select(AgencyMessage.__table__).order_by(AgencyMessage.id)
            for key, value in where.items():
                query = query.where(AgencyMessage.__table__.c[key] == value)
            return [dict(row._mapping) for row in db.session.execute(query)]

    def run_job(self, name: str, **kwargs: Any) -> None:
        """Queue a job the way the scheduler does and let it run (inline)."""
        from portal.jobs import enqueue

        with self.app.app_context():
            enqueue(name, **kwargs)
            db.session.commit()

    def until(self, check: Callable[[], bool], timeout: float = 20.0) -> None:
        """Wait for ``check`` to hold (callbacks arrive from the simulator).

        Generous: on a loaded 2-core machine a callback can take seconds.
        """
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, "condition not reached in time"
            time.sleep(0.02)


def _serve(app: Any) -> tuple[BaseWSGIServer, str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def states_for(tmp: Path, sim_url: str) -> Path:
    """The state profiles with ``[links]`` pointed at ``sim_url``, tuned short."""
    states = tmp / "states"
    shutil.copytree(CONFIG_DIR / "states", states)
    path = states / "terengganu.toml"
    text = path.read_text(encoding="utf-8")
    for old, new in (
        ("http://127.0.0.1:8090", sim_url),
        ("retry_seconds = 30", f"retry_seconds = {RETRY}"),
        ("timeout_seconds = 10", f"timeout_seconds = {TIMEOUT}"),
        ("max_backoff_seconds = 3600", f"max_backoff_seconds = {MAX_BACKOFF}"),
        # JPN stays down for a while in these tests; no message may run out.
        ("max_attempts = 12", "max_attempts = 1000"),
    ):
        assert old in text, f"the profile no longer has {old!r}"
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return states


@pytest.fixture(scope="session")
def links(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Links]:
    tmp = tmp_path_factory.mktemp(f"links-{backend}")
    sim = Simulator(secrets={}, portal_url="")
    sim_server, sim_url = _serve(sim)
    url = fresh_database_url(backend, tmp)
    app = create_app(app_settings(url, SPKMS_STATES_DIR=str(states_for(tmp, sim_url))))
    initialise(app)
    with app.app_context():
        from plugins.links.services import settings

        sim.secrets = {key: a.secret for key, a in settings().agencies.items()}
    portal_server, portal_url = _serve(app)
    sim.portal_url = portal_url
    clerk = make_officer(app, "Clerk", (COURT,))
    officer = make_officer(app, "Links Officer", (COURT,))
    yield Links(app, sim, portal_url, sim_url, clerk, officer)
    sim.wait_idle()
    portal_server.shutdown()
    sim_server.shutdown()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop_database(url)


@pytest.fixture
def sim(links: Links) -> Iterator[Simulator]:
    """The simulator, set back to normal behaviour after each test."""
    yield links.sim
    links.sim.wait_idle()
    links.sim.set(
        "*",
        down=False,
        delay=0.0,
        answer_twice=False,
        reject=False,
        bad_answer=False,
        execute_warrants=True,
    )
