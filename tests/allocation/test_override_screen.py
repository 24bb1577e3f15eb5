"""The override screen: the named role overrides; every refusal names its rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plugins.allocation import services
from plugins.allocation.models import JudgeLeave
from plugins.cases.models import Case
from portal.extensions import db
from portal.models import utcnow
from tests.allocation.conftest import (
    add_case,
    allocation_settings,
    new_court,
    new_judge,
    records_of,
)
from tests.conftest import login, make_officer


def _officer(app, court: str, *roles: str):
    user = make_officer(app, roles[0], (court,))
    with app.app_context():
        sm = app.appbuilder.sm
        found = sm.get_user_by_id(user.id)
        for name in roles[1:]:
            found.roles.append(sm.find_role(name))
        db.session.commit()
    return user


def _setup(app) -> tuple[str, int, int, int, int]:
    """A court, a drawn case, a free judge and a judge on leave today."""
    court = new_court(app)
    first, second, away = (new_judge(app, court) for _ in range(3))
    with allocation_settings(app, strategy="least_loaded"), app.app_context():
        today = services.local_date(utcnow())
        db.session.add(
            JudgeLeave(
                judge_id=away,
                starts_on=today - timedelta(days=1),
                ends_on=today + timedelta(days=30),
                reason="Cuti panjang",
            )
        )
        case = add_case(court)
        services.allocate(db.session, case)
        db.session.commit()
        assert case.judge_id == first
        return court, case.id, first, second, away


def _post(client, case_id: int, **form):
    return client.post(f"/allocation/override/{case_id}", data=form)


def test_the_override_officer_overrides_through_the_screen(app) -> None:
    court, case_id, _first, second, away = _setup(app)
    officer = _officer(app, court, services.OVERRIDE_ROLE)
    client = app.test_client()
    login(client, officer.username)
    page = client.get(f"/allocation/override/{case_id}")
    assert page.status_code == 200, page.text[:300]
    assert f'<option value="{second}"' in page.text
    assert f'<option value="{away}"' not in page.text  # on leave: not offered
    done = _post(
        client,
        case_id,
        judge_id=second,
        reason_code="kepakaran",
        reason_text="Kes harta sepencarian yang rumit",
    )
    assert done.status_code == 302, done.text[:500]
    with app.app_context():
        assert db.session.get(Case, case_id).judge_id == second
        assert [r.kind for r in records_of(case_id)] == ["draw", "override"]


@pytest.mark.parametrize(
    ("roles", "form", "field", "rule"),
    [
        (("Registrar",), {}, "user", "only the Allocation Override role"),
        (
            (services.OVERRIDE_ROLE, "Registrar"),
            {},
            "user",
            "who configures allocation may not override it",
        ),
        ((services.OVERRIDE_ROLE,), {"judge": "away"}, "judge_id", "bercuti"),
        ((services.OVERRIDE_ROLE,), {"reason_code": ""}, "reason_code", "one of"),
        ((services.OVERRIDE_ROLE,), {"reason_text": " "}, "reason_text", "required"),
    ],
)
def test_refusals_are_shown_with_field_and_rule(app, roles, form, field, rule) -> None:
    court, case_id, first, second, away = _setup(app)
    officer = _officer(app, court, *roles)
    client = app.test_client()
    login(client, officer.username)
    data = {
        "judge_id": away if form.get("judge") == "away" else second,
        "reason_code": form.get("reason_code", "kepakaran"),
        "reason_text": form.get("reason_text", "Sebab yang cukup"),
    }
    refused = _post(client, case_id, **data)
    assert refused.status_code == 400, refused.text[:500]
    assert f'data-field="{field}"' in refused.text
    assert rule in refused.text
    with app.app_context():
        assert db.session.get(Case, case_id).judge_id == first
        assert [r.kind for r in records_of(case_id)] == ["draw"]


def test_a_case_of_another_court_is_not_found(app) -> None:
    _court, case_id, *_ = _setup(app)
    officer = _officer(app, new_court(app), services.OVERRIDE_ROLE)
    client = app.test_client()
    login(client, officer.username)
    assert client.get(f"/allocation/override/{case_id}").status_code == 404
