"""Papan Pemuka: the dashboard screen and the CSV of each panel.

``?mahkamah=`` picks one court by code, or ``semua`` for every court the
viewer may see (the whole state for the chief registrar); ``?tahun=`` picks
the year. A court outside the viewer's scope answers *not found* and the
attempt is logged by the access check.
"""

# TODO(i18n): the dashboard's panels and chart labels are Malay only; only its menu name
#   is in the catalogs.
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, request
from flask_appbuilder import BaseView, expose, has_access
from markupsafe import Markup

from portal.dashboard import Panel, PanelData, Scope, charts, panels
from portal.extensions import db
from portal.models import Court
from portal.reminders.engine import today_in_state
from portal.security import access

logger = logging.getLogger(__name__)

ALL_COURTS = "semua"
EARLIEST_YEAR = 1980


class ChoiceError(ValueError):
    """A dashboard choice that is not valid; ``field`` names it in Malay."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


@dataclass(frozen=True)
class Shown:
    """A panel as the page shows it."""

    panel: Panel
    data: PanelData
    chart: Markup


def _my_courts() -> list[Court]:
    allowed = access.allowed_court_ids()
    query = sa.select(Court).order_by(Court.code)
    if allowed is not None:
        query = query.where(Court.id.in_(sorted(allowed)))
    return list(db.session.scalars(query))


def scope_from_request() -> tuple[Scope, list[Court], str]:
    """The scope the query string asks for, the viewer's courts and the choice.

    :raises ChoiceError: a year that is not a year in range.
    :raises access.OutOfScope: a court the viewer may not see.
    """
    courts = _my_courts()
    today = today_in_state()
    raw_year = request.args.get("tahun", "").strip()
    if raw_year:
        if not raw_year.isdigit() or not EARLIEST_YEAR <= int(raw_year) <= today.year:
            raise ChoiceError(
                "tahun", f"mesti tahun antara {EARLIEST_YEAR} dan {today.year}"
            )
        year = int(raw_year)
    else:
        year = today.year
    statewide = access.allowed_court_ids() is None
    default = ALL_COURTS if statewide or len(courts) != 1 else courts[0].code
    choice = request.args.get("mahkamah", default).strip() or default
    if choice == ALL_COURTS:
        chosen = [court.id for court in courts]
    else:
        court = next((c for c in courts if c.code == choice), None)
        if court is None:
            access.deny(
                Court.__tablename__, choice, access.current_viewer(), action="dashboard"
            )
        chosen = [court.id]
    if not chosen:
        access.deny(
            Court.__tablename__, choice, access.current_viewer(), action="dashboard"
        )
    scope = Scope(
        court_ids=tuple(chosen),
        year=year,
        today=today,
        statewide=statewide and choice == ALL_COURTS,
    )
    return scope, courts, choice


class DashboardView(BaseView):
    """Every panel of every plugin, for the chosen courts and year."""

    route_base = "/dashboard"
    default_view = "show"
    base_permissions = ["can_show", "can_csv"]

    @expose("/")
    @has_access
    def show(self) -> Any:
        try:
            scope, courts, choice = scope_from_request()
        except access.OutOfScope:
            return self.render_template("spkms/not_found.html"), 404
        except ChoiceError as exc:
            return (
                self.render_template(
                    "spkms/dashboard.html",
                    error=exc,
                    shown=[],
                    courts=_my_courts(),
                    choice=request.args.get("mahkamah", ""),
                    year=today_in_state().year,
                    all_courts=ALL_COURTS,
                ),
                422,
            )
        shown = []
        for panel in panels():
            data = panel.build(scope)
            shown.append(
                Shown(
                    panel,
                    data,
                    charts.chart(data.chart, data.labels(), data.series(), panel.title),
                )
            )
        return self.render_template(
            "spkms/dashboard.html",
            error=None,
            shown=shown,
            courts=courts,
            choice=choice,
            year=scope.year,
            all_courts=ALL_COURTS,
        )

    @expose("/csv/<key>")
    @has_access
    def csv(self, key: str) -> Any:
        panel = next((p for p in panels() if p.key == key), None)
        if panel is None:
            abort(404)
        try:
            scope, _courts, choice = scope_from_request()
        except access.OutOfScope:
            abort(404)
        except ChoiceError as exc:
            return Response(f"{exc}\n", status=422, mimetype="text/plain")
        data = panel.build(scope)
        name = f"{panel.key}-{choice}-{scope.year}.csv".replace(" ", "_")
        logger.info(
            "dashboard csv: panel=%s courts=%s year=%s rows=%d",
            panel.key,
            choice,
            scope.year,
            len(data.rows),
        )
        return Response(
            data.csv(),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
