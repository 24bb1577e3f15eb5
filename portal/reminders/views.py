"""Kes Hampir & Lewat Tempoh: an officer's records nearing or past a deadline.

The same rule queries as the daily run, at the warning level and without the
once-only filter, narrowed by the one access check to what the officer may
see. A judge sees the cases allocated to them; a registrar their courts'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Response, g, request
from flask_appbuilder import BaseView, expose, has_access

from portal.exports import to_csv
from portal.extensions import db
from portal.reminders.engine import (
    current_reminders,
    data_periods,
    deadline_of,
    today_in_state,
    watched,
)
from portal.reminders.rules import LEVELS, RuleSettings
from portal.security import access

#: At most this many rows per rule on the screen, the latest first.
ROWS_PER_RULE = 500


@dataclass(frozen=True)
class Due:
    """One line of the list."""

    rule: str
    label: str
    link: str
    court_id: int
    deadline: date
    days_late: int
    level: str


def due_for_viewer(day: date, *, mine_only: bool) -> list[Due]:
    """Every watched record the viewer may see that has reached its warning.

    Sorted by how late it is, the latest first. ``mine_only`` keeps the rows
    whose ``judge_user_id`` is the viewer (a judge's own cases).
    """
    registry = current_reminders()
    user_id = getattr(g.get("user"), "id", None)
    found: list[Due] = []
    for settings in registry.rules.values():
        model = settings.rule.scope_model
        if model is None:
            continue

        def narrow(query: sa.Select[Any], model: type = model) -> sa.Select[Any]:
            return access.scoped(query, model)

        levels = settings.levels()
        if not levels:
            continue
        data = data_periods(settings)
        due = watched(settings, registry, day, levels[0], narrow)
        query = sa.select(due).order_by(due.c.anchor).limit(ROWS_PER_RULE)
        if mine_only and "judge_user_id" in due.c:
            query = query.where(due.c.judge_user_id == user_id)
        for row in db.session.execute(query).mappings():
            deadline = deadline_of(settings, registry, row, data)
            found.append(
                Due(
                    rule=settings.rule.title,
                    label=row["label"],
                    link=row["link"],
                    court_id=row["court_id"],
                    deadline=deadline,
                    days_late=(day - deadline).days,
                    level=_level_label(settings, day, deadline),
                )
            )
    found.sort(key=lambda due: (-due.days_late, due.label))
    return found


def _level_label(settings: RuleSettings, day: date, deadline: date) -> str:
    late = (day - deadline).days
    if late < 0:
        return LEVELS[0].label
    if settings.escalate_after_days and late >= settings.escalate_after_days:
        return LEVELS[2].label
    return LEVELS[1].label


class DeadlinesView(BaseView):
    """The list itself, with a CSV of the same rows."""

    route_base = "/deadlines"
    default_view = "list"
    base_permissions = ["can_list", "can_csv"]

    def _rows(self) -> tuple[list[Due], bool]:
        is_judge = any(role.name == "Judge" for role in g.user.roles)
        mine_only = request.args.get("semua") != "1" and is_judge
        return due_for_viewer(today_in_state(), mine_only=mine_only), mine_only

    @expose("/")
    @has_access
    def list(self) -> Any:
        rows, mine_only = self._rows()
        from portal.models import Court

        courts = dict(db.session.execute(sa.select(Court.id, Court.name)).all())
        return self.render_template(
            "spkms/deadlines.html",
            rows=rows,
            courts=courts,
            mine_only=mine_only,
            today=today_in_state(),
        )

    @expose("/csv")
    @has_access
    def csv(self) -> Response:
        rows, _ = self._rows()
        text = to_csv(
            ["Perkara", "Rujukan", "Tarikh Akhir", "Hari Lewat", "Tahap"],
            (
                [r.rule, r.label, r.deadline.isoformat(), r.days_late, r.level]
                for r in rows
            ),
        )
        return Response(
            text,
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=tempoh-kes.csv"},
        )
