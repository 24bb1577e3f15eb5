"""Screens that print: pick a court, date and courtroom for the cause list, and
download a case's summary from the case screen.

Both answer *not found* for a court or case outside the officer's scope; the
documents themselves are built by ``plugins.cases.printing``.
"""

# TODO(i18n): the case summary's labels are Malay only; the cause list is translated.
from __future__ import annotations

import logging
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Response, request
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name

from plugins.cases import printing
from portal.extensions import db
from portal.i18n import N_
from portal.models import Court
from portal.reminders.engine import today_in_state
from portal.security import access

logger = logging.getLogger(__name__)

MENU_NAME = N_("Senarai Sebutan & Bicara")


class DateError(ValueError):
    """The ``tarikh`` the screen was given is not a date."""


def _my_courts() -> list[Court]:
    allowed = access.allowed_court_ids()
    query = sa.select(Court).where(Court.active).order_by(Court.code)
    if allowed is not None:
        query = query.where(Court.id.in_(sorted(allowed)))
    return list(db.session.scalars(query))


def _day(value: str | None) -> date:
    if not value:
        return today_in_state()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise DateError(value) from exc


def _pdf(content: bytes, filename: str) -> Response:
    return Response(
        content,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _not_found(view: BaseView) -> tuple[str, int]:
    return view.render_template("spkms/not_found.html"), 404


class CauseListView(BaseView):
    """Senarai Sebutan & Bicara: choose a court, a day and a room; print it."""

    route_base = "/cause-list"
    default_view = "choose"
    base_permissions = ["can_cause_list"]

    def _listing(self) -> printing.CauseList:
        """The list the query string asks for (raises ``OutOfScope``, ``DateError``)."""
        courts = _my_courts()
        code = request.args.get("mahkamah") or (courts[0].code if courts else "")
        court = printing.court_in_scope(code, action="cause_list")
        day = _day(request.args.get("tarikh"))
        return printing.cause_list(court, day, request.args.get("bilik") or None)

    @expose("/")
    @has_access
    @permission_name("cause_list")
    def choose(self) -> Any:
        try:
            listing = self._listing()
        except access.OutOfScope:
            return _not_found(self)
        except DateError as exc:
            return (
                self.render_template(
                    "cases/cause_list.html",
                    courts=_my_courts(),
                    listing=None,
                    error=f"Tarikh: '{exc}' bukan tarikh seperti 2026-12-03",
                ),
                422,
            )
        return self.render_template(
            "cases/cause_list.html", courts=_my_courts(), listing=listing, error=None
        )

    @expose("/pdf")
    @has_access
    @permission_name("cause_list")
    def pdf(self) -> Any:
        try:
            listing = self._listing()
        except access.OutOfScope:
            return _not_found(self)
        except DateError as exc:
            return Response(
                f"tarikh: '{exc}' bukan tarikh seperti 2026-12-03\n",
                status=422,
                mimetype="text/plain",
            )
        room = f"-{listing.courtroom}" if listing.courtroom else ""
        name = f"senarai-kes-{listing.court.code}-{listing.day.isoformat()}{room}.pdf"
        return _pdf(printing.cause_list_pdf(listing), name.replace(" ", "_"))


class CaseSummaryView(BaseView):
    """Ringkasan Kes: one case on A4, linked from the case screen."""

    route_base = "/case-print"
    base_permissions = ["can_summary"]

    @expose("/<int:pk>/summary")
    @has_access
    @permission_name("summary")
    def summary(self, pk: int) -> Any:
        try:
            case = printing.case_for_summary(pk)
        except access.OutOfScope:
            return _not_found(self)
        return _pdf(
            printing.case_summary_pdf(case), f"ringkasan-{case.case_number}.pdf"
        )


def register(appbuilder: AppBuilder) -> None:
    """Add the cause list under the Kes menu and the summary route."""
    appbuilder.add_view(CauseListView, MENU_NAME, category=N_("Kes"))
    appbuilder.add_view_no_menu(CaseSummaryView)
