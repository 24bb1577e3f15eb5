"""The workload screen and the read-only records screen."""

from __future__ import annotations

from plugins.allocation import services
from portal.extensions import db
from tests.allocation.conftest import (
    add_case,
    allocation_settings,
    new_court,
    new_judge,
)
from tests.conftest import login, make_officer


def test_workload_shows_open_cases_and_weighted_load(app) -> None:
    court = new_court(app)
    first, second = new_judge(app, court), new_judge(app, court)
    registrar = make_officer(app, "Registrar", (court,))
    with allocation_settings(app, strategy="least_loaded"):
        with app.app_context():
            for code in ("055", "010", "010"):
                services.allocate(db.session, add_case(court, code))
            db.session.commit()
        client = app.test_client()
        login(client, registrar.username)
        page = client.get(f"/allocation/workload/?court={court}")
        assert page.status_code == 200, page.text[:300]
        assert f'data-judge="{first}"' in page.text
        assert f'data-judge="{second}"' in page.text
        assert '<strong id="spread">1</strong>' in page.text  # 3 against 1 + 1
        records = client.get("/allocation/records/list/")
        assert records.status_code == 200
        assert client.get("/allocation/records/add").status_code == 404
        # Another court's bench is not this registrar's to see.
        assert client.get("/allocation/workload/?court=11004").status_code == 404
