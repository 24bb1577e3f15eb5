"""The state's working calendar: its weekend, public holidays and court closures.

Periods of the client charter are counted in calendar or working days. A
working day is one that is not the state's weekend (Friday and Saturday in
Terengganu, Kelantan and Kedah; Saturday and Sunday elsewhere), not a public
holiday of the state (from the ``holidays`` package, which knows each
state's own days and their names in Malay) and not a closure the profile
lists under ``[calendar]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import holidays

from portal.settings import ConfigError, StateProfile

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}

#: How a period is counted.
CALENDAR_DAYS = "calendar"
WORKING_DAYS = "working"
UNITS = (CALENDAR_DAYS, WORKING_DAYS)


@dataclass(eq=False)
class CourtCalendar:
    """Which days the state's courts sit, and period arithmetic over them."""

    weekend: frozenset[int]
    subdivision: str | None
    closures: dict[date, str] = field(default_factory=dict)
    _holidays: Any = field(default=None, repr=False)
    _added: dict[tuple[date, int], date] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._holidays = holidays.Malaysia(subdiv=self.subdivision, language="ms_MY")

    def holiday_name(self, day: date) -> str | None:
        """The Malay name of the holiday or closure on ``day``, if any."""
        if day in self.closures:
            return self.closures[day]
        return self._holidays.get(day)

    def is_working_day(self, day: date) -> bool:
        """Whether the courts of the state sit on ``day``."""
        return day.weekday() not in self.weekend and self.holiday_name(day) is None

    def add(self, start: date, days: int, unit: str) -> date:
        """The deadline ``days`` after ``start``, counted in ``unit``.

        Working days count the days after ``start`` that the courts sit, so
        five working days from a Thursday in Terengganu skip Friday and
        Saturday. Zero days is ``start`` itself.
        """
        if unit == CALENDAR_DAYS or days <= 0:
            return start + timedelta(days=days)
        # A run meets the same start dates and periods many times over.
        found = self._added.get((start, days))
        if found is None:
            day, counted = start, 0
            while counted < days:
                day += timedelta(days=1)
                counted += self.is_working_day(day)
            found = self._added[(start, days)] = day
        return found

    def latest_start(self, today: date, days: int, unit: str) -> date:
        """The latest start date whose deadline has come by ``today``.

        ``add(start, days, unit) <= today`` holds exactly for the starts on or
        before the answer, because the deadline never moves back as the start
        moves forward. This turns "which cases are past their deadline" into
        one comparison a database can index: ``start <= latest_start(...)``.
        """
        if unit == CALENDAR_DAYS or days <= 0:
            return today - timedelta(days=days)
        day, counted = today, 0
        while True:
            if self.is_working_day(day):
                counted += 1
                if counted == days:
                    # ``day`` must fall after the start to be counted.
                    return day - timedelta(days=1)
            day -= timedelta(days=1)

    def working_days_between(self, first: date, last: date) -> int:
        """Working days in ``(first, last]``; negative when ``last`` is earlier."""
        if last < first:
            return -self.working_days_between(last, first)
        return sum(
            self.is_working_day(first + timedelta(days=n))
            for n in range(1, (last - first).days + 1)
        )


def calendar_from_profile(profile: StateProfile) -> CourtCalendar:
    """Read ``[state].weekend`` and ``[calendar]`` of the profile, checked.

    ``[calendar].closures`` is a list of ``{ date = 2026-12-10, name = "..." }``
    tables for days the courts close that are no public holiday (a flood, a
    state event). ``[calendar].holidays`` names the ``holidays`` subdivision
    when it is not the state's own code.
    """
    state = profile.section("state")
    where = f"{profile.path.name} [state].weekend"
    weekend_names = state.get("weekend", ["sat", "sun"])
    if not isinstance(weekend_names, list) or not all(
        isinstance(name, str) and name.lower() in WEEKDAYS for name in weekend_names
    ):
        raise ConfigError(where, f"must be a list of days from {', '.join(WEEKDAYS)}")
    section = profile.section("calendar")
    subdivision = str(section.get("holidays", profile.code))
    if subdivision not in holidays.Malaysia.subdivisions:
        known = ", ".join(holidays.Malaysia.subdivisions)
        raise ConfigError(
            f"{profile.path.name} [calendar].holidays",
            f"{subdivision!r} is not a Malaysian state code ({known})",
        )
    return CourtCalendar(
        weekend=frozenset(WEEKDAYS[name.lower()] for name in weekend_names),
        subdivision=subdivision,
        closures=_closures(profile, section.get("closures", [])),
    )


def _closures(profile: StateProfile, entries: Iterable[Any]) -> dict[date, str]:
    closures: dict[date, str] = {}
    for index, entry in enumerate(entries):
        where = f"{profile.path.name} [calendar].closures[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("date"), date):
            raise ConfigError(f"{where}.date", "must be a date such as 2026-12-10")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}.name", "must say why the courts close")
        closures[entry["date"]] = name.strip()
    return closures
