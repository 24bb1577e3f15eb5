"""Allocation rules: eligibility, the draw, its record, overrides, the chain.

Free of request objects: the registration hook, screens, the CLI and tests
call these functions. The published rule, in order:

1. Eligible are the active judges who sit at the case's court (home court)
   or cover it, hear its category (mal / jenayah) and level, are not on leave
   on the registration date (Malaysia date) and have no recorded conflict
   with any party of the case. Nobody eligible: the case stays unassigned,
   the court's registrars are warned, and registration goes on.
2. A related case goes to the judge of the earlier one when that judge is
   eligible. Related means: an earlier case of the same court whose set of
   parties is exactly the new case's set (whatever their roles), the most
   recent such case that has a judge.
3. Otherwise the strategy the profile names for the court and case type
   chooses among the eligible judges, given their weighted open loads.

Every outcome (including "unassigned") is appended to the court's hash
chain of ``AllocationRecord`` rows. Allocations of one court are serialized
(a PostgreSQL advisory lock per court; SQLite's single writer already
serializes), so concurrent registrations see each other's loads.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from plugins.allocation.models import (
    GENESIS_HASH,
    AllocationKind,
    AllocationRecord,
    JudgeCompetence,
    JudgeConflict,
    JudgeCoverage,
    JudgeLeave,
)
from plugins.allocation.profile import AllocationSettings, read_settings
from plugins.allocation.strategies import (
    BUILTIN_STRATEGIES,
    Candidate,
    Choice,
    DrawContext,
    Strategy,
    as_choice,
)
from portal import timezone
from portal.models import Court, Judge
from portal.settings import ConfigError

logger = logging.getLogger(__name__)

#: First key of PostgreSQL's two-key advisory lock: "allocation", per court.
ADVISORY_LOCK_NAMESPACE = 7101

#: The one role that may override an allocation.
OVERRIDE_ROLE = "Allocation Override"
#: Roles that keep weights and eligibility; none of them may also override.
CONFIGURING_ROLES = frozenset(
    {"Admin", "Allocation Admin", "Registrar", "Chief Registrar"}
)

#: Reasons an allocation may be overridden for (code -> screen label).
OVERRIDE_REASONS = {
    "konflik_kepentingan": "Konflik kepentingan yang belum direkodkan",
    "cuti_panjang": "Hakim bercuti panjang atau bertukar",
    "kepakaran": "Kes memerlukan kepakaran khusus",
    "kes_berkaitan": "Berkaitan kes terdahulu hakim lain",
    "arahan_ketua_hakim": "Arahan Ketua Hakim Syarie",
    "pembetulan": "Pembetulan kesilapan peruntukan",
}

#: Why a judge was left out, as written in a record's ``params.excluded``.
EXCLUSION_LABELS = {
    "cuti": "bercuti",
    "konflik": "konflik dengan pihak",
    "kategori": "tidak mendengar kategori ini",
    "peringkat": "tidak mendengar peringkat ini",
}


class AllocationError(ValueError):
    """Bad input for an allocation rule; ``field`` and ``rule`` say what and why."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


class OverrideRefused(AllocationError):
    """The officer may not override allocations."""


# --- registry and settings --------------------------------------------------


@dataclass(frozen=True)
class Runtime:
    """The app's strategies (every plugin's) and ``[allocation]`` settings."""

    settings: AllocationSettings
    strategies: dict[str, Strategy]


EXTENSION_KEY = "spkms_allocation"


def build_runtime(hook: Any, profile: Any) -> Runtime:
    """Merge every plugin's strategies and read the profile; stop on a clash."""
    strategies: dict[str, Strategy] = {}
    for answer in hook.spkms_allocation_strategies():
        for name, function in (answer or {}).items():
            if name in strategies:
                raise ConfigError(
                    "spkms_allocation_strategies",
                    f"strategy {name!r} is registered by two plugins",
                )
            if not callable(function):
                raise ConfigError(
                    "spkms_allocation_strategies", f"strategy {name!r} is not callable"
                )
            strategies[name] = function
    return Runtime(read_settings(profile, strategies), strategies)


def runtime() -> Runtime:
    """The running app's allocation runtime (built on first use)."""
    found = current_app.extensions.get(EXTENSION_KEY)
    if found is None:
        from portal.app import spkms

        state = spkms()
        found = build_runtime(state.hook, state.profile)
        current_app.extensions[EXTENSION_KEY] = found
    return found


def settings() -> AllocationSettings:
    return runtime().settings


# --- eligibility and load ---------------------------------------------------


def local_date(moment: datetime) -> date:
    """The Malaysia (state time zone) date of a UTC moment."""
    return timezone.local_date(moment)


def judges_of_court(session: Session, court_id: int) -> list[int]:
    """Active judges who sit at (home court) or cover the court, by id."""
    covering = sa.select(JudgeCoverage.judge_id).where(
        JudgeCoverage.covers_court_id == court_id
    )
    return list(
        session.scalars(
            sa.select(Judge.id)
            .where(
                Judge.active, sa.or_(Judge.court_id == court_id, Judge.id.in_(covering))
            )
            .order_by(Judge.id)
        )
    )


def eligibility(
    session: Session,
    *,
    court_id: int,
    category: str,
    level: str,
    on: date,
    party_ids: Sequence[int],
) -> tuple[list[int], list[dict[str, Any]]]:
    """The eligible judges' ids, and the others of the court with the reason."""
    judge_ids = judges_of_court(session, court_id)
    if not judge_ids:
        return [], []
    why: dict[int, str] = {}
    for competence in session.scalars(
        sa.select(JudgeCompetence).where(JudgeCompetence.judge_id.in_(judge_ids))
    ):
        refusal = competence.hears(category, level)
        if refusal:
            why[competence.judge_id] = refusal
    for judge_id in session.scalars(
        sa.select(JudgeLeave.judge_id).where(
            JudgeLeave.judge_id.in_(judge_ids),
            JudgeLeave.starts_on <= on,
            JudgeLeave.ends_on >= on,
        )
    ):
        why.setdefault(judge_id, "cuti")
    if party_ids:
        for judge_id in session.scalars(
            sa.select(JudgeConflict.judge_id).where(
                JudgeConflict.judge_id.in_(judge_ids),
                JudgeConflict.party_id.in_(list(party_ids)),
            )
        ):
            why.setdefault(judge_id, "konflik")
    eligible = [judge_id for judge_id in judge_ids if judge_id not in why]
    excluded = [{"judge_id": j, "why": why[j]} for j in sorted(why)]
    return eligible, excluded


def weighted_loads(
    session: Session, judge_ids: Sequence[int], weights: AllocationSettings
) -> dict[int, int]:
    """Each judge's weighted open caseload, over every court they hear at."""
    from plugins.cases.models import Case, CaseStatus, CaseType

    loads = dict.fromkeys(judge_ids, 0)
    if not judge_ids:
        return loads
    rows = session.execute(
        sa.select(Case.judge_id, CaseType.code, sa.func.count())
        .join(CaseType, CaseType.id == Case.case_type_id)
        .where(
            Case.judge_id.in_(list(judge_ids)),
            Case.status.in_(sorted(CaseStatus.OPEN)),
        )
        .group_by(Case.judge_id, CaseType.code)
    )
    for judge_id, code, count in rows:
        loads[judge_id] += weights.weight(code) * count
    return loads


def lock_court(session: Session, court_id: int) -> None:
    """Serialize allocations of one court until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock keyed by the court. SQLite
    allows one writer at a time and the registration has already written
    (its running number), so it already holds the database lock.
    """
    # SQLite needs no lock here: every transaction there starts with BEGIN
    # IMMEDIATE (portal.database), so the chain's end is read under the lock.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.text("SELECT pg_advisory_xact_lock(:namespace, :court)"),
            {"namespace": ADVISORY_LOCK_NAMESPACE, "court": court_id},
        )


# --- the record -------------------------------------------------------------


def append_record(session: Session, **values: Any) -> AllocationRecord:
    """Add one record to its court's chain and flush it (one at a time)."""
    record = AllocationRecord(**values)
    session.add(record)
    session.flush()
    logger.info(
        "allocation record id=%s case=%s court=%s kind=%s judge=%s reason=%s",
        record.id,
        record.case_id,
        record.court_id,
        record.kind,
        record.chosen_judge_id,
        record.reason_code,
    )
    return record


def verify_chain(session: Session, court_id: int | None = None) -> int | None:
    """The id of the first record whose hash or link is wrong, or ``None``.

    Walks each court's chain in id order, recomputing every hash from the
    stored fields and checking each record points at its predecessor, so an
    altered record (its own hash fails) and a removed one (its successor's
    link fails) are both found.
    """
    statement = sa.select(AllocationRecord).order_by(
        AllocationRecord.court_id, AllocationRecord.id
    )
    if court_id is not None:
        statement = statement.where(AllocationRecord.court_id == court_id)
    broken: list[int] = []
    expected: dict[int, str] = {}
    for record in session.execute(statement.execution_options(yield_per=500)).scalars():
        previous = expected.get(record.court_id, GENESIS_HASH)
        if record.prev_hash != previous or record.compute_hash() != record.hash:
            broken.append(record.id)
            logger.warning(
                "allocation chain broken at record id=%s court=%s",
                record.id,
                record.court_id,
            )
            expected[record.court_id] = record.hash
            continue
        expected[record.court_id] = record.hash
    return min(broken) if broken else None


def replay(record: AllocationRecord) -> int | None:
    """Recompute a draw's judge from the record alone; it must match ``chosen``.

    Uses the strategy named in the record with the recorded candidates,
    parameters and random value. Only draws can be replayed: the other kinds
    record a decision, not a computation.
    """
    if record.kind != AllocationKind.DRAW or not record.strategy:
        raise AllocationError("kind", f"a {record.kind} record is not a draw")
    strategy = runtime().strategies.get(record.strategy)
    if strategy is None:
        raise AllocationError("strategy", f"{record.strategy!r} is not registered")
    params = record.params or {}
    candidates = [
        Candidate(int(c["judge_id"]), int(c["load"])) for c in record.candidates
    ]
    context = DrawContext(
        court_id=record.court_id,
        case_type_code=params.get("case_type", ""),
        weight=int(params.get("weight", 1)),
        margin=int(params.get("margin", 0)),
        last_judge_id=params.get("last_judge_id"),
        case_id=record.case_id,
        random_value=record.random_value,
    )
    return as_choice(strategy(candidates, context)).judge_id


# --- allocation at registration ---------------------------------------------


def _party_ids(session: Session, case_id: int) -> list[int]:
    from plugins.cases.models import CaseParty

    return sorted(
        set(
            session.scalars(
                sa.select(CaseParty.party_id).where(CaseParty.case_id == case_id)
            )
        )
    )


def related_judge(
    session: Session, case: Any, party_ids: Sequence[int]
) -> tuple[int, int] | None:
    """``(earlier case id, its judge id)`` of the related case, if there is one."""
    from plugins.cases.models import Case, CaseParty

    if not party_ids:
        return None
    shared = (
        sa.select(CaseParty.case_id)
        .where(CaseParty.party_id.in_(list(party_ids)))
        .group_by(CaseParty.case_id)
        .having(sa.func.count(sa.distinct(CaseParty.party_id)) == len(party_ids))
    )
    for earlier_id, judge_id in session.execute(
        sa.select(Case.id, Case.judge_id)
        .where(
            Case.court_id == case.court_id,
            Case.id != case.id,
            Case.judge_id.is_not(None),
            Case.id.in_(shared),
        )
        .order_by(Case.registered_at.desc(), Case.id.desc())
        .limit(5)
    ):
        if _party_ids(session, earlier_id) == list(party_ids):
            return earlier_id, judge_id
    return None


def _last_drawn(session: Session, court_id: int, strategy: str) -> int | None:
    return session.scalar(
        sa.select(AllocationRecord.chosen_judge_id)
        .where(
            AllocationRecord.court_id == court_id,
            AllocationRecord.kind == AllocationKind.DRAW,
            AllocationRecord.strategy == strategy,
            AllocationRecord.chosen_judge_id.is_not(None),
        )
        .order_by(AllocationRecord.id.desc())
        .limit(1)
    )


def allocate(
    session: Session, case: Any, *, by_user_id: int | None = None
) -> int | None:
    """Choose and record the judge of a flushed, unassigned case; set it on the case.

    Returns the judge id, or ``None`` when the case stays unassigned (then the
    record says why and the court's registrars are warned). The caller holds
    the transaction; ``lock_court`` is taken here.
    """
    lock_court(session, case.court_id)
    config = settings()
    court = session.get(Court, case.court_id)
    case_type = case.case_type
    on = local_date(case.registered_at)
    party_ids = _party_ids(session, case.id)
    eligible, excluded = eligibility(
        session,
        court_id=case.court_id,
        category=case_type.category,
        level=court.level,
        on=on,
        party_ids=party_ids,
    )
    base = {
        "case_id": case.id,
        "court_id": case.court_id,
        "by_user_id": by_user_id,
    }
    params: dict[str, Any] = {
        "case_type": case_type.code,
        "weight": config.weight(case_type.code),
        "on": on.isoformat(),
        "excluded": excluded,
    }
    if not eligible:
        _unassigned(
            session,
            case,
            base,
            params,
            "tiada_hakim_layak",
            f"Tiada hakim layak pada {on:%d/%m/%Y} ({_explain(excluded)})",
        )
        return None

    related = related_judge(session, case, party_ids)
    if related is not None and related[1] in eligible:
        earlier_id, judge_id = related
        loads = weighted_loads(session, eligible, config)
        append_record(
            session,
            **base,
            kind=AllocationKind.RELATED,
            strategy=None,
            candidates=_candidate_rows(loads),
            params={**params, "related_case_id": earlier_id},
            chosen_judge_id=judge_id,
            reason_code="kes_berkaitan",
            reason_text=f"Pihak yang sama dengan kes id {earlier_id}; hakim yang sama",
        )
        case.judge_id = judge_id
        return judge_id

    name = config.strategy_for(court.code, case_type.code)
    params["margin"] = config.margin
    params["last_judge_id"] = _last_drawn(session, case.court_id, name)
    loads = weighted_loads(session, eligible, config)
    candidates = sorted(
        (Candidate(judge_id, load) for judge_id, load in loads.items()),
        key=lambda c: (c.load, c.judge_id),
    )
    context = DrawContext(
        court_id=case.court_id,
        case_type_code=case_type.code,
        weight=params["weight"],
        margin=config.margin,
        last_judge_id=params["last_judge_id"],
        case_id=case.id,
    )
    base["strategy"] = name
    base["candidates"] = _candidate_rows(loads)
    strategy = runtime().strategies.get(name)
    try:
        if strategy is None:
            raise LookupError(f"strategy {name!r} is not registered")
        choice: Choice = as_choice(strategy(candidates, context))
    except Exception as exc:
        logger.warning(
            "allocation strategy %s failed for case %s id=%s: %r",
            name,
            case.case_number,
            case.id,
            exc,
        )
        _unassigned(
            session,
            case,
            base,
            params,
            "strategi_gagal",
            f"Strategi {name} gagal: {type(exc).__name__}: {exc}"[:1000],
        )
        return None
    if choice.judge_id not in eligible:
        logger.warning(
            "allocation strategy %s chose ineligible judge=%s for case %s id=%s",
            name,
            choice.judge_id,
            case.case_number,
            case.id,
        )
        _unassigned(
            session,
            case,
            {**base, "random_value": choice.random_value},
            params,
            "strategi_tidak_sah",
            f"Strategi {name} memilih hakim id {choice.judge_id} yang tidak layak",
        )
        return None
    append_record(
        session,
        **base,
        kind=AllocationKind.DRAW,
        params=params,
        random_value=choice.random_value,
        chosen_judge_id=choice.judge_id,
        reason_code="strategi",
        reason_text=f"Dipilih oleh strategi {name}",
    )
    case.judge_id = choice.judge_id
    logger.info(
        "case %s id=%s allocated to judge=%s by %s",
        case.case_number,
        case.id,
        choice.judge_id,
        name,
    )
    return choice.judge_id


def _candidate_rows(loads: dict[int, int]) -> list[dict[str, int]]:
    return [
        {"judge_id": judge_id, "load": load}
        for judge_id, load in sorted(loads.items(), key=lambda item: (item[1], item[0]))
    ]


def _explain(excluded: list[dict[str, Any]]) -> str:
    if not excluded:
        return "tiada hakim di mahkamah ini"
    return "; ".join(
        f"hakim id {row['judge_id']} {EXCLUSION_LABELS.get(row['why'], row['why'])}"
        for row in excluded
    )


def _unassigned(
    session: Session,
    case: Any,
    base: dict[str, Any],
    params: dict[str, Any],
    code: str,
    text: str,
) -> None:
    """Record that the case stays unassigned and warn the court's registrars."""
    from flask_babel import lazy_gettext

    from plugins.cases.services import registrars_of
    from portal.notifications import notify

    # TODO(i18n): the body is the strategy's reason text, in Malay only.
    base = {**base}
    base.setdefault("strategy", None)
    append_record(
        session,
        **base,
        kind=AllocationKind.UNASSIGNED,
        params=params,
        chosen_judge_id=None,
        reason_code=code,
        reason_text=text,
    )
    logger.warning(
        "case %s id=%s left unassigned: %s (%s)", case.case_number, case.id, code, text
    )
    notify(
        registrars_of(case.court_id),
        subject=lazy_gettext(
            "Kes %(number)s belum diperuntukkan kepada hakim", number=case.case_number
        ),
        body=text,
        link=f"/cases/show/{case.id}",
    )


def assign_on_registration(session: Session, case_id: int) -> int | None:
    """The ``spkms_assign_judge`` answer: allocate, and never raise."""
    from plugins.cases.models import Case

    try:
        case = session.get(Case, case_id)
        if case is None:
            logger.warning("assign_judge for a missing case id=%s", case_id)
            return None
        if case.judge_id is not None:
            return case.judge_id
        return allocate(session, case, by_user_id=case.registered_by_id)
    except Exception:
        # TODO(no savepoint on pysqlite): a database error here leaves the
        # transaction as the database left it; registration then fails at
        # commit rather than here.
        logger.exception("allocation failed for case id=%s; left unassigned", case_id)
        return None


# --- override ---------------------------------------------------------------


def check_may_override(user: Any) -> None:
    """Refuse unless ``user`` holds the override role and no configuring role."""
    roles = {role.name for role in getattr(user, "roles", [])}
    if OVERRIDE_ROLE not in roles:
        raise OverrideRefused("user", f"only the {OVERRIDE_ROLE} role may override")
    clash = sorted(roles & CONFIGURING_ROLES)
    if clash:
        raise OverrideRefused(
            "user",
            f"holds {', '.join(clash)}: who configures allocation may not override it",
        )


def override(
    case: Any, judge_id: int, reason_code: str, reason_text: str, user: Any
) -> AllocationRecord:
    """Put the case with another judge on a named officer's word, and commit.

    Only the override role may, and never together with a role that keeps
    weights or eligibility (separation of duties). The reason comes from
    ``OVERRIDE_REASONS`` plus free text; the record joins the court's chain
    and the ``judge_assigned`` event fires after commit.
    """
    from flask_appbuilder.security.sqla.models import User

    from plugins.cases.models import CaseStatus
    from portal.extensions import db
    from portal.jobs import emit

    session = db.session
    officer = session.get(User, getattr(user, "id", None)) if user else None
    if officer is None:
        raise OverrideRefused("user", "an override needs a named officer")
    check_may_override(officer)
    if reason_code not in OVERRIDE_REASONS:
        raise AllocationError(
            "reason_code", f"must be one of {', '.join(sorted(OVERRIDE_REASONS))}"
        )
    text = (reason_text or "").strip()
    if not text:
        raise AllocationError("reason_text", "is required")
    if case.status not in CaseStatus.OPEN:
        raise AllocationError(
            "case", f"is {case.status_label}; it cannot be re-allocated"
        )
    judge = session.get(Judge, judge_id)
    if judge is None or not judge.active:
        raise AllocationError("judge_id", "is not an active judge")
    if judge.id not in judges_of_court(session, case.court_id):
        raise AllocationError("judge_id", "does not sit at or cover the case's court")
    if judge.id == case.judge_id:
        raise AllocationError("judge_id", "already hears this case")
    try:
        lock_court(session, case.court_id)
        previous = case.judge_id
        record = append_record(
            session,
            case_id=case.id,
            court_id=case.court_id,
            kind=AllocationKind.OVERRIDE,
            strategy=None,
            candidates=[],
            params={"previous_judge_id": previous},
            chosen_judge_id=judge.id,
            reason_code=reason_code,
            reason_text=text[:1000],
            by_user_id=officer.id,
        )
        case.judge_id = judge.id
        emit("judge_assigned", case_id=case.id, judge_id=judge.id)
        session.commit()
    except Exception:
        session.rollback()
        raise
    logger.info(
        "allocation overridden: case %s id=%s judge %s -> %s by user=%s (%s)",
        case.case_number,
        case.id,
        previous,
        judge.id,
        officer.id,
        reason_code,
    )
    return record


# --- workload ---------------------------------------------------------------

# Rebalancing lives in ``rebalance.py``, the fairness report in ``fairness.py``.


@dataclass(frozen=True)
class Workload:
    """One judge's open cases and weighted load at a court's bench."""

    judge_id: int
    judge: str
    open_cases: int
    load: int


def workload(session: Session, court_id: int) -> list[Workload]:
    """Open cases and weighted load of every judge who sits at or covers the court."""
    from plugins.cases.models import Case, CaseStatus

    judge_ids = judges_of_court(session, court_id)
    loads = weighted_loads(session, judge_ids, settings())
    counts = dict(
        session.execute(
            sa.select(Case.judge_id, sa.func.count())
            .where(
                Case.judge_id.in_(judge_ids), Case.status.in_(sorted(CaseStatus.OPEN))
            )
            .group_by(Case.judge_id)
        ).all()
    )
    judges = {
        j.id: j
        for j in session.scalars(sa.select(Judge).where(Judge.id.in_(judge_ids)))
    }
    return [
        Workload(
            judge_id, str(judges[judge_id]), counts.get(judge_id, 0), loads[judge_id]
        )
        for judge_id in judge_ids
    ]


# --- simulation -------------------------------------------------------------


@dataclass(frozen=True)
class SimulatedJudge:
    judge_id: int
    on_leave: bool = False


def simulate(
    strategy: Strategy,
    judges: Sequence[SimulatedJudge],
    case_type_codes: Sequence[str],
    config: AllocationSettings,
    *,
    court_id: int = 0,
    start_loads: dict[int, int] | None = None,
) -> dict[int, int]:
    """Run a strategy over generated cases in memory; return load per judge.

    Judges on leave take nothing; nothing is written anywhere. Used by
    ``spkms allocation simulate`` and by the balance tests.
    """
    loads = {j.judge_id: (start_loads or {}).get(j.judge_id, 0) for j in judges}
    eligible = [j.judge_id for j in judges if not j.on_leave]
    last: int | None = None
    context = DrawContext(
        court_id=court_id, case_type_code="", weight=1, margin=config.margin
    )
    for code in case_type_codes:
        candidates = sorted(
            (Candidate(j, loads[j]) for j in eligible),
            key=lambda c: (c.load, c.judge_id),
        )
        weight = config.weight(code)
        choice = as_choice(
            strategy(
                candidates,
                replace(
                    context, case_type_code=code, weight=weight, last_judge_id=last
                ),
            )
        )
        loads[choice.judge_id] += weight
        last = choice.judge_id
    return loads


def spread(loads: dict[int, int], judge_ids: Sequence[int] | None = None) -> int:
    """Largest minus smallest load (over ``judge_ids`` when given)."""
    values = [loads[j] for j in (judge_ids if judge_ids is not None else loads)]
    return max(values) - min(values) if values else 0


__all__ = [
    "BUILTIN_STRATEGIES",
    "AllocationError",
    "OverrideRefused",
    "allocate",
    "override",
    "replay",
    "verify_chain",
]
