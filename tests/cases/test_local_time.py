"""Screens show stored UTC times as the court reads them (Malaysia time)."""

from __future__ import annotations

from datetime import UTC, datetime

from plugins.cases import services
from plugins.cases.models import Case
from portal.extensions import db
from portal.timezone import show_local
from tests.cases.conftest import act_as, registration
from tests.conftest import login, make_officer


def test_naive_and_aware_utc_read_the_same_local_time(app_ctx) -> None:
    moment = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    assert show_local(moment) == "02/03/2026 04:00"
    assert show_local(moment.replace(tzinfo=None)) == "02/03/2026 04:00"
    assert show_local(None) == ""


def test_case_page_shows_registration_in_malaysia_time(app, client) -> None:
    registrar = make_officer(app, "Registrar", ("11001",))
    with app.app_context():
        act_as(app, registrar)
        case = services.register_case(
            registration("11001", user=registrar, from_court="11001")
        )
        stored = db.session.get(Case, case.id)
        stored.registered_at = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
        db.session.commit()
        case_id = case.id
    login(client, registrar.username)
    page = client.get(f"/cases/show/{case_id}")
    assert page.status_code == 200
    assert "02/03/2026 04:00" in page.text
