"""Eligibility before choice: court, coverage, category, level, leave, conflict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from plugins.allocation import services
from plugins.allocation.models import (
    AllocationKind,
    JudgeCompetence,
    JudgeConflict,
    JudgeCoverage,
    JudgeLeave,
)
from plugins.cases import services as cases
from portal.extensions import db
from portal.notifications import Notification
from tests.allocation.conftest import (
    add_case,
    allocation_settings,
    new_court,
    new_judge,
    new_party,
    records_of,
)
from tests.cases.conftest import act_as, registration
from tests.conftest import court_id, make_officer


def test_only_eligible_judges_are_candidates(app) -> None:
    court, other = new_court(app), new_court(app)
    plain, on_leave, conflicted, mal_only, tinggi_only = (
        new_judge(app, court) for _ in range(5)
    )
    visitor, stranger = new_judge(app, other), new_judge(app, other)
    with allocation_settings(app, strategy="least_loaded"), app.app_context():
        today = services.local_date(datetime.now(UTC))
        party = new_party()
        db.session.add_all(
            [
                JudgeLeave(
                    judge_id=on_leave,
                    starts_on=today - timedelta(days=1),
                    ends_on=today + timedelta(days=1),
                    reason="Cuti tahunan",
                ),
                JudgeConflict(judge_id=conflicted, party_id=party, reason="Saudara"),
                JudgeCompetence(judge_id=mal_only, hears_mal=True, hears_jenayah=False),
                JudgeCompetence(judge_id=tinggi_only, levels="tinggi"),
                JudgeCoverage(judge_id=visitor, covers_court_id=court_id(court)),
            ]
        )
        case = add_case(court, "101", party_ids=(party,))
        judge_id = services.allocate(db.session, case)
        (record,) = records_of(case.id)
        assert record.kind == AllocationKind.DRAW
        assert {c["judge_id"] for c in record.candidates} == {plain, visitor}
        assert judge_id in {plain, visitor}
        assert stranger not in {c["judge_id"] for c in record.candidates}
        why = {row["judge_id"]: row["why"] for row in record.params["excluded"]}
        assert why == {
            on_leave: "cuti",
            conflicted: "konflik",
            mal_only: "kategori",
            tinggi_only: "peringkat",
        }
        db.session.rollback()


def test_leave_counts_by_the_malaysia_date(app) -> None:
    court = new_court(app)
    away, present = new_judge(app, court), new_judge(app, court)
    with allocation_settings(app, strategy="least_loaded"), app.app_context():
        # 17:00 UTC on 1 March is already 2 March in Malaysia.
        moment = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
        db.session.add(
            JudgeLeave(
                judge_id=away,
                starts_on=moment.date() + timedelta(days=1),
                ends_on=moment.date() + timedelta(days=3),
                reason="Kursus",
            )
        )
        case = add_case(court, registered_at=moment)
        assert services.allocate(db.session, case) == present
        db.session.rollback()


def test_nobody_eligible_leaves_the_case_unassigned_and_warns(app) -> None:
    court = new_court(app)
    judge = new_judge(app, court)
    registrar = make_officer(app, "Registrar", (court,))
    clerk = make_officer(app, "Clerk", (court,))
    with app.app_context():
        today = services.local_date(datetime.now(UTC))
        db.session.add(
            JudgeLeave(
                judge_id=judge,
                starts_on=today,
                ends_on=today + timedelta(days=30),
                reason="Cuti panjang",
            )
        )
        db.session.commit()
        act_as(app, clerk)
        case = cases.register_case(registration(court, user=clerk, from_court=court))
        assert case.id is not None and case.judge_id is None
        (record,) = records_of(case.id)
        assert record.kind == AllocationKind.UNASSIGNED
        assert record.reason_code == "tiada_hakim_layak"
        assert f"hakim id {judge} bercuti" in record.reason_text
        warned = db.session.scalars(
            sa.select(Notification).where(Notification.user_id == registrar.id)
        ).all()
        assert any(case.case_number in n.subject for n in warned)


def test_a_raising_strategy_leaves_the_case_unassigned(app, caplog) -> None:
    court = new_court(app)
    new_judge(app, court)
    clerk = make_officer(app, "Clerk", (court,))

    def broken(candidates, context):
        raise RuntimeError("strategi rosak")

    with (
        allocation_settings(app, {"broken": broken}, strategy="broken"),
        app.app_context(),
    ):
        act_as(app, clerk)
        case = cases.register_case(registration(court, user=clerk, from_court=court))
        assert case.judge_id is None
        (record,) = records_of(case.id)
        assert (record.kind, record.reason_code) == ("unassigned", "strategi_gagal")
        assert "strategi rosak" in record.reason_text
    assert "strategy broken failed" in caplog.text


def test_a_strategy_choosing_an_ineligible_judge_is_refused(app) -> None:
    court, other = new_court(app), new_court(app)
    new_judge(app, court)
    outsider = new_judge(app, other)
    with (
        allocation_settings(
            app, {"rogue": lambda candidates, context: outsider}, strategy="rogue"
        ),
        app.app_context(),
    ):
        case = add_case(court)
        assert services.allocate(db.session, case) is None
        (record,) = records_of(case.id)
        assert record.reason_code == "strategi_tidak_sah"
        db.session.rollback()


def test_a_related_case_goes_to_the_earlier_judge(app) -> None:
    court = new_court(app)
    first, second = new_judge(app, court), new_judge(app, court)
    with allocation_settings(app, strategy="least_loaded"), app.app_context():
        husband, wife = new_party(), new_party()
        earlier = add_case(court, party_ids=(husband, wife))
        earlier.judge_id = second  # heavier: least_loaded alone would pick first
        db.session.flush()
        later = add_case(court, "024", party_ids=(wife, husband))
        assert services.allocate(db.session, later) == second
        (record,) = records_of(later.id)
        assert record.kind == AllocationKind.RELATED
        assert record.params["related_case_id"] == earlier.id
        # Another pair of parties is not related.
        unrelated = add_case(court, "024", party_ids=(wife, new_party()))
        assert services.allocate(db.session, unrelated) == first
        db.session.rollback()
