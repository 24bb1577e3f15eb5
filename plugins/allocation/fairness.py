"""Fairness report: each judge's share of a court's draws against the expected.

The rule, kept simple so anyone can check it by hand from the records:

* Counted are the court's records of kind ``draw`` and ``related`` whose time
  falls in the period (from the first day 00:00 to the end of the last day,
  Malaysia time). Overrides and rebalances are decisions by officers, not
  draws, and are left out.
* The judges compared are those who sit at or cover the court today and are
  not on leave for the whole period, plus any judge who received a counted
  record in the period (a judge moved away since still appears).
* Each of those judges is expected to receive an equal share,
  ``1 / number of judges``. The difference is the actual share minus the
  expected one, in percentage points.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from plugins.allocation import services
from plugins.allocation.models import AllocationKind, AllocationRecord, JudgeLeave
from portal.exports import to_csv
from portal.models import Judge

logger = logging.getLogger(__name__)

#: Record kinds that count as draws in the report.
COUNTED_KINDS = (AllocationKind.DRAW, AllocationKind.RELATED)


@dataclass(frozen=True)
class FairnessRow:
    """One judge's draws and shares (shares as fractions of one)."""

    judge_id: int
    judge: str
    draws: int
    share: float
    expected: float

    @property
    def difference(self) -> float:
        return self.share - self.expected


@dataclass(frozen=True)
class FairnessReport:
    """The report of one court over one period."""

    court_id: int
    start: date
    end: date
    total: int
    rows: list[FairnessRow]


def _utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period's first and past-the-last instants, in UTC."""
    from portal.app import spkms

    zone = ZoneInfo(spkms().profile.timezone)
    first = datetime.combine(start, time.min, tzinfo=zone)
    after = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    return first.astimezone(UTC), after.astimezone(UTC)


def _away_whole_period(
    session: Session, judge_ids: list[int], start: date, end: date
) -> set[int]:
    """Judges with one leave covering every day of the period."""
    # TODO(simple rule): two back-to-back leaves that together cover the
    # period are not joined, so such a judge still counts as expected.
    if not judge_ids:
        return set()
    return set(
        session.scalars(
            sa.select(JudgeLeave.judge_id).where(
                JudgeLeave.judge_id.in_(judge_ids),
                JudgeLeave.starts_on <= start,
                JudgeLeave.ends_on >= end,
            )
        )
    )


def fairness_report(
    session: Session, court_id: int, start: date, end: date
) -> FairnessReport:
    """Each judge's share of the court's draws in the period, and the expected."""
    if end < start:
        raise services.AllocationError("end", "must not be before the start")
    first, after = _utc_bounds(start, end)
    counts: dict[int, int] = dict(
        session.execute(
            sa.select(AllocationRecord.chosen_judge_id, sa.func.count())
            .where(
                AllocationRecord.court_id == court_id,
                AllocationRecord.kind.in_(COUNTED_KINDS),
                AllocationRecord.chosen_judge_id.is_not(None),
                AllocationRecord.at >= first,
                AllocationRecord.at < after,
            )
            .group_by(AllocationRecord.chosen_judge_id)
        ).all()
    )
    bench = services.judges_of_court(session, court_id)
    away = _away_whole_period(session, bench, start, end)
    judge_ids = sorted({j for j in bench if j not in away} | set(counts))
    judges = {
        j.id: str(j)
        for j in session.scalars(sa.select(Judge).where(Judge.id.in_(judge_ids)))
    }
    total = sum(counts.values())
    expected = 1 / len(judge_ids) if judge_ids else 0.0
    rows = [
        FairnessRow(
            judge_id,
            judges.get(judge_id, f"Hakim {judge_id}"),
            counts.get(judge_id, 0),
            counts.get(judge_id, 0) / total if total else 0.0,
            expected,
        )
        for judge_id in judge_ids
    ]
    logger.info(
        "fairness report: court=%s %s..%s draws=%s judges=%s",
        court_id,
        start,
        end,
        total,
        len(rows),
    )
    return FairnessReport(court_id, start, end, total, rows)


def as_csv(report: FairnessReport) -> str:
    """The report as CSV with Malay headers; shares in percent, two decimals."""
    header = [
        "id_hakim",
        "hakim",
        "cabutan",
        "bahagian_peratus",
        "jangkaan_peratus",
        "beza_mata_peratus",
    ]
    rows = [
        [
            row.judge_id,
            row.judge,
            row.draws,
            f"{100 * row.share:.2f}",
            f"{100 * row.expected:.2f}",
            f"{100 * row.difference:.2f}",
        ]
        for row in report.rows
    ]
    return to_csv(header, rows)
