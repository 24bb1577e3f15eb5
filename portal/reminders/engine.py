"""Running the reminder rules: one query per rule and level, never a loop over cases.

For a level and a period, "the deadline has come by today" is the same as
"the record's start date is on or before one cut-off date" (see
``CourtCalendar.latest_start``). The engine works the cut-offs out in
Python, one per distinct period, and hands them to the database as a CASE
over each row's period, so the database does the filtering with an index on
the anchor column. Only the records that newly reached a level come back,
and those are what gets written and told.
"""

# TODO(i18n): reminder notices are written in bulk in Malay (rule titles come from the
#   state profile), not in each reader's language like notify()'s.
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, current_app

from portal.court_calendar import CourtCalendar
from portal.extensions import db
from portal.metrics import record_reminder_run
from portal.notifications import Notification, deliver_later, officers_with_role
from portal.reminders.models import ReminderSent
from portal.reminders.rules import ROLE_AUDIENCES, Level, RuleSettings
from portal.timezone import local_date

logger = logging.getLogger(__name__)

EXTENSION_KEY = "spkms_reminders"


@dataclass
class Reminders:
    """The settled rules and the state's calendar of one app."""

    rules: dict[str, RuleSettings]
    calendar: CourtCalendar
    zone: ZoneInfo


def current_reminders(app: Flask | None = None) -> Reminders:
    return (app or current_app).extensions[EXTENSION_KEY]


@dataclass
class RunReport:
    """What one run did, per rule: records warned, or the error that stopped it."""

    day: date
    sent: dict[str, dict[str, int]] = field(default_factory=dict)
    messages: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(sum(levels.values()) for levels in self.sent.values())


def today_in_state() -> date:
    """Today's date at the courts (Malaysia time), whatever the server's zone."""
    return local_date(datetime.now(UTC))


def run_reminders(today: date | None = None, only: str | None = None) -> RunReport:
    """Evaluate every active rule for ``today`` and warn whoever is due a warning.

    Each rule runs and commits on its own: a rule that raises is rolled back,
    logged with its name and left for the next run, and the others still run.
    Running twice on one day tells nobody anything new.
    """
    registry = current_reminders()
    day = today or today_in_state()
    report = RunReport(day=day)
    for name, settings in registry.rules.items():
        if only is not None and name != only:
            continue
        try:
            counts, messages = _run_rule(settings, registry, day)
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            report.failed[name] = f"{type(exc).__name__}: {exc}"
            logger.exception("reminder rule failed: rule=%s day=%s", name, day)
            continue
        report.sent[name] = counts
        report.messages += messages
        logger.info(
            "reminder rule ran: rule=%s day=%s sent=%s messages=%d",
            name,
            day,
            counts,
            messages,
        )
    # Counted for /metrics in whichever process ran the rules (worker,
    # scheduler or ``spkms reminders run``); see portal/metrics.py.
    record_reminder_run(report)
    return report


def run_job(today: str | None = None) -> dict[str, Any]:
    """The ``reminders.run`` job: the daily run (``today`` as ISO date for tests)."""
    report = run_reminders(date.fromisoformat(today) if today else None)
    return {"day": report.day.isoformat(), "sent": report.sent, "failed": report.failed}


def watched(
    settings: RuleSettings,
    registry: Reminders,
    day: date,
    level: Level,
    narrow: Callable[[sa.Select[Any]], sa.Select[Any]] | None = None,
) -> sa.Subquery:
    """The rule's records at or past ``level`` on ``day``, as a subquery.

    ``narrow`` changes the rule's query first: a screen passes the access
    check's scope there, the daily run sees every court.
    """
    query = settings.rule.query()
    base = (narrow(query) if narrow else query).subquery("watched")
    periods, period_expr = _period_expression(settings, base)
    offset = settings.offset(level)
    cutoffs = {
        period: _cutoff(registry, settings, day, period + offset) for period in periods
    }
    if len(cutoffs) == 1:
        cutoff_expr: Any = _literal(settings, next(iter(cutoffs.values())))
    else:
        cutoff_expr = sa.case(
            {period: _literal(settings, value) for period, value in cutoffs.items()},
            value=period_expr,
        )
    if settings.rule.anchor_is_date:
        reached = base.c.anchor <= cutoff_expr
    else:
        reached = base.c.anchor < cutoff_expr
    return sa.select(base).where(reached).subquery("due")


def _run_rule(
    settings: RuleSettings, registry: Reminders, day: date
) -> tuple[dict[str, int], int]:
    counts: dict[str, int] = {}
    messages = 0
    role_cache: dict[tuple[str, int | None], list[int]] = {}
    periods_data = data_periods(settings)
    # The highest level first: a record that is already past escalation on
    # its first run hears of that, not of every level it skipped.
    for level in sorted(settings.levels(), key=lambda lv: -lv.rank):
        due = watched(settings, registry, day, level)
        round_col = due.c.get("round")
        round_value: Any = (
            sa.func.coalesce(sa.cast(round_col, sa.String), "")
            if round_col is not None
            else sa.literal("")
        )
        told = (
            sa.select(ReminderSent.id)
            .where(
                ReminderSent.rule == settings.name,
                ReminderSent.subject_id == due.c.subject_id,
                ReminderSent.round == round_value,
                ReminderSent.rank >= level.rank,
            )
            .exists()
        )
        rows = db.session.execute(
            sa.select(due, round_value.label("round_key")).where(~told)
        ).mappings()
        sent_rows: list[dict[str, Any]] = []
        notes: list[dict[str, Any]] = []
        for row in rows:
            deadline = deadline_of(settings, registry, row, periods_data)
            recipients = _recipients(settings, level, row, role_cache)
            sent_rows.append(
                {
                    "rule": settings.name,
                    "subject_id": row["subject_id"],
                    "round": row["round_key"],
                    "level": level.name,
                    "rank": level.rank,
                    "court_id": row["court_id"],
                    "deadline": deadline,
                    "recipients": len(recipients),
                }
            )
            subject, body = _message(settings, level, row, deadline, day)
            notes.extend(
                {
                    "user_id": user_id,
                    "subject": subject,
                    "body": body,
                    "link": row["link"],
                }
                for user_id in recipients
            )
        if sent_rows:
            # Core executemany: the driver batches it (psycopg's pipeline).
            db.session.execute(sa.insert(ReminderSent.__table__), sent_rows)
            _refresh_statistics(len(sent_rows))
        if notes:
            table = Notification.__table__
            ids = list(
                db.session.execute(
                    sa.insert(table).returning(table.c.id), notes
                ).scalars()
            )
            deliver_later(ids)
        counts[level.name] = len(sent_rows)
        messages += len(notes)
    return counts, messages


#: Rows written in one go after which PostgreSQL's statistics are refreshed.
ANALYZE_AFTER_ROWS = 1000


def _refresh_statistics(written: int) -> None:
    """Let PostgreSQL's planner see a large batch of ``reminder_sent`` at once.

    Right after a first run writes thousands of rows, autovacuum has not yet
    analysed the table; the planner then still believes it nearly empty and
    checks "already told?" by scanning it once per record (measured: 2 s for
    5,000 cases instead of 13 ms). ANALYZE of one table is cheap and may run
    inside the transaction.
    """
    if written >= ANALYZE_AFTER_ROWS and db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE reminder_sent"))


def _period_expression(
    settings: RuleSettings, base: sa.Subquery
) -> tuple[set[int], Any]:
    """Every period a row may have, and the SQL that picks a row's period."""
    data = data_periods(settings)
    case_type = base.c.get("case_type")
    court_level = base.c.get("court_level")
    expr: Any = sa.literal(settings.days)
    periods = {settings.days}
    if data and case_type is not None:
        expr = sa.case(data, value=case_type, else_=expr)
        periods |= set(data.values())
    if settings.by_level and court_level is not None:
        expr = sa.case(settings.by_level, value=court_level, else_=expr)
        periods |= set(settings.by_level.values())
    if settings.by_case_type and case_type is not None:
        expr = sa.case(settings.by_case_type, value=case_type, else_=expr)
        periods |= set(settings.by_case_type.values())
    return periods, expr


def data_periods(settings: RuleSettings) -> dict[str, int]:
    """The per-case-type periods the rule holds as data (read per run)."""
    loader = settings.rule.periods_by_case_type
    return loader() if loader is not None else {}


def _cutoff(
    registry: Reminders, settings: RuleSettings, day: date, days: int
) -> date | datetime:
    """The latest anchor that has reached ``days`` by ``day``, in the anchor's type.

    A moment anchor (registration time) is compared before the next local
    midnight, converted to UTC as the database stores it.
    """
    latest = registry.calendar.latest_start(day, days, settings.unit)
    if settings.rule.anchor_is_date:
        return latest
    midnight = datetime.combine(latest + timedelta(days=1), time(), registry.zone)
    return midnight.astimezone(UTC)


def _literal(settings: RuleSettings, value: date | datetime) -> Any:
    kind = sa.Date() if settings.rule.anchor_is_date else sa.DateTime(timezone=True)
    return sa.literal(value, kind)


def deadline_of(
    settings: RuleSettings,
    registry: Reminders,
    row: Any,
    periods: dict[str, int],
) -> date:
    """A row's deadline; ``periods`` is ``data_periods(settings)``, read once."""
    period = settings.period_for(row.get("case_type"), row.get("court_level"), periods)
    anchor = row["anchor"]
    start = anchor if settings.rule.anchor_is_date else local_date(anchor)
    return registry.calendar.add(start, period, settings.unit)


def _recipients(
    settings: RuleSettings,
    level: Level,
    row: Any,
    cache: dict[tuple[str, int | None], list[int]],
) -> list[int]:
    found: set[int] = set()
    for audience in settings.notify.get(level.name, ()):
        if audience in ROLE_AUDIENCES:
            role, per_court = ROLE_AUDIENCES[audience]
            key = (role, row["court_id"] if per_court else None)
            if key not in cache:
                cache[key] = officers_with_role(role, key[1])
            found.update(cache[key])
        else:
            user_id = row.get(f"{audience}_user_id")
            if user_id is not None:
                found.add(user_id)
    return sorted(found)


def _message(
    settings: RuleSettings, level: Level, row: Any, deadline: date, day: date
) -> tuple[str, str]:
    """The inbox subject and body, in Malay, naming the record and the deadline."""
    subject = f"{level.label}: {settings.rule.title} - {row['label']}"
    late = (day - deadline).days
    if late > 0:
        when = f"lewat {late} hari"
    elif late == 0:
        when = "tarikh akhir hari ini"
    else:
        when = f"{-late} hari lagi"
    body = f"Tarikh akhir {deadline:%d/%m/%Y} ({when})."
    return subject, body
