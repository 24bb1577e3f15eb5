"""Officers' allocation screens: override one case, rebalance a judge, fairness.

These are plain screens over services, not model views: every record they
show is reached through the one access check (``access.check`` on the case,
``access.allowed_court_ids`` for courts), and every refusal of a rule comes
back from the service as ``AllocationError`` and is shown with its field.
"""

# TODO(i18n): the override, rebalance and fairness screens and their templates are Malay
#   only.
from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access

from plugins.allocation import fairness, overrides, rebalance, services
from portal.extensions import db
from portal.models import Court, Judge, utcnow
from portal.security import access

logger = logging.getLogger(__name__)


def _my_courts() -> list[Court]:
    allowed = access.allowed_court_ids()
    return list(
        db.session.scalars(
            sa.select(Court)
            .where(True if allowed is None else Court.id.in_(sorted(allowed)))
            .order_by(Court.code)
        )
    )


def _court_from_args(courts: list[Court]) -> Court:
    """The court named by ``?court=``, or the first; 404 outside the scope."""
    if not courts:
        abort(404)
    code = request.values.get("court", courts[0].code)
    court = next((c for c in courts if c.code == code), None)
    if court is None:
        abort(404)
    return court


def _judge_names(judge_ids: list[int]) -> dict[int, str]:
    if not judge_ids:
        return {}
    return {
        j.id: str(j)
        for j in db.session.scalars(sa.select(Judge).where(Judge.id.in_(judge_ids)))
    }


def _whole(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


class OverrideView(BaseView):
    """One case's allocation: its records, and the override form."""

    route_base = "/allocation/override"
    default_view = "form"

    def _case(self, case_id: int) -> Any:
        from plugins.cases.models import Case

        case = db.session.get(Case, case_id)
        if case is None:
            abort(404)
        try:
            access.check(case)
        except access.OutOfScope:
            abort(404)
        return case

    @expose("/", methods=["GET"])
    @expose("/<int:case_id>", methods=["GET", "POST"])
    @has_access
    def form(self, case_id: int | None = None) -> Any:
        from plugins.cases.models import Case

        if case_id is None:
            number = (request.args.get("nombor") or "").strip()
            found = None
            if number:
                found = db.session.scalar(
                    access.scoped(
                        sa.select(Case.id).where(Case.case_number == number), Case
                    )
                )
            if found is not None:
                return redirect(url_for("OverrideView.form", case_id=found))
            return self.render_template(
                "allocation/override.html", case=None, number=number
            )
        case = self._case(case_id)
        error: services.AllocationError | None = None
        status = 200
        if request.method == "POST":
            try:
                overrides.override_to_eligible(
                    db.session,
                    case,
                    _whole(request.form.get("judge_id")),
                    request.form.get("reason_code", ""),
                    request.form.get("reason_text", ""),
                    g.user,
                )
                return redirect(url_for("OverrideView.form", case_id=case.id, done=1))
            except services.AllocationError as exc:
                db.session.rollback()
                logger.info(
                    "override refused on screen: case id=%s user=%s %s: %s",
                    case_id,
                    g.user.id,
                    exc.field,
                    exc.rule,
                )
                error, status = exc, 400
                case = self._case(case_id)
        refusal = None
        try:
            services.check_may_override(g.user)
        except services.OverrideRefused as exc:
            refusal = exc
        eligible, excluded = overrides.override_choices(db.session, case)
        names = _judge_names(eligible + [row["judge_id"] for row in excluded])
        from plugins.allocation.models import AllocationRecord

        records = list(
            db.session.scalars(
                sa.select(AllocationRecord)
                .where(AllocationRecord.case_id == case.id)
                .order_by(AllocationRecord.id)
            )
        )
        page = self.render_template(
            "allocation/override.html",
            case=case,
            records=records,
            eligible=[(j, names.get(j, str(j))) for j in eligible],
            excluded=[
                (names.get(r["judge_id"], str(r["judge_id"])), r["why"])
                for r in excluded
            ],
            labels=services.EXCLUSION_LABELS,
            reasons=services.OVERRIDE_REASONS,
            refusal=refusal,
            error=error,
            form=request.form,
            done=request.args.get("done"),
        )
        return page, status


class RebalanceView(BaseView):
    """The registrar's rebalance: choose a judge, preview the moves, apply."""

    route_base = "/allocation/rebalance"
    default_view = "show"

    def _judges(self, court: Court) -> list[tuple[int, str]]:
        ids = list(
            db.session.scalars(
                sa.select(Judge.id).where(Judge.court_id == court.id).order_by(Judge.id)
            )
        )
        names = _judge_names(ids)
        return [(j, names[j]) for j in ids]

    def _render(self, status: int = 200, **extra: Any) -> Any:
        courts = _my_courts()
        court = _court_from_args(courts)
        judges = self._judges(court)
        judge_id = _whole(request.values.get("judge_id"))
        if judge_id is not None and judge_id not in dict(judges):
            abort(404)
        moves = (
            rebalance.preview_rebalance(db.session, judge_id)
            if judge_id is not None
            else []
        )
        names = _judge_names(
            [m.to_judge_id for m in moves if m.to_judge_id is not None]
        )
        page = self.render_template(
            "allocation/rebalance.html",
            courts=courts,
            court=court,
            judges=judges,
            judge_id=judge_id,
            moves=moves,
            names=names,
            **extra,
        )
        return page, status

    @expose("/", methods=["GET"])
    @has_access
    def show(self) -> Any:
        return self._render(applied=_whole(request.args.get("applied")))

    @expose("/apply", methods=["POST"])
    @has_access
    def apply(self) -> Any:
        courts = _my_courts()
        court = _court_from_args(courts)
        judge_id = _whole(request.form.get("judge_id"))
        if judge_id is None or judge_id not in dict(self._judges(court)):
            abort(404)
        try:
            records = rebalance.apply_rebalance(
                judge_id, g.user, reason_text=request.form.get("reason_text", "")
            )
        except services.AllocationError as exc:
            db.session.rollback()
            return self._render(400, error=exc)
        return redirect(
            url_for(
                "RebalanceView.show",
                court=court.code,
                judge_id=judge_id,
                applied=len(records),
            )
        )


class FairnessView(BaseView):
    """Each judge's share of a court's draws against the expected share."""

    route_base = "/allocation/fairness"
    default_view = "show"

    def _report(self) -> tuple[list[Court], Court, fairness.FairnessReport]:
        courts = _my_courts()
        court = _court_from_args(courts)
        today = services.local_date(utcnow())
        try:
            end = date.fromisoformat(request.args.get("hingga") or today.isoformat())
            start = date.fromisoformat(
                request.args.get("dari") or (end - timedelta(days=90)).isoformat()
            )
        except ValueError:
            abort(400, "dari / hingga: tarikh mesti YYYY-MM-DD")
        try:
            report = fairness.fairness_report(db.session, court.id, start, end)
        except services.AllocationError as exc:
            abort(400, f"{exc.field}: {exc.rule}")
        return courts, court, report

    @expose("/", methods=["GET"])
    @has_access
    def show(self) -> str:
        courts, court, report = self._report()
        return self.render_template(
            "allocation/fairness.html", courts=courts, court=court, report=report
        )

    @expose("/csv", methods=["GET"])
    @has_access
    def csv(self) -> Response:
        _courts, court, report = self._report()
        name = f"keadilan-{court.code}-{report.start}-{report.end}.csv"
        return Response(
            fairness.as_csv(report),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
