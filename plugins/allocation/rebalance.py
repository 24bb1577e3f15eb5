"""Rebalancing: hand an absent judge's open cases to the rest of the bench.

When a judge goes on long leave or leaves the service, the registrar first
previews where each open case would go, then applies the move. Both steps use
the same plan: the cases in registration order, and for each the judge the
configured strategy picks among the *other* judges eligible for it, with the
loads updated case by case as the plan goes on (so one plan never piles every
case on the judge who was lightest at the start).

Applying writes one ``rebalance`` record per moved case to the court's hash
chain, with the candidates and loads of that moment, and fires
``judge_assigned`` per case after commit. A case for which nobody else is
eligible stays with its judge and is listed as such.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from plugins.allocation import services
from plugins.allocation.models import AllocationKind, AllocationRecord
from plugins.allocation.strategies import Candidate, DrawContext, as_choice
from portal.models import Court, Judge, utcnow

logger = logging.getLogger(__name__)

#: Roles that may apply a rebalance (the registrars of the judge's court).
REBALANCE_ROLES = frozenset({"Registrar", "Chief Registrar"})

REASON_CODE = "pengimbangan_semula"


class RebalanceRefused(services.AllocationError):
    """The officer may not apply a rebalance."""


@dataclass
class Move:
    """One open case of the judge and where the plan sends it.

    ``to_judge_id`` is ``None`` when no other judge is eligible; the case then
    stays where it is. ``candidates`` are the other eligible judges with their
    loads at the moment of this case's choice.
    """

    case_id: int
    case_number: str
    court_id: int
    case_type: str
    weight: int
    strategy: str | None
    to_judge_id: int | None
    candidates: list[dict[str, int]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    random_value: int | None = None
    note: str = ""


def open_cases(session: Session, judge_id: int) -> list[Any]:
    """The judge's open cases, oldest registration first."""
    from plugins.cases.models import Case, CaseStatus

    return list(
        session.scalars(
            sa.select(Case)
            .where(Case.judge_id == judge_id, Case.status.in_(sorted(CaseStatus.OPEN)))
            .order_by(Case.registered_at, Case.id)
        )
    )


def _plan(session: Session, judge_id: int, on: date) -> list[Move]:
    """Choose a new judge for every open case, updating loads as it goes.

    Reads only. A strategy that draws at random draws here, so a preview and
    the later apply may name different judges for ``balanced_draw``.
    """
    config = services.settings()
    strategies = services.runtime().strategies
    loads: dict[int, int] = {}
    last_drawn: dict[tuple[int, str], int | None] = {}
    moves: list[Move] = []
    courts: dict[int, Court] = {}
    for case in open_cases(session, judge_id):
        court = courts.setdefault(case.court_id, session.get(Court, case.court_id))
        code = case.case_type.code
        weight = config.weight(code)
        eligible, excluded = services.eligibility(
            session,
            court_id=case.court_id,
            category=case.case_type.category,
            level=court.level,
            on=on,
            party_ids=services._party_ids(session, case.id),
        )
        others = [j for j in eligible if j != judge_id]
        move = Move(case.id, case.case_number, case.court_id, code, weight, None, None)
        moves.append(move)
        if not others:
            move.note = "Tiada hakim lain yang layak; kes kekal"
            continue
        missing = [j for j in others if j not in loads]
        loads.update(services.weighted_loads(session, missing, config))
        name = config.strategy_for(court.code, code)
        key = (case.court_id, name)
        if key not in last_drawn:
            last_drawn[key] = services._last_drawn(session, case.court_id, name)
        context = DrawContext(
            court_id=case.court_id,
            case_type_code=code,
            weight=weight,
            margin=config.margin,
            last_judge_id=last_drawn[key],
            case_id=case.id,
        )
        candidates = sorted(
            (Candidate(j, loads[j]) for j in others),
            key=lambda c: (c.load, c.judge_id),
        )
        move.strategy = name
        move.candidates = [{"judge_id": c.judge_id, "load": c.load} for c in candidates]
        move.params = {
            "case_type": code,
            "weight": weight,
            "margin": config.margin,
            "last_judge_id": last_drawn[key],
            "on": on.isoformat(),
            "excluded": excluded,
            "previous_judge_id": judge_id,
        }
        strategy = strategies.get(name)
        try:
            if strategy is None:
                raise LookupError(f"strategy {name!r} is not registered")
            choice = as_choice(strategy(candidates, context))
        except Exception as exc:
            logger.warning(
                "rebalance: strategy %s failed for case %s id=%s: %r",
                name,
                case.case_number,
                case.id,
                exc,
            )
            move.note = f"Strategi {name} gagal; kes kekal"
            continue
        if choice.judge_id not in others:
            logger.warning(
                "rebalance: strategy %s chose ineligible judge=%s for case id=%s",
                name,
                choice.judge_id,
                case.id,
            )
            move.note = f"Strategi {name} memilih hakim yang tidak layak; kes kekal"
            continue
        move.to_judge_id = choice.judge_id
        move.random_value = choice.random_value
        loads[choice.judge_id] += weight
        last_drawn[key] = choice.judge_id
    return moves


def preview_rebalance(
    session: Session, judge_id: int, *, on: date | None = None
) -> list[Move]:
    """Where each open case of the judge would go; writes nothing.

    ``on`` is the date eligibility is judged on (leave, by default today in
    Malaysia time).
    """
    moves = _plan(session, judge_id, on or services.local_date(utcnow()))
    logger.info(
        "rebalance preview: judge=%s cases=%s movable=%s",
        judge_id,
        len(moves),
        sum(1 for m in moves if m.to_judge_id is not None),
    )
    return moves


def check_may_rebalance(user: Any) -> None:
    """Refuse unless ``user`` is a registrar or the chief registrar."""
    roles = {role.name for role in getattr(user, "roles", [])}
    if not roles & REBALANCE_ROLES:
        raise RebalanceRefused(
            "user", f"only {' or '.join(sorted(REBALANCE_ROLES))} may rebalance"
        )


def apply_rebalance(
    judge_id: int,
    user: Any,
    *,
    reason_text: str = "",
    on: date | None = None,
) -> list[AllocationRecord]:
    """Move every movable open case of the judge in one transaction, and commit.

    The plan is made again under the courts' allocation locks, so it reflects
    the loads at the moment of writing. One ``rebalance`` record per moved
    case; ``judge_assigned`` fires per case only if the whole move commits.
    """
    from flask_appbuilder.security.sqla.models import User

    from portal.extensions import db
    from portal.jobs import emit

    session = db.session
    officer = session.get(User, getattr(user, "id", None)) if user else None
    if officer is None:
        raise RebalanceRefused("user", "a rebalance needs a named officer")
    check_may_rebalance(officer)
    judge = session.get(Judge, judge_id)
    if judge is None:
        raise services.AllocationError("judge_id", "is not a judge")
    text = (reason_text or "").strip() or "Pengimbangan semula kes hakim"
    records: list[AllocationRecord] = []
    try:
        court_ids = _court_ids_of(session, open_cases(session, judge_id))
        for court_id in court_ids:
            services.lock_court(session, court_id)
        moves = _plan(session, judge_id, on or services.local_date(utcnow()))
        cases = {c.id: c for c in open_cases(session, judge_id)}
        for move in moves:
            if move.to_judge_id is None:
                continue
            records.append(
                services.append_record(
                    session,
                    case_id=move.case_id,
                    court_id=move.court_id,
                    kind=AllocationKind.REBALANCE,
                    strategy=move.strategy,
                    candidates=move.candidates,
                    params=move.params,
                    random_value=move.random_value,
                    chosen_judge_id=move.to_judge_id,
                    reason_code=REASON_CODE,
                    reason_text=text[:1000],
                    by_user_id=officer.id,
                )
            )
            cases[move.case_id].judge_id = move.to_judge_id
            emit("judge_assigned", case_id=move.case_id, judge_id=move.to_judge_id)
        session.commit()
    except Exception:
        session.rollback()
        raise
    logger.info(
        "rebalance applied: judge=%s moved=%s kept=%s by user=%s",
        judge_id,
        len(records),
        len(moves) - len(records),
        officer.id,
    )
    return records


def _court_ids_of(session: Session, cases: Sequence[Any]) -> list[int]:
    """Courts to lock, sorted so two rebalances never lock in opposite order."""
    return sorted({case.court_id for case in cases})
