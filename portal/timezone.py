"""The state's clock: stored times are UTC, people read them in local time.

SQLite hands aware columns back without a zone; a naive value read from the
database is therefore UTC, and is treated so here, in one place.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

#: How times are shown on screens and printed documents.
DISPLAY_FORMAT = "%d/%m/%Y %H:%M"


def state_zone() -> ZoneInfo:
    """The time zone of the running app's state profile."""
    return ZoneInfo(current_app.extensions["spkms"].profile.timezone)


def to_local(moment: datetime) -> datetime:
    """A stored moment in the state's time zone (naive means UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(state_zone())


def local_date(moment: datetime) -> date:
    """The state's calendar date of a stored moment."""
    return to_local(moment).date()


def show_local(moment: datetime | None) -> str:
    """A moment as people at the court read it, e.g. ``04/12/2026 09:30``."""
    return "" if moment is None else to_local(moment).strftime(DISPLAY_FORMAT)
