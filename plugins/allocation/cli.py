"""``spkms allocation simulate``: compare strategies before switching, no writes."""

from __future__ import annotations

import logging
import random

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

logger = logging.getLogger(__name__)


@click.group("allocation")
def allocation_command() -> None:
    """Allocation of cases to judges."""


@allocation_command.command("simulate")
@click.option("--cases", "count", type=click.IntRange(1, 1_000_000), required=True)
@click.option("--strategy", "name", required=True, help="a registered strategy")
@click.option("--court", "court_code", help="use this court's judges and loads")
@click.option("--judges", "judge_count", type=click.IntRange(1, 500), default=6)
@click.option("--seed", type=int, default=None, help="repeatable case types")
@with_appcontext
def simulate_command(
    count: int, name: str, court_code: str | None, judge_count: int, seed: int | None
) -> None:
    """Allocate COUNT generated cases with a strategy; print load per judge.

    With --court the court's current judges start from their real open loads
    and those on leave today take nothing; otherwise --judges generated
    judges start empty and every fourth is on leave. Nothing is saved.
    """
    from plugins.allocation import services
    from plugins.cases.models import CaseType
    from portal.extensions import db
    from portal.models import Court, utcnow

    runtime = services.runtime()
    strategy = runtime.strategies.get(name)
    if strategy is None:
        raise click.BadParameter(
            f"unknown strategy {name!r}; known: {sorted(runtime.strategies)}",
            param_hint="--strategy",
        )
    level = "rendah"
    start: dict[int, int] = {}
    if court_code:
        court = db.session.scalar(sa.select(Court).where(Court.code == court_code))
        if court is None:
            raise click.BadParameter(f"no court {court_code!r}", param_hint="--court")
        level = court.level
        today = services.local_date(utcnow())
        ids = services.judges_of_court(db.session, court.id)
        eligible, _excluded = services.eligibility(
            db.session,
            court_id=court.id,
            category="mal",
            level=level,
            on=today,
            party_ids=[],
        )
        judges = [services.SimulatedJudge(j, j not in eligible) for j in ids]
        start = services.weighted_loads(db.session, ids, runtime.settings)
    else:
        judges = [
            services.SimulatedJudge(n, on_leave=n % 4 == 0)
            for n in range(1, judge_count + 1)
        ]
    if not any(not j.on_leave for j in judges):
        raise click.ClickException("no judge is available to allocate to")
    codes = list(
        db.session.scalars(
            sa.select(CaseType.code).where(CaseType.active, CaseType.level == level)
        )
    ) or ["000"]
    rng = random.Random(seed)  # noqa: S311 (case types of a simulation)
    cases = [rng.choice(codes) for _ in range(count)]
    loads = services.simulate(
        strategy, judges, cases, runtime.settings, start_loads=start
    )
    db.session.rollback()
    for judge in judges:
        note = " (cuti)" if judge.on_leave else ""
        click.echo(f"hakim {judge.judge_id}{note}: {loads[judge.judge_id]}")
    working = [j.judge_id for j in judges if not j.on_leave]
    click.echo(f"jurang: {services.spread(loads, working)}")
