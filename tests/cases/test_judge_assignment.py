"""The registration asks the allocation hook for a judge, inside its transaction."""

from __future__ import annotations

import sqlalchemy as sa

from plugins.cases import services
from portal import hookimpl
from portal.extensions import db
from portal.models import Judge
from tests.cases.conftest import act_as, registration
from tests.conftest import make_officer
from tests.events import recording


class _FixedJudge:
    """A stand-in allocation plugin that always answers the same judge."""

    def __init__(self, judge_id: int) -> None:
        self.judge_id = judge_id
        self.asked: list[int] = []

    @hookimpl
    def spkms_assign_judge(self, session, case_id: int) -> int | None:
        self.asked.append(case_id)
        return self.judge_id


def test_the_judge_the_hook_answers_is_recorded_and_announced(app_ctx) -> None:
    clerk = make_officer(app_ctx, "Clerk", ("11001",))
    judge_user = make_officer(app_ctx, "Judge", ("11001",), judge=True)
    judge_id = db.session.scalar(
        sa.select(Judge.id).where(Judge.user_id == judge_user.id)
    )
    manager = app_ctx.extensions["spkms"].plugin_manager
    fixed = _FixedJudge(judge_id)
    manager.register(fixed, name="fixed-judge-test")
    try:
        act_as(app_ctx, clerk)
        with recording(app_ctx) as recorder:
            case = services.register_case(
                registration("11001", user=clerk, from_court="11001")
            )
    finally:
        manager.unregister(name="fixed-judge-test")
    assert fixed.asked == [case.id]
    assert case.judge_id == judge_id
    assert {"case_id": case.id, "judge_id": judge_id} in recorder.of("judge_assigned")
