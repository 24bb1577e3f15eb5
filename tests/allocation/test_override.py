"""Overrides: only the named role, never with a configuring role, recorded."""

from __future__ import annotations

import pytest

from plugins.allocation import services
from plugins.allocation.models import AllocationKind
from plugins.cases.models import Case
from portal import jobs
from portal.extensions import db
from tests.allocation.conftest import (
    add_case,
    allocation_settings,
    new_court,
    new_judge,
    records_of,
)
from tests.conftest import make_officer


def _officer_with(app, *roles: str):
    user = make_officer(app, roles[0])
    with app.app_context():
        sm = app.appbuilder.sm
        found = sm.get_user_by_id(user.id)
        for name in roles[1:]:
            found.roles.append(sm.find_role(name))
        db.session.commit()
    return user


def _allocated_case(app) -> tuple[int, int, int]:
    court = new_court(app)
    first, second = new_judge(app, court), new_judge(app, court)
    with allocation_settings(app, strategy="least_loaded"), app.app_context():
        case = add_case(court)
        services.allocate(db.session, case)
        db.session.commit()
        assert case.judge_id == first
        return case.id, first, second


def test_the_override_role_may_override_with_a_reason(app, monkeypatch) -> None:
    case_id, first, second = _allocated_case(app)
    officer = _officer_with(app, services.OVERRIDE_ROLE)
    emitted: list[tuple[str, dict]] = []
    real_emit = jobs.emit

    def spy(event: str, **payload):
        emitted.append((event, payload))
        return real_emit(event, **payload)

    monkeypatch.setattr(jobs, "emit", spy)
    with app.app_context():
        case = db.session.get(Case, case_id)
        record = services.override(
            case, second, "kepakaran", "Kes harta sepencarian yang rumit", officer
        )
        assert record.kind == AllocationKind.OVERRIDE
        assert record.params == {"previous_judge_id": first}
        assert record.by_user_id == officer.id
        db.session.expire_all()
        assert db.session.get(Case, case_id).judge_id == second
        kinds = [r.kind for r in records_of(case_id)]
        assert kinds == ["draw", "override"]
        assert services.verify_chain(db.session, record.court_id) is None
    assert emitted == [("judge_assigned", {"case_id": case_id, "judge_id": second})]


@pytest.mark.parametrize(
    "roles",
    [
        ("Registrar",),
        (services.OVERRIDE_ROLE, "Allocation Admin"),
        (services.OVERRIDE_ROLE, "Admin"),
    ],
)
def test_others_and_configuring_roles_may_not_override(app, roles) -> None:
    case_id, first, second = _allocated_case(app)
    officer = _officer_with(app, *roles)
    with app.app_context():
        case = db.session.get(Case, case_id)
        with pytest.raises(services.OverrideRefused) as refused:
            services.override(case, second, "kepakaran", "Sebab", officer)
        assert refused.value.field == "user"
        db.session.expire_all()
        assert db.session.get(Case, case_id).judge_id == first
        assert [r.kind for r in records_of(case_id)] == ["draw"]


def test_an_override_needs_a_listed_reason_and_text(app) -> None:
    case_id, _first, second = _allocated_case(app)
    officer = _officer_with(app, services.OVERRIDE_ROLE)
    with app.app_context():
        case = db.session.get(Case, case_id)
        with pytest.raises(services.AllocationError) as bad:
            services.override(case, second, "suka_hati", "Sebab", officer)
        assert bad.value.field == "reason_code"
        with pytest.raises(services.AllocationError) as empty:
            services.override(case, second, "kepakaran", "  ", officer)
        assert empty.value.field == "reason_text"
