"""The cases plugin's dashboard panels: registrations, decisions, pending cases
and the share resolved within the client charter's period.

Each panel is a few GROUP BY queries over the chosen courts (``Scope``); a
case's month is its month at the courts, not in UTC. "Decided" is the
status *diputuskan*; "pending" at the end of a month is a case registered
by then and not closed by then (for the current month: now). "Resolved"
for the charter is a case closed as decided, withdrawn or struck out; a
transfer is not a resolution (the other court registers the case anew).

The charter period of a case is the one the reminder rule
``cases.unresolved`` uses (the profile's ``by_case_type``, then ``by_level``,
then the case type's own ``resolution_days``), counted in that rule's unit,
so the dashboard and the reminders never disagree about a deadline.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from plugins.cases.models import Case, CaseStatus, CaseType
from portal.dashboard import (
    Panel,
    PanelData,
    Scope,
    as_date,
    local_day,
    local_month,
    month_key,
)
from portal.extensions import db
from portal.models import Court
from portal.reminders.engine import current_reminders, data_periods

RESOLVED = (CaseStatus.DECIDED, CaseStatus.WITHDRAWN, CaseStatus.STRUCK_OUT)
CHARTER_RULE = "cases.unresolved"


def _counts_by_month(column: Any, scope: Scope, *conditions: Any) -> dict[str, int]:
    start, end = scope.year_bounds()
    month = local_month(column)
    query = (
        sa.select(month, sa.func.count())
        .where(
            Case.court_id.in_(scope.court_ids),
            column >= start,
            column < end,
            *conditions,
        )
        .group_by(month)
    )
    return dict(db.session.execute(query).all())


def _pending_at(moment: Any) -> Any:
    """SQL: 1 for a case registered before ``moment`` and not closed by then."""
    return sa.case(
        (
            sa.and_(
                Case.registered_at < moment,
                sa.or_(Case.closed_at.is_(None), Case.closed_at >= moment),
            ),
            1,
        ),
        else_=0,
    )


def by_month(scope: Scope) -> PanelData:
    """Registered, decided and pending at month end, for each month of the year."""
    months = scope.months()
    registered = _counts_by_month(Case.registered_at, scope)
    decided = _counts_by_month(Case.closed_at, scope, Case.status == CaseStatus.DECIDED)
    pending: dict[int, int] = {}
    if months:
        # One pass over the courts' cases answers every month end at once.
        sums = [
            sa.func.coalesce(sa.func.sum(_pending_at(scope.cut_off(m))), 0)
            for m in months
        ]
        row = db.session.execute(
            sa.select(*sums).where(
                Case.court_id.in_(scope.court_ids),
                Case.registered_at < scope.cut_off(months[-1]),
            )
        ).one()
        pending = dict(zip(months, (int(value) for value in row), strict=True))
    rows = [
        [
            month_key(scope.year, m),
            registered.get(month_key(scope.year, m), 0),
            decided.get(month_key(scope.year, m), 0),
            pending.get(m, 0),
        ]
        for m in months
    ]
    return PanelData(
        columns=["Bulan", "Didaftar", "Diputuskan", "Belum selesai (akhir bulan)"],
        rows=rows,
        note="Bulan mengikut waktu Malaysia; bulan semasa dikira hingga hari ini.",
    )


def by_case_type(scope: Scope) -> PanelData:
    """Per case type: registered and decided in the year, pending at its end."""
    start, end = scope.year_bounds()
    cut = (
        scope.cut_off(12)
        if scope.year < scope.today.year
        else scope.cut_off(scope.today.month)
    )
    in_year = sa.and_(Case.registered_at >= start, Case.registered_at < end)
    decided = sa.and_(
        Case.status == CaseStatus.DECIDED, Case.closed_at >= start, Case.closed_at < end
    )
    registered_sum = sa.func.sum(sa.case((in_year, 1), else_=0))
    decided_sum = sa.func.sum(sa.case((decided, 1), else_=0))
    pending_sum = sa.func.sum(_pending_at(cut))
    query = (
        sa.select(
            CaseType.code, CaseType.name, registered_sum, decided_sum, pending_sum
        )
        .join(CaseType, CaseType.id == Case.case_type_id)
        .where(Case.court_id.in_(scope.court_ids), Case.registered_at < end)
        .group_by(CaseType.code, CaseType.name)
        .order_by(CaseType.code)
    )
    rows = [
        [code, name, int(reg or 0), int(dec or 0), int(pen or 0)]
        for code, name, reg, dec, pen in db.session.execute(query)
        if reg or dec or pen
    ]
    return PanelData(
        columns=["Kod", "Jenis Kes", "Didaftar", "Diputuskan", "Belum selesai"],
        rows=rows,
        label_columns=2,
        chart="hbar",
    )


def within_charter(scope: Scope) -> PanelData:
    """Per case type: cases resolved in the year, and how many within the period.

    The database groups the resolved cases by case type, court level and the
    local dates of registration and closing; the deadline of each group is
    worked out with the state's calendar, as the reminder engine does.
    """
    start, end = scope.year_bounds()
    registered_on = local_day(Case.registered_at)
    closed_on = local_day(Case.closed_at)
    query = (
        sa.select(
            CaseType.code,
            CaseType.name,
            Court.level,
            registered_on,
            closed_on,
            sa.func.count(),
        )
        .join(CaseType, CaseType.id == Case.case_type_id)
        .join(Court, Court.id == Case.court_id)
        .where(
            Case.court_id.in_(scope.court_ids),
            Case.status.in_(RESOLVED),
            Case.closed_at >= start,
            Case.closed_at < end,
        )
        .group_by(CaseType.code, CaseType.name, Court.level, registered_on, closed_on)
    )
    reminders = current_reminders()
    settings = reminders.rules.get(CHARTER_RULE)
    own_periods = dict(
        db.session.execute(sa.select(CaseType.code, CaseType.resolution_days)).all()
    )
    periods = data_periods(settings) if settings is not None else own_periods
    names: dict[str, str] = {}
    resolved: dict[str, int] = defaultdict(int)
    within: dict[str, int] = defaultdict(int)
    for code, name, level, registered, closed, count in db.session.execute(query):
        names[code] = name
        if settings is not None:
            days, unit = settings.period_for(code, level, periods), settings.unit
        else:
            days, unit = own_periods[code], "calendar"
        deadline = reminders.calendar.add(as_date(registered), days, unit)
        resolved[code] += count
        if as_date(closed) <= deadline:
            within[code] += count
    rows: list[list[Any]] = [
        [
            code,
            names[code],
            resolved[code],
            within[code],
            _percent(within[code], resolved[code]),
        ]
        for code in sorted(resolved)
    ]
    total, total_within = sum(resolved.values()), sum(within.values())
    if rows:
        rows.append(
            ["", "Semua jenis", total, total_within, _percent(total_within, total)]
        )
    return PanelData(
        columns=["Kod", "Jenis Kes", "Selesai", "Dalam tempoh", "Peratus (%)"],
        rows=rows,
        label_columns=2,
        chart_columns=[4],
        chart="hbar",
        note=(
            "Kes selesai (diputuskan, ditarik balik atau dibatalkan) dalam tahun ini;"
            " tempoh mengikut piagam pelanggan bagi jenis kes."
        ),
    )


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def panels() -> list[Panel]:
    """The panels this plugin adds through ``spkms_dashboard_panels``."""
    return [
        Panel("cases.by_month", "Kes mengikut bulan", by_month, order=10),
        Panel("cases.by_case_type", "Kes mengikut jenis kes", by_case_type, order=20),
        Panel(
            "cases.within_charter",
            "Kes selesai dalam tempoh piagam",
            within_charter,
            order=30,
        ),
    ]
