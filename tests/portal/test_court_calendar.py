"""The state's working calendar: weekend, public holidays, closures, cut-offs."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from portal.court_calendar import (
    CALENDAR_DAYS,
    WORKING_DAYS,
    CourtCalendar,
    calendar_from_profile,
)
from portal.settings import ConfigError, load_profile

FRI_SAT = frozenset({4, 5})


@pytest.fixture(scope="module")
def terengganu() -> CourtCalendar:
    return calendar_from_profile(load_profile("terengganu"))


def test_terengganu_rests_on_friday_and_saturday(terengganu: CourtCalendar) -> None:
    assert not terengganu.is_working_day(date(2026, 12, 4))  # Friday
    assert not terengganu.is_working_day(date(2026, 12, 5))  # Saturday
    assert terengganu.is_working_day(date(2026, 12, 6))  # Sunday
    # Five working days from a Thursday skip the weekend.
    assert terengganu.add(date(2026, 12, 3), 5, WORKING_DAYS) == date(2026, 12, 10)
    assert terengganu.add(date(2026, 12, 3), 5, CALENDAR_DAYS) == date(2026, 12, 8)


def test_public_holidays_of_the_state_are_named_in_malay(
    terengganu: CourtCalendar,
) -> None:
    # Hari Raya Puasa 2026 falls on a Saturday; the Sultan's birthday is
    # Terengganu's own holiday.
    assert terengganu.holiday_name(date(2026, 3, 21)) == "Hari Raya Puasa"
    assert not terengganu.is_working_day(date(2026, 3, 23))
    assert terengganu.holiday_name(date(2026, 4, 26)) is not None
    elsewhere = CourtCalendar(weekend=frozenset({5, 6}), subdivision="10")
    assert elsewhere.holiday_name(date(2026, 4, 26)) is None


def test_a_court_closure_counts_like_a_holiday() -> None:
    closed = date(2026, 12, 8)
    calendar = CourtCalendar(
        weekend=FRI_SAT, subdivision="11", closures={closed: "Banjir"}
    )
    assert calendar.holiday_name(closed) == "Banjir"
    assert calendar.add(date(2026, 12, 7), 1, WORKING_DAYS) == date(2026, 12, 9)


def test_latest_start_is_exactly_where_deadlines_reach_today(
    terengganu: CourtCalendar,
) -> None:
    """The engine's SQL cut-off: every earlier start is due, no later one is."""
    today = date(2026, 3, 24)  # just after the Hari Raya holidays
    for days in (0, 1, 3, 7, 21):
        for unit in (WORKING_DAYS, CALENDAR_DAYS):
            cut = terengganu.latest_start(today, days, unit)
            assert terengganu.add(cut, days, unit) <= today
            assert terengganu.add(cut + timedelta(days=1), days, unit) > today
    assert terengganu.working_days_between(date(2026, 12, 3), date(2026, 12, 10)) == 5
    assert terengganu.working_days_between(date(2026, 12, 10), date(2026, 12, 3)) == -5


@pytest.mark.parametrize(
    ("change", "setting", "rule"),
    [
        ({"state": {"weekend": ["jumaat"]}}, "[state].weekend", "list of days"),
        ({"calendar": {"holidays": "99"}}, "[calendar].holidays", "state code"),
        (
            {"calendar": {"closures": [{"date": "esok", "name": "x"}]}},
            "closures[0].date",
            "must be a date",
        ),
        (
            {"calendar": {"closures": [{"date": date(2026, 1, 1), "name": " "}]}},
            "closures[0].name",
            "why the courts close",
        ),
    ],
)
def test_a_bad_calendar_is_refused_naming_the_key(
    change: dict, setting: str, rule: str
) -> None:
    profile = load_profile("terengganu")
    raw = {
        **profile.raw,
        **{k: {**profile.raw.get(k, {}), **v} for k, v in change.items()},
    }
    with pytest.raises(ConfigError) as refused:
        calendar_from_profile(dataclasses.replace(profile, raw=raw))
    assert setting in refused.value.setting
    assert rule in refused.value.problem
