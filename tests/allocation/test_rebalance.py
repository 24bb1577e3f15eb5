"""Rebalancing an absent judge's open cases: preview, apply, who may."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from plugins.allocation import rebalance, services
from plugins.allocation.models import AllocationKind, AllocationRecord
from plugins.cases.models import Case
from portal import jobs
from portal.extensions import db
from tests.allocation.conftest import (
    add_case,
    allocation_settings,
    new_court,
    new_judge,
)
from tests.conftest import login, make_officer

TYPES = ("055", "010", "010", "055", "010", "010", "055", "010", "010")


def _bench(app) -> tuple[str, int, list[int], list[int]]:
    """Four judges of equal load; the first also holds nine extra open cases."""
    court = new_court(app)
    judges = [new_judge(app, court) for _ in range(4)]
    absent, others = judges[0], judges[1:]
    with app.app_context():
        case_ids = []
        for code in TYPES:
            case = add_case(court, code)
            case.judge_id = absent
            case_ids.append(case.id)
        db.session.commit()
    return court, absent, others, case_ids


def _count_records() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AllocationRecord))


def test_preview_lists_every_open_case_and_writes_nothing(app) -> None:
    _court, absent, others, case_ids = _bench(app)
    with allocation_settings(app, strategy="least_loaded"), app.app_context():
        before = _count_records()
        moves = rebalance.preview_rebalance(db.session, absent)
        assert [m.case_id for m in moves] == case_ids
        assert all(m.to_judge_id in others for m in moves)
        assert not db.session.dirty and not db.session.new
        db.session.rollback()
        assert _count_records() == before
        assert {
            c.judge_id
            for c in db.session.scalars(sa.select(Case).where(Case.id.in_(case_ids)))
        } == {absent}


def test_apply_moves_every_case_evenly_and_keeps_the_chain(app, monkeypatch) -> None:
    court, absent, others, case_ids = _bench(app)
    registrar = make_officer(app, "Registrar", (court,))
    emitted: list[dict] = []
    real_emit = jobs.emit

    def spy(event: str, **payload):
        emitted.append({"event": event, **payload})
        return real_emit(event, **payload)

    monkeypatch.setattr(jobs, "emit", spy)
    with (
        allocation_settings(app, strategy="least_loaded") as runtime,
        app.app_context(),
    ):
        records = rebalance.apply_rebalance(absent, registrar, reason_text="Cuti")
        assert [r.case_id for r in records] == case_ids
        assert {r.kind for r in records} == {AllocationKind.REBALANCE}
        db.session.expire_all()
        moved = db.session.scalars(sa.select(Case).where(Case.id.in_(case_ids)))
        assert {c.judge_id for c in moved} <= set(others)
        loads = services.weighted_loads(db.session, others, runtime.settings)
        heaviest = max(runtime.settings.weight(code) for code in TYPES)
        assert max(loads.values()) - min(loads.values()) <= heaviest
        court_id = records[0].court_id
        assert services.verify_chain(db.session, court_id) is None
    assert [e["case_id"] for e in emitted if e["event"] == "judge_assigned"] == (
        case_ids
    )


@pytest.mark.parametrize("role", ["Clerk", "Allocation Override", "Judge"])
def test_only_registrars_may_apply(app, role) -> None:
    court, absent, _others, case_ids = _bench(app)
    officer = make_officer(app, role, (court,))
    with allocation_settings(app, strategy="least_loaded"), app.app_context():
        with pytest.raises(rebalance.RebalanceRefused) as refused:
            rebalance.apply_rebalance(absent, officer)
        assert refused.value.field == "user"
        db.session.expire_all()
        cases = db.session.scalars(sa.select(Case).where(Case.id.in_(case_ids)))
        assert {c.judge_id for c in cases} == {absent}


def test_the_registrar_previews_and_applies_on_the_screen(app) -> None:
    court, absent, others, case_ids = _bench(app)
    registrar = make_officer(app, "Chief Registrar", (court,))
    client = app.test_client()
    login(client, registrar.username)
    with allocation_settings(app, strategy="least_loaded"):
        page = client.get(f"/allocation/rebalance/?court={court}&judge_id={absent}")
        assert page.status_code == 200, page.text[:300]
        for case_id in case_ids:
            assert f'data-case="{case_id}"' in page.text
        done = client.post(
            "/allocation/rebalance/apply",
            data={"court": court, "judge_id": absent, "reason_text": "Bersara"},
        )
        assert done.status_code == 302, done.text[:500]
        after = client.get(done.headers["Location"])
        assert f"{len(case_ids)} kes dipindahkan" in after.text
    with app.app_context():
        cases = db.session.scalars(sa.select(Case).where(Case.id.in_(case_ids)))
        assert {c.judge_id for c in cases} <= set(others)
    # A judge of another court is not offered, nor accepted.
    elsewhere = new_court(app)
    stranger = new_judge(app, elsewhere)
    assert (
        client.get(f"/allocation/rebalance/?court={court}&judge_id={stranger}")
    ).status_code == 404
