"""The reminder engine: warn officers of records nearing or past their deadline.

Plugins declare rules (``rules.ReminderRule``) through
``spkms_reminder_rules``; the state profile's ``[reminders]`` section sets
each rule's period, unit (calendar or working days), warning and escalation
margins and who is told at each level; ``engine.run_reminders`` evaluates
them daily (schedule ``reminders.daily``, or ``spkms reminders run``) and
writes one inbox message per officer, once per record and level.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Flask

from portal.court_calendar import calendar_from_profile
from portal.reminders.engine import EXTENSION_KEY, Reminders, current_reminders
from portal.reminders.rules import settle_rules

__all__ = ["current_reminders", "init_app"]


def init_app(app: Flask) -> Reminders:
    """Settle the plugins' rules against the profile; refuse a bad profile.

    :raises ConfigError: see ``rules.settle_rules`` and
        ``court_calendar.calendar_from_profile``.
    """
    state = app.extensions["spkms"]
    rules = settle_rules(state.profile, state.hook.spkms_reminder_rules())
    reminders = Reminders(
        rules=rules,
        calendar=calendar_from_profile(state.profile),
        zone=ZoneInfo(state.profile.timezone),
    )
    app.extensions[EXTENSION_KEY] = reminders
    return reminders
