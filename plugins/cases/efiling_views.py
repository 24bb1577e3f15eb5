"""The registrar's e-filing screens: the court's filings, accept or return.

The list and show pages are a ``ScopedModelView``, so a registrar sees only
the filings of the courts they are posted to; the accept and return buttons
post to routes of the same view, which ask the one access check before
calling ``efiling.accept_efiling`` / ``return_efiling``. ``register`` also
adds the public pages (``plugins.cases.public``).
"""

# TODO(i18n): the registrar's e-filing review screens and their flashes are Malay only
#   (the public e-filing pages are translated).
from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, g, redirect, request
from flask_appbuilder import AppBuilder, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name

from plugins.cases import efiling
from plugins.cases.efiling import EFiling
from plugins.cases.services import CaseError
from portal.extensions import db
from portal.i18n import N_
from portal.security import access
from portal.views import ScopedModelView

logger = logging.getLogger(__name__)

MENU_NAME = N_("e-Failing")
MENU_CATEGORY = N_("Kes")


def _local_time(value: datetime | None) -> str:
    """A stored time as Malaysia (the state's) time on screen."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    zone = ZoneInfo(current_app.extensions["spkms"].profile.timezone)
    return aware.astimezone(zone).strftime("%d/%m/%Y %H:%M")


def _or_dash(value: Any) -> Any:
    """An empty optional field as a dash rather than FAB's ``None``."""
    return "—" if value is None or value == "" else value


#: Optional columns of a filing, shown with a dash when empty.
OPTIONAL_COLUMNS = (
    "summary",
    "applicant_email",
    "respondent_name",
    "respondent_identity_display",
    "respondent_nationality",
    "return_reason",
    "decided_by",
    "case",
)


class EFilingView(ScopedModelView):
    """e-Failing: cases filed online at the officer's courts, to accept or return."""

    datamodel = SQLAInterface(EFiling)
    route_base = "/efilings"
    list_title = "e-Failing"
    show_title = "Butiran e-Failing"
    base_permissions = ["can_list", "can_show", "can_accept", "can_return"]
    # Filings come from the public form and are never edited or removed here.
    exclude_route_methods = {"add", "edit", "delete", "download"}
    list_columns = [
        "reference",
        "created_at",
        "court",
        "case_type",
        "applicant_name",
        "state_label",
        "case",
    ]
    show_columns = [
        "reference",
        "created_at",
        "court",
        "case_type",
        "title",
        "summary",
        "applicant_name",
        "applicant_identity_display",
        "applicant_nationality",
        "applicant_phone",
        "applicant_email",
        "respondent_name",
        "respondent_identity_display",
        "respondent_nationality",
        "state_label",
        "return_reason",
        "decided_by",
        "decided_at",
        "case",
    ]
    # No relation to a scoped table here: the search form would offer every
    # court's cases as choices.
    search_columns = [
        "reference",
        "state",
        "case_type",
        "applicant_name",
        "applicant_identity_number",
    ]
    order_columns = ["reference", "created_at"]
    base_order = ("created_at", "desc")
    label_columns = efiling.LABELS
    formatters_columns = {
        **dict.fromkeys(OPTIONAL_COLUMNS, _or_dash),
        "created_at": _local_time,
        "decided_at": _local_time,
    }
    show_template = "cases/efiling_show.html"

    def _get_show_widget(
        self,
        pk: Any,
        item: Any,
        widgets: dict[str, Any] | None = None,
        actions: Any = None,
        show_fieldsets: Any = None,
    ) -> dict[str, Any]:
        # The template shows the accept / return buttons only while it waits.
        widgets = super()._get_show_widget(
            pk, item, widgets=widgets, actions=actions, show_fieldsets=show_fieldsets
        )
        widgets["efiling"] = item
        return widgets

    def _filing_to_decide(self, pk: Any, action: str) -> EFiling:
        """The filing ``pk`` if the officer may see it; 404 (logged) otherwise."""
        key = self._deserialize_pk_if_composite(pk)
        filing = db.session.get(EFiling, key)
        if filing is None:
            abort(404)
        try:
            access.check(filing, action=action)
        except access.OutOfScope:
            abort(404)
        return filing

    @expose("/accept/<pk>", methods=["POST"])
    @has_access
    @permission_name("accept")
    def accept(self, pk: Any) -> Any:
        """Register the filing as a case (Terima)."""
        filing = self._filing_to_decide(pk, "accept")
        try:
            case = efiling.accept_efiling(filing, g.user.id)
        except CaseError as exc:
            flash(f"e-Failing tidak diterima: {exc}", "danger")
        else:
            flash(
                f"e-Failing {filing.reference} diterima: kes {case.case_number}",
                "success",
            )
        return redirect(f"{self.route_base}/show/{filing.id}")

    @expose("/return/<pk>", methods=["POST"])
    @has_access
    @permission_name("return")
    def return_filing(self, pk: Any) -> Any:
        """Send the filing back to the applicant with a reason (Kembalikan)."""
        filing = self._filing_to_decide(pk, "return")
        try:
            efiling.return_efiling(filing, request.form.get("reason"), g.user.id)
        except CaseError as exc:
            flash(f"e-Failing tidak dikembalikan: {exc}", "danger")
        else:
            flash(f"e-Failing {filing.reference} dikembalikan", "success")
        return redirect(f"{self.route_base}/show/{filing.id}")


def register(appbuilder: AppBuilder) -> None:
    """Add the registrar's e-filing screen and the public pages."""
    from plugins.cases import public

    appbuilder.add_view(EFilingView, MENU_NAME, category=MENU_CATEGORY)
    public.register(current_app)
