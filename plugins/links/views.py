"""The links officer's screens and a case's agency page.

``AgencyMessageView`` lists every exchange by agency and state with its
payload and answer; its actions send a failed or parked message again or set
a waiting one aside. ``LinksDeskView`` holds the per-agency health page and
the agency page of a case (identity checks, warrants, travel restrictions,
legal-aid referrals, with the forms that start them). Rules live in
``services``; the case is looked up through the one access check.
"""

# TODO(i18n): the System Links screens and templates are Malay only; only their menu
#   names are in the catalogs.
from __future__ import annotations

import json
import logging
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, request
from flask_appbuilder import AppBuilder, BaseView, action, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from markupsafe import Markup, escape

from plugins.cases.models import Case
from plugins.links import services
from plugins.links.models import (
    AgencyMessage,
    IdentityCheck,
    LegalAidReferral,
    TravelRestriction,
    Warrant,
)
from portal.extensions import db
from portal.i18n import N_
from portal.security import access
from portal.timezone import show_local
from portal.views import ScopedModelView

logger = logging.getLogger(__name__)


def _pretty(value: Any) -> Markup:
    """JSON as an indented, escaped block for the show page."""
    if value is None:
        return Markup("-")
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    return Markup("<pre>") + escape(text) + Markup("</pre>")


class AgencyMessageView(ScopedModelView):
    """Mesej Agensi: every outgoing and incoming exchange, newest first."""

    datamodel = SQLAInterface(AgencyMessage)
    route_base = "/agency-messages"
    list_title = "Mesej Agensi"
    show_title = "Mesej Agensi"
    # Messages are written only by the delivery and the inbound endpoint;
    # officers read them and act through the two actions below.
    exclude_route_methods = {"add", "edit", "delete", "download"}
    list_columns = [
        "id",
        "agency",
        "flow",
        "direction",
        "case_number",
        "state_label",
        "attempts",
        "next_attempt_at",
        "created_at",
    ]
    show_columns = [
        "id",
        "agency",
        "flow",
        "direction",
        "case_number",
        "court",
        "idempotency_key",
        "state_label",
        "attempts",
        "next_attempt_at",
        "last_error",
        "payload",
        "answer",
        "reply_to",
        "created_at",
        "sent_at",
        "answered_at",
    ]
    search_columns = ["agency", "flow", "direction", "state", "idempotency_key"]
    order_columns = ["id", "agency", "flow", "created_at", "attempts"]
    base_order = ("id", "desc")
    label_columns = {
        "id": "No.",
        "agency": "Agensi",
        "flow": "Aliran",
        "direction": "Arah",
        "case_number": "Nombor Kes",
        "court": "Mahkamah",
        "idempotency_key": "Kunci Idempoten",
        "state": "Status",
        "state_label": "Status",
        "attempts": "Cubaan",
        "next_attempt_at": "Cubaan Seterusnya",
        "last_error": "Ralat Terakhir",
        "payload": "Kandungan",
        "answer": "Jawapan Agensi",
        "reply_to": "Menjawab Mesej",
        "created_at": "Dicipta",
        "sent_at": "Dihantar",
        "answered_at": "Dijawab",
    }
    formatters_columns = {
        "payload": _pretty,
        "answer": _pretty,
        "next_attempt_at": show_local,
        "created_at": show_local,
        "sent_at": show_local,
        "answered_at": show_local,
    }

    @action("retry", "Hantar Semula", "Hantar semula mesej yang dipilih?", "fa-refresh")
    def retry(self, items: Any) -> Any:
        """Send failed or parked outgoing messages again, at the head of their queue."""
        for item in items if isinstance(items, list) else [items]:
            try:
                services.retry_by_hand(item)
                flash(f"Mesej {item.id} dihantar semula", "success")
            except services.LinksError as exc:
                db.session.rollback()
                flash(f"Mesej {item.id}: {exc}", "danger")
        return redirect(self.get_redirect())

    @action(
        "dead_letter",
        "Ketepikan",
        "Ketepikan mesej yang dipilih? Ia tidak akan dihantar.",
        "fa-ban",
    )
    def dead_letter(self, items: Any) -> Any:
        """Park waiting outgoing messages so they are never sent."""
        for item in items if isinstance(items, list) else [items]:
            try:
                services.dead_letter_by_hand(item, "diketepikan melalui skrin")
                flash(f"Mesej {item.id} diketepikan", "success")
            except services.LinksError as exc:
                db.session.rollback()
                flash(f"Mesej {item.id}: {exc}", "danger")
        return redirect(self.get_redirect())


class LinksDeskView(BaseView):
    """Kesihatan Rangkaian and the agency page of a case."""

    route_base = "/links"
    default_view = "health"
    base_permissions = ["can_health", "can_case", "can_request"]

    @expose("/health")
    @has_access
    def health(self) -> Any:
        """Per agency: last success, backlog, parked, error rate (24 hours)."""
        return self.render_template(
            "links/health.html", rows=services.health(), local_time=show_local
        )

    def _case(self, case_id: int, action_name: str) -> Case:
        case = db.session.get(Case, case_id)
        if case is None:
            abort(404)
        try:
            access.check(case, action=action_name)
        except access.OutOfScope:
            abort(404)
        return case

    @expose("/case/<int:case_id>")
    @has_access
    def case(self, case_id: int) -> Any:
        """What the agencies said about a case and its parties."""
        case = self._case(case_id, "read")

        def of(model: type) -> list[Any]:
            return list(
                db.session.scalars(
                    sa.select(model).where(model.case_id == case.id).order_by(model.id)
                )
            )

        return self.render_template(
            "links/case.html",
            case=case,
            checks=of(IdentityCheck),
            warrants=of(Warrant),
            restrictions=of(TravelRestriction),
            referrals=of(LegalAidReferral),
            parties=[(link.party_id, str(link.party)) for link in case.parties],
            referral_kinds=services.REFERRAL_KINDS,
            local_time=show_local,
        )

    @expose("/case/<int:case_id>/<string:what>", methods=["POST"])
    @has_access
    def request(self, case_id: int, what: str) -> Any:
        """Start a warrant, a travel restriction (or its lifting) or a referral."""
        case = self._case(case_id, what)
        form = request.form
        party = form.get("party_id", "")
        party_id = int(party) if party.isdigit() else 0
        try:
            if what == "warrant":
                services.request_warrant(case, party_id, form.get("reason", ""))
            elif what == "travel_restriction":
                services.request_travel_restriction(
                    case, party_id, form.get("reason", "")
                )
            elif what == "lift":
                restriction = db.session.get(
                    TravelRestriction, int(form.get("restriction_id", "0") or 0)
                )
                if restriction is None or restriction.case_id != case.id:
                    abort(404)
                services.lift_travel_restriction(restriction, form.get("reason", ""))
            elif what == "referral":
                services.refer_legal_aid(case, party_id, form.get("kind", ""))
            else:
                abort(404)
            flash("Permintaan dihantar kepada agensi", "success")
        except services.LinksError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return redirect(f"/links/case/{case.id}")


#: Makes ``plugins/links/templates`` visible to Flask's template loader.
templates = Blueprint("links_templates", __name__, template_folder="templates")


def register(appbuilder: AppBuilder) -> None:
    """Add the links officer's screens under the Rangkaian Agensi menu."""
    from flask import current_app

    if "links_templates" not in current_app.blueprints:
        current_app.register_blueprint(templates)
    category = N_("Rangkaian Agensi")
    appbuilder.add_view(AgencyMessageView, N_("Mesej Agensi"), category=category)
    appbuilder.add_view(LinksDeskView, N_("Kesihatan Rangkaian"), category=category)
