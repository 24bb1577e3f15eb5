"""Status workflow and hearings, with their events after commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plugins.cases import services
from plugins.cases.models import CaseStatus
from portal.extensions import db
from tests.cases.conftest import act_as, registration
from tests.conftest import api_headers, make_officer
from tests.events import recording


def test_first_hearing_starts_the_case_and_decision_closes_it(app_ctx) -> None:
    registrar = make_officer(app_ctx, "Registrar", ("11001",))
    act_as(app_ctx, registrar)
    with recording(app_ctx) as recorder:
        case = services.register_case(
            registration("11001", user=registrar, from_court="11001")
        )
        when = datetime.now(UTC) + timedelta(days=7)
        hearing = services.schedule_hearing(case, "sebutan", when, "Bilik 1")
        assert case.status == CaseStatus.IN_PROGRESS
        services.change_status(case, CaseStatus.DECIDED)
    assert case.closed_at is not None
    # case_registered, case_status_changed and hearing_scheduled were queued
    # after their commits and delivered to plugins.
    events = [
        name for name, payload in recorder.heard if payload.get("case_id") == case.id
    ]
    assert events.count("case_registered") == 1
    assert events.count("case_status_changed") == 2
    assert events.count("hearing_scheduled") == 1
    assert hearing.id is not None


@pytest.mark.parametrize(
    ("path", "target", "rule"),
    [
        ([], CaseStatus.DECIDED, "cannot become"),
        ([CaseStatus.WITHDRAWN], CaseStatus.IN_PROGRESS, "cannot become"),
        ([], "nonsense", "unknown status"),
    ],
)
def test_forbidden_status_changes_are_refused(app_ctx, path, target, rule) -> None:
    registrar = make_officer(app_ctx, "Registrar", ("11001",))
    act_as(app_ctx, registrar)
    case = services.register_case(
        registration("11001", user=registrar, from_court="11001")
    )
    for step in path:
        services.change_status(case, step, reason="Pemohon menarik balik")
    before = case.status
    with pytest.raises(services.CaseError) as refused:
        services.change_status(case, target)
    assert refused.value.field == "status"
    assert rule in refused.value.rule
    db.session.rollback()
    assert case.status == before


def test_withdrawal_needs_a_reason(app_ctx) -> None:
    registrar = make_officer(app_ctx, "Registrar", ("11001",))
    act_as(app_ctx, registrar)
    case = services.register_case(
        registration("11001", user=registrar, from_court="11001")
    )
    with pytest.raises(services.CaseError) as refused:
        services.change_status(case, CaseStatus.WITHDRAWN)
    assert refused.value.field == "reason"


def test_hearing_needs_an_aware_time_and_an_open_case(app_ctx) -> None:
    registrar = make_officer(app_ctx, "Registrar", ("11001",))
    act_as(app_ctx, registrar)
    case = services.register_case(
        registration("11001", user=registrar, from_court="11001")
    )
    with pytest.raises(services.CaseError) as naive:
        services.schedule_hearing(case, "bicara", datetime(2027, 1, 5, 9, 0))
    assert naive.value.field == "starts_at"
    services.change_status(case, CaseStatus.STRUCK_OUT, reason="Tidak hadir")
    with pytest.raises(services.CaseError) as closed:
        services.schedule_hearing(case, "bicara", datetime.now(UTC))
    assert closed.value.field == "case"


def test_status_change_through_the_api_is_scoped(app, client) -> None:
    registrar = make_officer(app, "Registrar", ("11001",))
    outsider = make_officer(app, "Registrar", ("11004",))
    with app.app_context():
        act_as(app, registrar)
        case = services.register_case(
            registration("11001", user=registrar, from_court="11001")
        )
        case_id = case.id
    theirs = api_headers(client, outsider.username)
    assert (
        client.post(
            f"/api/v1/case/{case_id}/status",
            json={"status": "dibatalkan", "reason": "x"},
            headers=theirs,
        ).status_code
        == 404
    )
    mine = api_headers(client, registrar.username)
    bad = client.post(
        f"/api/v1/case/{case_id}/status", json={"status": "diputuskan"}, headers=mine
    )
    assert bad.status_code == 422
    assert "status" in bad.json["message"]
    ok = client.post(
        f"/api/v1/case/{case_id}/status",
        json={"status": "ditarik_balik", "reason": "Pemohon menarik balik"},
        headers=mine,
    )
    assert ok.status_code == 200
    assert ok.json["status"] == "ditarik_balik"
