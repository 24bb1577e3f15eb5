"""What a reminder rule is, and how the state profile tunes each one.

A plugin owns the rules about its records (the cases plugin: unresolved
cases, hearings not fixed, orders not extracted; file tracking: volumes kept
past their due date) and hands them to the host through
``spkms_reminder_rules``. A rule is data plus one query; the engine in
``portal.reminders.engine`` does the date arithmetic, the once-only bookkeeping
and the messages, the same way for every rule.

The query a rule answers selects, for every record it watches, these columns:

``subject_id``
    the record's id (a case, a file volume);
``court_id``
    the court whose officers are told;
``anchor``
    the date or moment the period counts from (registration, a due date);
``label`` and ``link``
    what the message names and where it points;
``case_type`` and ``court_level`` (optional)
    the case type code and court level code, so the profile may set periods
    per case type and level;
``round`` (optional)
    a value that starts the reminders afresh when it changes (a new loan of
    the same volume); missing means the record is warned once per level for
    good;
``<audience>_user_id`` (optional)
    the officer a row-bound audience means, e.g. ``judge_user_id``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from portal.court_calendar import CALENDAR_DAYS, UNITS
from portal.settings import ConfigError, StateProfile


@dataclass(frozen=True)
class Level:
    """A stage of lateness; a record is told of each stage once."""

    name: str
    rank: int
    label: str


WARNING = Level("warning", 1, "Amaran")
OVERDUE = Level("overdue", 2, "Lewat tempoh")
ESCALATION = Level("escalation", 3, "Eskalasi")
LEVELS = (WARNING, OVERDUE, ESCALATION)
LEVELS_BY_NAME = {level.name: level for level in LEVELS}

#: Audiences answered by a role: (role name, limited to the record's court).
#: The chief registrar oversees every court of the state.
ROLE_AUDIENCES: dict[str, tuple[str, bool]] = {
    "registrar": ("Registrar", True),
    "records_officer": ("Records Officer", True),
    "chief_registrar": ("Chief Registrar", False),
}

DEFAULT_NOTIFY: dict[str, tuple[str, ...]] = {
    WARNING.name: ("judge",),
    OVERDUE.name: ("judge", "registrar"),
    ESCALATION.name: ("judge", "registrar", "chief_registrar"),
}


@dataclass(frozen=True)
class ReminderRule:
    """One thing the courts watch, as a plugin declares it.

    ``days``, ``unit``, ``warn_before_days``, ``escalate_after_days`` and
    ``notify`` are the plugin's defaults; the profile may change each.
    ``periods_by_case_type`` gives per-case-type periods held as data (the
    case types' own resolution periods); ``case_types`` answers the codes a
    profile may name in ``by_case_type``. ``scope_model`` is the model the
    query selects from, so a screen can narrow it to what an officer may see.
    """

    name: str
    title: str
    query: Callable[[], sa.Select[Any]]
    days: int
    unit: str = CALENDAR_DAYS
    anchor_is_date: bool = False
    warn_before_days: int = 7
    escalate_after_days: int = 14
    notify: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_NOTIFY)
    )
    user_audiences: tuple[str, ...] = ("judge",)
    periods_by_case_type: Callable[[], dict[str, int]] | None = None
    case_types: Callable[[StateProfile], set[str]] | None = None
    scope_model: type | None = None


@dataclass(frozen=True)
class RuleSettings:
    """A rule with the profile's choices applied, checked at start-up."""

    rule: ReminderRule
    days: int
    unit: str
    warn_before_days: int
    escalate_after_days: int
    by_case_type: dict[str, int]
    by_level: dict[str, int]
    notify: dict[str, tuple[str, ...]]

    @property
    def name(self) -> str:
        return self.rule.name

    def levels(self) -> list[Level]:
        """The levels this rule warns at: those with someone to tell."""
        found = [level for level in LEVELS if self.notify.get(level.name)]
        if self.warn_before_days == 0:
            found = [level for level in found if level is not WARNING]
        return found

    def offset(self, level: Level) -> int:
        """Days added to the period to reach ``level`` (negative: before it)."""
        if level is WARNING:
            return -self.warn_before_days
        if level is ESCALATION:
            return self.escalate_after_days
        return 0

    def period_for(
        self, case_type: str | None, court_level: str | None, data: dict[str, int]
    ) -> int:
        """The period of one record; the same order as the SQL expression.

        The profile's ``by_case_type`` wins, then its ``by_level``, then the
        case type's own period held as data, then the rule's ``days``.
        """
        if case_type in self.by_case_type:
            return self.by_case_type[case_type]
        if court_level in self.by_level:
            return self.by_level[court_level]
        if case_type in data:
            return data[case_type]
        return self.days


def settle_rules(
    profile: StateProfile, answers: Iterable[list[ReminderRule] | None]
) -> dict[str, RuleSettings]:
    """Merge the plugins' rules with ``[reminders]`` of the profile.

    :raises ConfigError: a rule registered twice, a profile entry for a rule
        nobody registered, an unknown unit, case type, level or audience, or
        a negative period; the message names the profile key.
    """
    rules: dict[str, ReminderRule] = {}
    for answer in answers:
        for rule in answer or []:
            if rule.name in rules:
                raise ConfigError(
                    "spkms_reminder_rules", f"rule {rule.name!r} is registered twice"
                )
            rules[rule.name] = rule
    section = profile.section("reminders")
    where = f"{profile.path.name} [reminders]"
    tuned = section.get("rules", {})
    if not isinstance(tuned, dict):
        raise ConfigError(f"{where}.rules", "must be a table of rule names")
    unknown = sorted(
        name
        for name in set(tuned) - set(rules)
        if not _of_disabled_plugin(profile, name)
    )
    if unknown:
        raise ConfigError(
            f"{where}.rules.{unknown[0]}",
            f"no plugin registers this rule; known: {', '.join(sorted(rules))}",
        )
    defaults = {
        key: section[key]
        for key in ("warn_before_days", "escalate_after_days", "unit")
        if key in section
    }
    settled: dict[str, RuleSettings] = {}
    for name, rule in sorted(rules.items()):
        entry = {**defaults, **tuned.get(name, {})}
        if entry.get("enabled", True) is False:
            continue
        settled[name] = _settle(profile, rule, entry, f'{where}.rules."{name}"')
    return settled


def _of_disabled_plugin(profile: StateProfile, rule_name: str) -> bool:
    """A rule named after an installed plugin the state has not switched on.

    Its settings may stay in the profile for when the state switches it on;
    a name matching no installed plugin at all is a typo and is refused.
    """
    from portal.plugins import installed_plugins

    plugin = rule_name.split(".", 1)[0]
    return plugin in installed_plugins() and plugin not in profile.enabled_plugins


def _settle(
    profile: StateProfile, rule: ReminderRule, entry: dict[str, Any], where: str
) -> RuleSettings:
    def days(key: str, default: int) -> int:
        value = entry.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(
                f"{where}.{key}", "must be a whole number of days, 0 or more"
            )
        return value

    unit = entry.get("unit", rule.unit)
    if unit not in UNITS:
        raise ConfigError(f"{where}.unit", f"must be one of {', '.join(UNITS)}")
    by_case_type = _periods(entry, "by_case_type", where)
    if by_case_type:
        if rule.case_types is None:
            raise ConfigError(
                f"{where}.by_case_type", "this rule does not vary by case type"
            )
        known = rule.case_types(profile)
        for code in sorted(by_case_type):
            if code not in known:
                raise ConfigError(
                    f"{where}.by_case_type.{code}", "is not a case type of the state"
                )
    by_level = _periods(entry, "by_level", where)
    for level in sorted(by_level):
        if level not in profile.levels:
            raise ConfigError(
                f"{where}.by_level.{level}",
                f"is not a court level; known: {', '.join(profile.levels)}",
            )
    notify = {name: tuple(who) for name, who in rule.notify.items()}
    for level_name, audiences in dict(entry.get("notify", {})).items():
        if level_name not in LEVELS_BY_NAME:
            raise ConfigError(
                f"{where}.notify.{level_name}",
                f"is not a level; known: {', '.join(LEVELS_BY_NAME)}",
            )
        if not isinstance(audiences, list):
            raise ConfigError(f"{where}.notify.{level_name}", "must be a list")
        for audience in audiences:
            if audience not in ROLE_AUDIENCES and audience not in rule.user_audiences:
                known = sorted({*ROLE_AUDIENCES, *rule.user_audiences})
                raise ConfigError(
                    f"{where}.notify.{level_name}",
                    f"unknown audience {audience!r}; known: {', '.join(known)}",
                )
        notify[level_name] = tuple(audiences)
    return RuleSettings(
        rule=rule,
        days=days("days", rule.days),
        unit=unit,
        warn_before_days=days("warn_before_days", rule.warn_before_days),
        escalate_after_days=days("escalate_after_days", rule.escalate_after_days),
        by_case_type=by_case_type,
        by_level=by_level,
        notify=notify,
    )


def _periods(entry: dict[str, Any], key: str, where: str) -> dict[str, int]:
    table = entry.get(key, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{where}.{key}", "must be a table of code = days")
    for code, value in table.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(
                f"{where}.{key}.{code}", "must be a whole number of days, 0 or more"
            )
    return {str(code): value for code, value in table.items()}
