"""The profile's ``[allocation]`` section, read and checked at start-up.

```toml
[allocation]
strategy = "balanced_draw"        # default for every court and case type
margin = 3                        # balanced_draw: load points above the lowest
default_weight = 1
weights = { "055" = 3, "010" = 1 }         # case type code -> weight
courts = { "11000" = "round_robin" }       # court code -> strategy
case_types = { "001" = "least_loaded" }    # case type code -> strategy
```

A case type's strategy wins over its court's, which wins over the default.
Every strategy named must be registered through
``spkms_allocation_strategies``; an unknown name stops start-up with a
``ConfigError`` naming the setting.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from portal.settings import ConfigError, StateProfile

logger = logging.getLogger(__name__)

DEFAULT_STRATEGY = "least_loaded"
DEFAULT_MARGIN = 3


@dataclass(frozen=True)
class AllocationSettings:
    """The validated ``[allocation]`` section."""

    strategy: str = DEFAULT_STRATEGY
    margin: int = DEFAULT_MARGIN
    default_weight: int = 1
    weights: Mapping[str, int] = field(default_factory=dict)
    by_court: Mapping[str, str] = field(default_factory=dict)
    by_case_type: Mapping[str, str] = field(default_factory=dict)

    def weight(self, case_type_code: str) -> int:
        """The weight of one open case of the type."""
        return self.weights.get(case_type_code, self.default_weight)

    def strategy_for(self, court_code: str, case_type_code: str) -> str:
        """The strategy that allocates a case of the type at the court."""
        return self.by_case_type.get(
            case_type_code, self.by_court.get(court_code, self.strategy)
        )


def _whole(value: Any, setting: str, *, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(setting, f"must be a whole number of at least {minimum}")
    return value


def _names(value: Any, setting: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(setting, "must map codes to strategy names")
    return dict(value)


def read_settings(
    profile: StateProfile, known_strategies: Iterable[str]
) -> AllocationSettings:
    """Read ``[allocation]`` and check every strategy it names is registered."""
    where = f"{profile.path.name} [allocation]"
    raw = profile.section("allocation")
    known = sorted(known_strategies)
    strategy = raw.get("strategy", DEFAULT_STRATEGY)
    if not isinstance(strategy, str) or not strategy:
        raise ConfigError(f"{where}.strategy", "must be a strategy name")
    settings = AllocationSettings(
        strategy=strategy,
        margin=_whole(raw.get("margin", DEFAULT_MARGIN), f"{where}.margin", minimum=0),
        default_weight=_whole(
            raw.get("default_weight", 1), f"{where}.default_weight", minimum=1
        ),
        weights={
            str(code): _whole(weight, f"{where}.weights.{code}", minimum=1)
            for code, weight in _table(raw, "weights", where).items()
        },
        by_court=_names(_table(raw, "courts", where), f"{where}.courts"),
        by_case_type=_names(_table(raw, "case_types", where), f"{where}.case_types"),
    )
    named = [(f"{where}.strategy", settings.strategy)]
    named += [(f"{where}.courts.{k}", v) for k, v in settings.by_court.items()]
    named += [(f"{where}.case_types.{k}", v) for k, v in settings.by_case_type.items()]
    for setting, name in named:
        if name not in known:
            raise ConfigError(
                setting, f"unknown allocation strategy {name!r}; known: {known}"
            )
    logger.info(
        "allocation settings: strategy=%s margin=%d weights=%d courts=%d types=%d",
        settings.strategy,
        settings.margin,
        len(settings.weights),
        len(settings.by_court),
        len(settings.by_case_type),
    )
    return settings


def _table(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}.{key}", "must be a table")
    return value
