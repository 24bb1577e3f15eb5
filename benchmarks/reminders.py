"""How long the daily reminder run takes over many open cases.

    python -m benchmarks.reminders --cases 100000 --backend postgresql

Fills a fresh database with open cases registered over the last two years
(bulk inserts, no versioning), then times: the first run (which warns most
of them), a second run the same day (which finds nothing new, the everyday
case), and two baselines measured in the same run: counting the open cases
(the least any run must do) and the per-case Python loop the engine avoids.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from benchmarks.common import fresh_portal, table, timed


def fill(count: int, today: date) -> None:
    """``count`` open cases at every court, registered over two years."""
    from plugins.cases.models import Case, CaseStatus, CaseType
    from portal.extensions import db
    from portal.models import Court

    courts = list(db.session.scalars(sa.select(Court.id)))
    types = list(db.session.scalars(sa.select(CaseType.id).limit(20)))
    rng = random.Random(7)  # noqa: S311 (repeatable test data, not secrets)
    start = datetime.combine(today, datetime.min.time(), UTC) - timedelta(days=730)
    batch: list[dict] = []
    for n in range(count):
        court = rng.choice(courts)
        batch.append(
            {
                "case_number": f"B{n:08d}",
                "case_type_id": rng.choice(types),
                "year": 2026,
                "title": "Kes penanda aras",
                "status": rng.choice(sorted(CaseStatus.OPEN)),
                "registered_at": start + timedelta(minutes=rng.randrange(730 * 1440)),
                "registered_from_id": court,
                "court_id": court,
                "confidential": False,
                "fee_due_sen": 0,
            }
        )
        if len(batch) == 10_000:
            db.session.execute(sa.insert(Case.__table__), batch)
            batch.clear()
    if batch:
        db.session.execute(sa.insert(Case.__table__), batch)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # as autovacuum would, after a load
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def naive_loop(today: date) -> int:
    """The approach the engine avoids: load every open case, decide in Python."""
    from plugins.cases.models import Case, CaseStatus
    from portal.extensions import db
    from portal.reminders.engine import current_reminders
    from portal.timezone import local_date

    calendar = current_reminders().calendar
    due = 0
    open_cases = sa.select(Case).where(Case.status.in_(sorted(CaseStatus.OPEN)))
    for case in db.session.scalars(open_cases):
        deadline = calendar.add(local_date(case.registered_at), 180, "calendar")
        due += deadline - timedelta(days=30) <= today
    return due


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument(
        "--backend", choices=("postgresql", "sqlite"), default="postgresql"
    )
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    today = date(2026, 12, 3)
    from plugins.cases.models import Case, CaseStatus
    from portal.extensions import db
    from portal.reminders.engine import run_reminders

    with fresh_portal(args.backend) as app, app.app_context():
        fill(args.cases, today)
        count_s, open_cases = timed(
            lambda: db.session.scalar(
                sa.select(sa.func.count(Case.id)).where(
                    Case.status.in_(sorted(CaseStatus.OPEN))
                )
            ),
            repeat=5,
        )
        loop_s, _ = timed(lambda: naive_loop(today))
        db.session.rollback()
        first_s, first = timed(lambda: run_reminders(today))
        again_s, again = timed(lambda: run_reminders(today), repeat=3)
    figures = {
        "backend": args.backend,
        "open_cases": open_cases,
        "first_run_s": round(first_s, 3),
        "first_run_warned": first.total,
        "first_run_messages": first.messages,
        "repeat_run_s": round(again_s, 3),
        "repeat_run_warned": again.total,
        "count_open_cases_s": round(count_s, 4),
        "naive_python_loop_s": round(loop_s, 3),
    }
    print(
        table(
            [
                ("what", "figure", "compared with"),
                (
                    f"first run, {open_cases} open cases",
                    f"{first_s:.2f} s ({first.total} warned)",
                    f"{first_s / loop_s:.2f}x the per-case Python loop",
                ),
                (
                    "repeat run the same day",
                    f"{again_s:.2f} s ({again.total} warned)",
                    f"{again_s / count_s:.1f}x counting the open cases",
                ),
                ("per-case Python loop (baseline)", f"{loop_s:.2f} s", "-"),
                ("count of open cases (baseline)", f"{count_s * 1000:.1f} ms", "-"),
            ]
        )
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(figures, out, indent=2)


if __name__ == "__main__":
    main()
