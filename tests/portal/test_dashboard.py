"""The dashboard: numbers against known registrations, chart equals CSV, the
panel hook, and the court scope."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from plugins.cases import services
from plugins.cases.models import Case, CaseStatus
from portal import dashboard, hookimpl
from portal.dashboard import Panel, PanelData, Scope, collect_panels
from portal.extensions import db
from portal.settings import ConfigError
from tests.cases.conftest import act_as, registration
from tests.conftest import court_id, login, make_officer

COURT = "11007"
YEAR = 1999
MYT = ZoneInfo("Asia/Kuala_Lumpur")


def myt(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=MYT)


#: (case type, registered, closed, status) of the cases placed in 1999 by hand.
#: The second is registered at 00:30 on 1 February in Malaysia, which is still
#: 31 January in UTC: it must count in February.
PLACED = [
    ("055", myt(1999, 1, 10, 10), myt(1999, 3, 5, 11), CaseStatus.DECIDED),
    ("055", myt(1999, 2, 1, 0, 30), None, CaseStatus.IN_PROGRESS),
    ("040", myt(1999, 2, 10, 9), myt(1999, 4, 20, 9), CaseStatus.DECIDED),
    ("040", myt(1999, 3, 1, 9), myt(1999, 3, 15, 9), CaseStatus.WITHDRAWN),
    ("055", myt(1999, 6, 1, 9), myt(2000, 1, 5, 9), CaseStatus.DECIDED),
]
BY_MONTH = [
    ["1999-01", "1", "0", "1"],
    ["1999-02", "2", "0", "3"],
    ["1999-03", "1", "1", "2"],
    ["1999-04", "0", "1", "1"],
    ["1999-05", "0", "0", "1"],
    ["1999-06", "1", "0", "2"],
    *[[f"1999-{m:02d}", "0", "0", "2"] for m in range(7, 13)],
]


@dataclass
class Court1999:
    registrar: Any
    judge: Any
    chief: Any
    outsider: Any


@pytest.fixture(scope="module")
def court_1999(app: Flask) -> Court1999:
    registrar = make_officer(app, "Registrar", (COURT,))
    judge = make_officer(app, "Judge", (COURT,), judge=True)
    with app.app_context():
        act_as(app, registrar)
        for code, registered, closed, status in PLACED:
            case = services.register_case(
                registration(COURT, user=registrar, from_court=COURT, type_code=code)
            )
            case.registered_at = registered
            case.closed_at = closed
            case.status = status
        db.session.commit()
    return Court1999(
        registrar,
        judge,
        make_officer(app, "Chief Registrar"),
        make_officer(app, "Registrar", ("11001",)),
    )


def signed_in(app: Flask, user: Any) -> FlaskClient:
    client = app.test_client()
    login(client, user.username)
    return client


def csv_rows(client: FlaskClient, key: str, query: str) -> list[list[str]]:
    response = client.get(f"/dashboard/csv/{key}?{query}")
    assert response.status_code == 200, response.text[:300]
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.text)))


def bars(page: str, key: str) -> dict[tuple[str, str], str]:
    """(label, series) -> value of every bar drawn in the panel ``key``."""
    section = page.split(f'id="panel-{key}"', 1)[1].split("</section>", 1)[0]
    found = re.findall(
        r'class="bar"[^>]*data-series="([^"]*)" data-label="([^"]*)" '
        r'data-value="([^"]*)"',
        section,
    )
    return {(label, series): value for series, label, value in found}


def test_numbers_by_month_match_the_registrations(
    app: Flask, court_1999: Court1999
) -> None:
    client = signed_in(app, court_1999.registrar)
    query = f"mahkamah={COURT}&tahun={YEAR}"
    rows = csv_rows(client, "cases.by_month", query)
    assert rows[0] == ["Bulan", "Didaftar", "Diputuskan", "Belum selesai (akhir bulan)"]
    assert rows[1:] == BY_MONTH

    by_type = csv_rows(client, "cases.by_case_type", query)
    assert by_type[1:] == [
        ["040", by_type[1][1], "2", "1", "0"],
        ["055", by_type[2][1], "3", "1", "2"],
    ]
    charter = csv_rows(client, "cases.within_charter", query)
    # 055: decided in 54 days of 180. 040 (faraid, 30 days): one decided
    # after 69 days, one withdrawn after 14. Transfers never count.
    assert [row[0:1] + row[2:] for row in charter[1:]] == [
        ["040", "2", "1", "50.0"],
        ["055", "1", "1", "100.0"],
        ["", "3", "2", "66.7"],
    ]


def test_every_chart_shows_the_numbers_of_its_csv(
    app: Flask, court_1999: Court1999
) -> None:
    client = signed_in(app, court_1999.registrar)
    query = f"mahkamah={COURT}&tahun={YEAR}"
    page = client.get(f"/dashboard/?{query}")
    assert page.status_code == 200
    for panel in ("cases.by_month", "cases.by_case_type", "allocation.judges_load"):
        header, *rows = csv_rows(client, panel, query)
        labels = 1 if panel == "cases.by_month" else 2
        drawn = bars(page.text, panel)
        expected = {
            (" ".join(cell for cell in row[:labels] if cell), header[index]): row[index]
            for row in rows
            for index in range(labels, len(header))
        }
        assert drawn == expected, panel
        assert drawn, panel
    charter_header, *charter = csv_rows(client, "cases.within_charter", query)
    drawn = bars(page.text, "cases.within_charter")
    assert drawn == {
        (" ".join(c for c in row[:2] if c), charter_header[4]): row[4]
        for row in charter
    }


def test_loads_and_overdue_reuse_allocation_and_reminders(
    app: Flask, court_1999: Court1999
) -> None:
    from plugins.allocation import services as allocation
    from portal.reminders.views import due_for_viewer

    client = signed_in(app, court_1999.registrar)
    loads = csv_rows(client, "allocation.judges_load", f"mahkamah={COURT}")
    overdue = csv_rows(client, "reminders.overdue", f"mahkamah={COURT}")
    with app.app_context():
        act_as(app, court_1999.registrar)
        work = allocation.workload(db.session, court_id(COURT))
        late = [
            due
            for due in due_for_viewer(dashboard_today(), mine_only=False)
            if due.rule == "Kes belum selesai" and due.days_late >= 0
        ]
    assert loads[1:] == [[COURT, w.judge, str(w.open_cases), str(w.load)] for w in work]
    unresolved = [row for row in overdue[1:] if row[0] == "Kes belum selesai"]
    assert unresolved == [
        ["Kes belum selesai", COURT, str(len(late)), unresolved[0][3]]
    ]
    assert len(late) >= 1  # the open case registered in 1999


def dashboard_today() -> date:
    from portal.reminders.engine import today_in_state

    return today_in_state()


def test_scope_of_the_dashboard(app: Flask, court_1999: Court1999) -> None:
    query = f"mahkamah={COURT}&tahun={YEAR}"
    chief = signed_in(app, court_1999.chief)
    assert csv_rows(chief, "cases.by_month", query)[1:] == BY_MONTH
    every_court = csv_rows(chief, "cases.by_month", f"tahun={YEAR}")
    assert all(
        int(whole[1]) >= int(ours[1])
        for whole, ours in zip(every_court[1:], BY_MONTH, strict=True)
    )
    judge = signed_in(app, court_1999.judge)
    assert csv_rows(judge, "cases.by_month", query)[1:] == BY_MONTH
    assert judge.get(f"/dashboard/?{query}").status_code == 200

    outsider = signed_in(app, court_1999.outsider)
    assert outsider.get(f"/dashboard/?{query}").status_code == 404
    assert outsider.get(f"/dashboard/csv/cases.by_month?{query}").status_code == 404
    assert outsider.get("/dashboard/csv/no.such_panel").status_code == 404


@pytest.mark.parametrize("year", ["dua ribu", "1850", "3000"])
def test_a_bad_year_is_refused_naming_the_field(
    app: Flask, court_1999: Court1999, year: str
) -> None:
    client = signed_in(app, court_1999.registrar)
    page = client.get(f"/dashboard/?mahkamah={COURT}&tahun={year}")
    assert page.status_code == 422
    assert 'data-field="tahun"' in page.text
    response = client.get(f"/dashboard/csv/cases.by_month?tahun={year}")
    assert response.status_code == 422
    assert response.text.startswith("tahun:")


def fees_by_type(scope: Scope) -> PanelData:
    """A plugin's own numbers: how many courts were chosen, as a stand-in."""
    return PanelData(
        columns=["Jenis Fi", "Kutipan (RM)"],
        rows=[["Penyata tuntutan", len(scope.court_ids) * 40]],
        chart="hbar",
    )


class CollectionsLike:
    """A plugin that adds a panel without touching the dashboard's code."""

    @hookimpl
    def spkms_dashboard_panels(self) -> list[Panel]:
        return [Panel("test.fees", "Kutipan mengikut jenis fi", fees_by_type, order=5)]


def test_a_plugin_adds_a_panel_through_spkms_dashboard_panels(
    app: Flask, court_1999: Court1999
) -> None:
    manager = app.extensions["spkms"].plugin_manager
    plugin = CollectionsLike()
    manager.register(plugin, name="test-collections-like")
    before = app.extensions[dashboard.EXTENSION_KEY]
    try:
        with app.app_context():
            found = dashboard.init_app(app)
        keys = [panel.key for panel in found]
        assert keys[0] == "test.fees"
        assert {"cases.by_month", "allocation.judges_load", "reminders.overdue"} <= set(
            keys
        )
        client = signed_in(app, court_1999.registrar)
        page = client.get(f"/dashboard/?mahkamah={COURT}")
        assert "Kutipan mengikut jenis fi" in page.text
        assert bars(page.text, "test.fees") == {
            ("Penyata tuntutan", "Kutipan (RM)"): "40"
        }
        assert csv_rows(client, "test.fees", f"mahkamah={COURT}") == [
            ["Jenis Fi", "Kutipan (RM)"],
            ["Penyata tuntutan", "40"],
        ]
    finally:
        manager.unregister(plugin)
        app.extensions[dashboard.EXTENSION_KEY] = before
    with pytest.raises(ConfigError) as twice:
        collect_panels([CollectionsLike().spkms_dashboard_panels()] * 2)
    assert "test.fees" in str(twice.value)


def test_pending_counts_only_cases_of_the_chosen_courts(
    app: Flask, court_1999: Court1999
) -> None:
    """The scope reaches the SQL: another court's 1999 case changes nothing here."""
    with app.app_context():
        act_as(app, court_1999.outsider)
        other = services.register_case(
            registration("11001", user=court_1999.outsider, from_court="11001")
        )
        other.registered_at = myt(1999, 1, 2, 9)
        db.session.commit()
        count = db.session.scalar(
            sa.select(sa.func.count()).where(Case.id == other.id, Case.court_id != 0)
        )
        assert count == 1
    client = signed_in(app, court_1999.registrar)
    assert (
        csv_rows(client, "cases.by_month", f"mahkamah={COURT}&tahun={YEAR}")[1:]
        == BY_MONTH
    )
