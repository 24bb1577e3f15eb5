"""The built-in strategies: balance, rotation, and a draw that can be replayed."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from plugins.allocation import services
from plugins.allocation.cli import allocation_command
from plugins.allocation.models import AllocationKind, JudgeLeave
from plugins.allocation.strategies import (
    RANDOM_BOUND,
    Candidate,
    DrawContext,
    balanced_draw,
)
from portal.extensions import db
from tests.allocation.conftest import (
    add_case,
    allocation_settings,
    new_court,
    new_judge,
    records_of,
)

#: Case types in the mix: contested divorce weighs 3, the others 1.
MIX = ("055", "010", "018", "024", "055")


def test_1000_cases_least_loaded_over_unequal_leave_stay_balanced(app, backend) -> None:
    # The full thousand on PostgreSQL, the production store; SQLite runs the
    # same rule on fewer cases to keep the suite short (Continuum's flush cost
    # dominates, not the allocation).
    count = 1000 if backend == "postgresql" else 300
    court = new_court(app)
    judges = [new_judge(app, court) for _ in range(6)]
    # Days (from the first) each judge is away: unequal, overlapping leave.
    leave = {
        judges[0]: (0, 29),
        judges[1]: (10, 19),
        judges[2]: (50, 54),
        judges[5]: (80, 99),  # still away at the end: left out of the check
    }
    start = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    with allocation_settings(app, strategy="least_loaded"), app.app_context():
        first_day = services.local_date(start)
        for judge_id, (begin, end) in leave.items():
            db.session.add(
                JudgeLeave(
                    judge_id=judge_id,
                    starts_on=first_day + timedelta(days=begin),
                    ends_on=first_day + timedelta(days=end),
                    reason="Cuti",
                )
            )
        weights = services.settings()
        loads = dict.fromkeys(judges, 0)
        types = itertools.cycle(MIX)
        for number in range(count):
            code = next(types)
            case = add_case(
                court,
                code,
                # Spread over 100 days whatever the count, so the leave above
                # always covers the same share of the period.
                registered_at=start + timedelta(days=number * 100 // count),
            )
            chosen = services.allocate(db.session, case)
            (record,) = records_of(case.id)
            lowest = min(c["load"] for c in record.candidates)
            assert chosen is not None
            assert {"judge_id": chosen, "load": lowest} in record.candidates
            loads[chosen] += weights.weight(code)
            # Keep the session small: Continuum walks it on every flush.
            db.session.expunge_all()
        eligible_at_end = judges[:5]
        assert services.spread(loads, eligible_at_end) <= max(
            weights.weight(code) for code in MIX
        ), loads
        assert services.weighted_loads(db.session, judges, weights) == loads
        assert services.verify_chain(db.session, record.court_id) is None
        db.session.rollback()


def test_round_robin_rotates_strictly_per_court(app) -> None:
    court = new_court(app)
    judges = sorted(new_judge(app, court) for _ in range(3))
    with allocation_settings(app, strategy="round_robin"), app.app_context():
        chosen = [services.allocate(db.session, add_case(court)) for _ in range(7)]
        assert chosen == [*judges, *judges, judges[0]]
        # A judge on leave is skipped; the rotation goes on after them.
        today = services.local_date(datetime.now(UTC))
        db.session.add(
            JudgeLeave(
                judge_id=judges[1], starts_on=today, ends_on=today, reason="Cuti"
            )
        )
        assert services.allocate(db.session, add_case(court)) == judges[2]
        assert services.allocate(db.session, add_case(court)) == judges[0]
        db.session.rollback()


def test_balanced_draw_is_recorded_and_replays(app) -> None:
    court = new_court(app)
    judges = [new_judge(app, court) for _ in range(4)]
    with (
        allocation_settings(app, strategy="balanced_draw", margin=3),
        app.app_context(),
    ):
        drawn = set()
        for _ in range(24):
            case = add_case(court, "010")
            chosen = services.allocate(db.session, case)
            (record,) = records_of(case.id)
            assert record.kind == AllocationKind.DRAW
            assert record.random_value is not None
            assert services.replay(record) == chosen == record.chosen_judge_id
            lowest = min(c["load"] for c in record.candidates)
            assert {c["judge_id"]: c["load"] for c in record.candidates}[
                chosen
            ] <= lowest + 3
            drawn.add(chosen)
        loads = services.weighted_loads(db.session, judges, services.settings())
        assert services.spread(loads) <= 3 + 1
        assert len(drawn) > 1
        db.session.rollback()


def test_balanced_draw_maps_the_random_value_onto_the_pool() -> None:
    candidates = [Candidate(7, 0), Candidate(3, 2), Candidate(9, 5)]
    context = DrawContext(court_id=1, case_type_code="055", weight=3, margin=2)
    pool = [3, 7]  # judge 9 is more than the margin above the lowest
    for value, expected in ((0, 3), (RANDOM_BOUND // 2 - 1, 3), (RANDOM_BOUND - 1, 7)):
        choice = balanced_draw(
            candidates, DrawContext(**{**context.__dict__, "random_value": value})
        )
        assert (choice.judge_id, choice.random_value) == (expected, value)
        assert choice.judge_id in pool


def test_simulate_compares_strategies_without_writing(app) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        allocation_command,
        [
            "simulate",
            "--cases",
            "300",
            "--strategy",
            "least_loaded",
            "--judges",
            "5",
            "--seed",
            "7",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "hakim 4 (cuti): 0" in result.output
    spread = int(result.output.strip().splitlines()[-1].split(":")[1])
    assert spread <= 3
    unknown = runner.invoke(
        allocation_command, ["simulate", "--cases", "5", "--strategy", "tiada"]
    )
    assert unknown.exit_code != 0
    assert "unknown strategy 'tiada'" in unknown.output
