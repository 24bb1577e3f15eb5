"""The reminder engine's dashboard panel: records past their deadline today.

Counted with the engine's own query per rule (``engine.watched``) at the
overdue and escalation levels, grouped by court in the database, so the
dashboard and the daily warnings agree on what is late.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from portal.dashboard import Panel, PanelData, Scope
from portal.extensions import db
from portal.models import Court
from portal.reminders.engine import current_reminders, watched
from portal.reminders.rules import ESCALATION, OVERDUE


def _late_by_court(scope: Scope, rule: str, level: Any) -> dict[int, int]:
    registry = current_reminders()
    settings = registry.rules[rule]

    def narrow(query: sa.Select[Any]) -> sa.Select[Any]:
        return query.where(query.selected_columns.court_id.in_(scope.court_ids))

    due = watched(settings, registry, scope.today, level, narrow)
    counted = sa.select(due.c.court_id, sa.func.count()).group_by(due.c.court_id)
    return dict(db.session.execute(counted).all())


def overdue(scope: Scope) -> PanelData:
    """Per rule and court: records past their deadline, and past escalation."""
    registry = current_reminders()
    codes = dict(
        db.session.execute(
            sa.select(Court.id, Court.code).where(Court.id.in_(scope.court_ids))
        ).all()
    )
    rows = []
    for name, settings in registry.rules.items():
        late = _late_by_court(scope, name, OVERDUE)
        escalated = _late_by_court(scope, name, ESCALATION)
        for court_id in sorted(late, key=lambda c: codes.get(c, "")):
            rows.append(
                [
                    settings.rule.title,
                    codes.get(court_id, str(court_id)),
                    late[court_id],
                    escalated.get(court_id, 0),
                ]
            )
    return PanelData(
        columns=["Perkara", "Mahkamah", "Lewat tempoh", "Melepasi eskalasi"],
        rows=rows,
        label_columns=2,
        chart="hbar",
        note="Pada hari ini; senarai penuh di Kes Hampir & Lewat Tempoh.",
    )


def panels() -> list[Panel]:
    """The panel the host's reminder engine adds through ``spkms_dashboard_panels``."""
    return [Panel("reminders.overdue", "Lewat tempoh", overdue, order=50)]
