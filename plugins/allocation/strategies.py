"""The built-in allocation strategies and the types every strategy works with.

A strategy is a plain function ``(candidates, context) -> Choice | int``. It is
handed only eligible judges (eligibility is decided before, by the service)
sorted by weighted open load and then by judge id, and what else it may need
in ``DrawContext``. It must not touch the database: everything that decided
the choice is then in the allocation record, so the choice can be replayed.

A state adds its own strategy from a plugin through the
``spkms_allocation_strategies`` hook; its profile then names it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

#: Random values are whole numbers below this bound (exact in both databases).
RANDOM_BOUND = 2**53


@dataclass(frozen=True)
class Candidate:
    """An eligible judge and their weighted open caseload at the moment of choice."""

    judge_id: int
    load: int


@dataclass(frozen=True)
class DrawContext:
    """What a strategy may use besides the candidates.

    ``random_value`` is set only when a recorded draw is replayed; a strategy
    that draws uses it instead of drawing afresh.
    """

    court_id: int
    case_type_code: str
    weight: int
    margin: int
    last_judge_id: int | None = None
    case_id: int | None = None
    random_value: int | None = None


@dataclass(frozen=True)
class Choice:
    """A strategy's answer: the judge, and the random value if one was drawn."""

    judge_id: int
    random_value: int | None = None


Strategy = Callable[[Sequence[Candidate], DrawContext], "Choice | int"]


def least_loaded(candidates: Sequence[Candidate], context: DrawContext) -> Choice:
    """The judge with the smallest weighted open load; ties go to the lowest id."""
    best = min(candidates, key=lambda c: (c.load, c.judge_id))
    return Choice(best.judge_id)


def round_robin(candidates: Sequence[Candidate], context: DrawContext) -> Choice:
    """Strict rotation by judge id: the next after the court's last drawn judge.

    Loads are ignored on purpose. A judge who was away rejoins the rotation
    at their place in it, not at its start.
    """
    ids = sorted(c.judge_id for c in candidates)
    last = context.last_judge_id
    following = [judge_id for judge_id in ids if last is None or judge_id > last]
    return Choice(following[0] if following else ids[0])


def balanced_draw(candidates: Sequence[Candidate], context: DrawContext) -> Choice:
    """A random draw among judges whose load is within ``margin`` of the lowest.

    The draw uses the operating system's randomness (``secrets``), so neither
    a clerk nor a party can predict or steer it. The drawn whole number is
    recorded; the pool (sorted by judge id) is indexed by
    ``value * len(pool) // RANDOM_BOUND``, so a replay with the same value
    gives the same judge.
    """
    lowest = min(c.load for c in candidates)
    pool = sorted(c.judge_id for c in candidates if c.load <= lowest + context.margin)
    value = context.random_value
    if value is None:
        value = secrets.SystemRandom().randrange(RANDOM_BOUND)
    if not 0 <= value < RANDOM_BOUND:
        raise ValueError(f"random value {value} is outside [0, 2**53)")
    return Choice(pool[value * len(pool) // RANDOM_BOUND], random_value=value)


#: The strategies this plugin contributes to the registry.
BUILTIN_STRATEGIES: dict[str, Strategy] = {
    "least_loaded": least_loaded,
    "round_robin": round_robin,
    "balanced_draw": balanced_draw,
}


def as_choice(answer: Choice | int) -> Choice:
    """A strategy's answer as a ``Choice`` (a bare judge id is accepted)."""
    if isinstance(answer, Choice):
        return answer
    if isinstance(answer, int) and not isinstance(answer, bool):
        return Choice(answer)
    raise TypeError(f"a strategy answered {answer!r}, not a judge id")
