"""The dashboard (papan pemuka): panels of numbers, each drawn as a chart and
downloadable as CSV.

The host owns the page, the choice of courts and year, the charts and the
CSV; it owns no numbers. Every panel comes from a plugin (or a host module)
through ``spkms_dashboard_panels``: a ``Panel`` names itself and gives a
``build`` function that answers a ``PanelData`` for a ``Scope``. The chart and
the CSV are both made from that one ``PanelData``, so the numbers a person
downloads are the numbers they saw.

Scope. ``Scope.court_ids`` are the courts the viewer chose, already checked
against the one access check (``portal.security.access.allowed_court_ids``):
a panel filters its SQL by them and never asks who is looking. Panels count;
they never name a case, so a confidential case is counted like any other of
its court. A panel that lists individual records must narrow them with
``access.scoped`` itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from portal.exports import to_csv
from portal.extensions import db
from portal.settings import ConfigError
from portal.timezone import state_zone

logger = logging.getLogger(__name__)

EXTENSION_KEY = "spkms_dashboard"


@dataclass(frozen=True)
class Scope:
    """What the viewer asked to see: which courts, which year, as of which day."""

    court_ids: tuple[int, ...]
    year: int
    today: date
    #: True when every court of the state is counted (the chief registrar's view).
    statewide: bool = False

    def months(self) -> list[int]:
        """The months of the year shown: all twelve, or up to this month."""
        last = self.today.month if self.year == self.today.year else 12
        return list(range(1, last + 1)) if self.year <= self.today.year else []

    def month_start(self, month: int) -> datetime:
        """The first moment of ``month`` at the courts, in UTC (as stored)."""
        if month == 13:
            local = datetime.combine(date(self.year + 1, 1, 1), time(), state_zone())
        else:
            local = datetime.combine(date(self.year, month, 1), time(), state_zone())
        return local.astimezone(UTC)

    def year_bounds(self) -> tuple[datetime, datetime]:
        """The year's first moment and the next year's, in UTC."""
        return self.month_start(1), self.month_start(13)

    def cut_off(self, month: int) -> datetime:
        """The end of ``month``, or now if the month has not ended yet."""
        return min(self.month_start(month + 1), datetime.now(UTC))


@dataclass(frozen=True)
class PanelData:
    """A panel's numbers: column headings and rows, and how to chart them.

    The first ``label_columns`` columns name a row (a month, a case type, a
    judge); ``chart_columns`` are the numeric columns drawn, by index (all
    the others when not given). ``chart`` is ``"bar"`` (grouped columns, for
    months), ``"hbar"`` (horizontal bars, for long names) or ``"none"``.
    """

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    label_columns: int = 1
    chart_columns: Sequence[int] | None = None
    chart: str = "bar"
    note: str = ""

    def charted(self) -> list[int]:
        if self.chart_columns is not None:
            return list(self.chart_columns)
        return list(range(self.label_columns, len(self.columns)))

    def labels(self) -> list[str]:
        """Each row's name on the chart: its label columns joined."""
        return [
            " ".join(str(cell) for cell in row[: self.label_columns] if cell != "")
            for row in self.rows
        ]

    def series(self) -> list[tuple[str, list[float]]]:
        """Each charted column's heading and its numbers, row by row."""
        return [
            (str(self.columns[index]), [row[index] or 0 for row in self.rows])
            for index in self.charted()
        ]

    def csv(self) -> str:
        return to_csv(self.columns, self.rows)


@dataclass(frozen=True)
class Panel:
    """One panel a plugin contributes through ``spkms_dashboard_panels``.

    ``key`` is unique across plugins (``"<plugin>.<name>"``) and names the
    CSV; ``order`` places the panel on the page (smaller first).
    """

    key: str
    title: str
    build: Callable[[Scope], PanelData]
    order: int = 100
    description: str = field(default="", compare=False)


def collect_panels(answers: Iterable[Sequence[Panel] | None]) -> list[Panel]:
    """Every plugin's panels, in page order; a key given twice stops start-up."""
    found: dict[str, Panel] = {}
    for answer in answers:
        for panel in answer or []:
            if panel.key in found:
                raise ConfigError(
                    "spkms_dashboard_panels", f"panel {panel.key!r} is given twice"
                )
            found[panel.key] = panel
    return sorted(found.values(), key=lambda panel: (panel.order, panel.key))


def init_app(app: Flask) -> list[Panel]:
    """Collect the panels once for ``app`` (called while its views are added)."""
    panels = collect_panels(app.extensions["spkms"].hook.spkms_dashboard_panels())
    app.extensions[EXTENSION_KEY] = panels
    logger.info("dashboard panels: %s", ", ".join(p.key for p in panels) or "none")
    return panels


def panels() -> list[Panel]:
    """The running app's panels in page order."""
    return current_app.extensions.get(EXTENSION_KEY, [])


# --- SQL helpers for panels -------------------------------------------------


def _is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


# TODO(summer time): SQLite shifts every moment by today's offset of the state's
# zone. Right for Malaysia; a state in a zone with summer time would count
# moments near midnight in the wrong day on SQLite (PostgreSQL is exact).
def _sqlite_shift() -> str:
    """The state's offset from UTC as a SQLite date modifier, e.g. ``+480 minutes``.

    SQLite knows no time zones. Malaysia has kept one offset since 1982; a
    state in a zone with summer time would need the offset per date.
    """
    offset = state_zone().utcoffset(datetime.now(UTC).replace(tzinfo=None))
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return f"{minutes:+d} minutes"


def local_month(column: Any) -> Any:
    """SQL: a stored UTC moment's month at the courts, as ``'YYYY-MM'`` text."""
    if _is_sqlite():
        return sa.func.strftime("%Y-%m", column, _sqlite_shift())
    return sa.func.to_char(sa.func.timezone(state_zone().key, column), "YYYY-MM")


def local_day(column: Any) -> Any:
    """SQL: a stored UTC moment's date at the courts (text on SQLite)."""
    if _is_sqlite():
        return sa.func.date(column, _sqlite_shift())
    return sa.cast(sa.func.timezone(state_zone().key, column), sa.Date)


def as_date(value: Any) -> date:
    """A date column's value from either backend as a ``date``."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"
