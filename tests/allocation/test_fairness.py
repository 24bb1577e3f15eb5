"""The fairness report: shares of draws against an equal expected share."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from plugins.allocation import fairness, services
from portal.extensions import db
from portal.models import utcnow
from tests.allocation.conftest import (
    add_case,
    allocation_settings,
    new_court,
    new_judge,
)
from tests.conftest import login, make_officer


def _drawn(app, cases: int) -> tuple[str, list[int], int]:
    court = new_court(app)
    judges = [new_judge(app, court) for _ in range(3)]
    with allocation_settings(app, strategy="round_robin"), app.app_context():
        for _ in range(cases):
            services.allocate(db.session, add_case(court))
        db.session.commit()
        from tests.conftest import court_id

        return court, judges, court_id(court)


def test_shares_against_the_equal_expected_share(app) -> None:
    _court, judges, court_pk = _drawn(app, 4)  # rotation: 2, 1, 1
    with app.app_context():
        today = services.local_date(utcnow())
        report = fairness.fairness_report(db.session, court_pk, today, today)
        assert report.total == 4
        rows = {r.judge_id: r for r in report.rows}
        assert sorted(rows) == judges
        assert [rows[j].draws for j in judges] == [2, 1, 1]
        assert rows[judges[0]].share == 0.5
        assert abs(rows[judges[0]].expected - 1 / 3) < 1e-9
        assert abs(rows[judges[0]].difference - (0.5 - 1 / 3)) < 1e-9
        earlier = fairness.fairness_report(
            db.session, court_pk, today - timedelta(days=9), today - timedelta(days=1)
        )
        assert earlier.total == 0
        assert all(r.share == 0 for r in earlier.rows)


def test_report_screen_and_csv(app) -> None:
    court, judges, _court_pk = _drawn(app, 3)
    auditor = make_officer(app, "Auditor", (court,))
    client = app.test_client()
    login(client, auditor.username)
    page = client.get(f"/allocation/fairness/?court={court}")
    assert page.status_code == 200, page.text[:300]
    assert '<strong id="total">3</strong>' in page.text
    for judge_id in judges:
        assert f'data-judge="{judge_id}"' in page.text
    download = client.get(f"/allocation/fairness/csv?court={court}")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [int(r["id_hakim"]) for r in rows] == judges
    assert {r["cabutan"] for r in rows} == {"1"}
    assert {r["beza_mata_peratus"] for r in rows} == {"0.00"}
    assert client.get(f"/allocation/fairness/?court={court}&dari=x").status_code == 400


def test_a_clerk_may_not_read_the_report(app) -> None:
    court, _judges, _pk = _drawn(app, 1)
    clerk = make_officer(app, "Clerk", (court,))
    client = app.test_client()
    login(client, clerk.username)
    assert client.get(f"/allocation/fairness/?court={court}").status_code != 200
