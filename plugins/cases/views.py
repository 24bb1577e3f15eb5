"""Screens and APIs of the cases plugin.

The registration screen is built for the counter: court and case type, then
parties found by identity number as they are typed, then the result with the
case number. The generated CRUD screens serve everything else; all of them are
court-scoped through ``portal.views``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, flash, g, jsonify, redirect, request
from flask_appbuilder import (
    AppBuilder,
    BaseView,
    ModelRestApi,
    ModelView,
    expose,
    has_access,
)
from flask_appbuilder.api import expose as api_expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext

from plugins.cases import documents, services
from plugins.cases.models import (
    Case,
    CaseParty,
    CaseStatus,
    CaseType,
    Document,
    Hearing,
    HearingKind,
    PartyRole,
    Sealing,
)
from portal.extensions import db
from portal.i18n import N_
from portal.models import Court
from portal.security import access
from portal.timezone import show_local
from portal.views import CappedCountInterface, ScopedModelRestApi, ScopedModelView

logger = logging.getLogger(__name__)

TYPE_COLUMNS = [
    "code",
    "scheme",
    "new_code",
    "name",
    "category",
    "level",
    "started_by",
    "fee_sen",
    "resolution_days",
    "active",
]

CASE_LABELS = {
    "case_number": "Nombor Kes",
    "legacy_number": "Nombor Lama",
    "court": "Mahkamah",
    "case_type": "Jenis Kes",
    "title": "Tajuk",
    "status": "Status",
    "status_label": "Status",
    "status_reason": "Sebab Status",
    "registered_at": "Tarikh Daftar",
    "registered_from": "Didaftar Di",
    "registered_by": "Didaftar Oleh",
    "judge": "Hakim",
    "confidential": "Sulit",
    "claim_amount_sen": "Tuntutan (sen)",
    "fee_due_sen": "Fi Pendaftaran (sen)",
    "closed_at": "Tarikh Selesai",
    "year": "Tahun",
}


#: Malay names of the registration screen's fields, for its error message:
#: the counter clerk reads Malay, while ``CaseError.field`` is the API's name.
REGISTRATION_FIELDS = {
    "court": "Mahkamah yang mendengar kes",
    "case_type": "Jenis kes",
    "registered_from": "Didaftarkan di",
    "title": "Tajuk kes",
    "claim_amount": "Amaun tuntutan",
    "claim_amount_sen": "Amaun tuntutan",
    "registered_on": "Tarikh daftar",
    "parties": "Pihak-pihak",
    "parties.role": "Peranan pihak",
}
PARTY_FIELDS = {
    "party_id": "Profil pihak",
    "identity_type": "Jenis pengenalan",
    "identity_number": "No. kad pengenalan",
    "nationality": "Warganegara",
    "full_name": "Nama penuh",
    "gender": "Jantina",
    "phone": "No. telefon",
    "email": "E-mel",
}


def registration_field_label(field: str) -> str:
    """The Malay name of a refused field, as the clerk sees it on the screen.

    ``parties[0].identity_number`` reads ``Pihak 1: No. kad pengenalan``: rows
    are numbered from one, as a person counts them.
    """
    party = re.fullmatch(r"parties\[(\d+)\](?:\.(\w+))?", field)
    if party is None:
        return REGISTRATION_FIELDS.get(field, field)
    row = f"Pihak {int(party[1]) + 1}"
    return f"{row}: {PARTY_FIELDS.get(party[2], party[2])}" if party[2] else row


class CaseTypeView(ModelView):
    """Case types of the state, from its profile."""

    datamodel = SQLAInterface(CaseType)
    route_base = "/case-types"
    list_title = "Jenis Kes"
    list_columns = [
        "code",
        "name",
        "category",
        "level",
        "started_by",
        "fee_sen",
        "resolution_days",
    ]
    show_columns = add_columns = edit_columns = TYPE_COLUMNS
    search_columns = ["code", "name", "category", "level"]
    base_order = ("code", "asc")
    label_columns = {
        "code": "Kod",
        "scheme": "Skim Kod",
        "new_code": "Kod Baharu",
        "name": "Nama",
        "category": "Kategori",
        "level": "Peringkat Mahkamah",
        "started_by": "Dimulakan Dengan",
        "fee_sen": "Fi (sen)",
        "resolution_days": "Tempoh Selesai (hari)",
        "active": "Aktif",
    }


class CaseTypeApi(ModelRestApi):
    """Case types over the API, read-only."""

    resource_name = "case_type"
    datamodel = SQLAInterface(CaseType)
    allow_browser_login = True
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = ["id", *TYPE_COLUMNS]
    search_columns = ["code", "name", "category", "level"]


class CasePartyView(ScopedModelView):
    """Parties of the cases of the officer's courts."""

    datamodel = SQLAInterface(CaseParty)
    route_base = "/case-parties"
    list_title = "Pihak Dalam Kes"
    list_columns = ["case", "role", "party", "lawyer"]
    show_columns = ["case", "role", "party", "lawyer"]
    edit_columns = ["lawyer"]
    base_permissions = ["can_list", "can_show", "can_edit"]
    # Rows are made by registration and removed never: no add/delete routes.
    exclude_route_methods = {"add", "delete", "download"}
    label_columns = {
        "case": "Kes",
        "role": "Peranan",
        "party": "Pihak",
        "lawyer": "Peguam Syarie",
    }


class HearingView(ScopedModelView):
    """Hearings of the cases of the officer's courts."""

    datamodel = SQLAInterface(Hearing)
    route_base = "/hearings"
    list_title = "Perbicaraan"
    list_columns = ["starts_at", "case", "kind", "courtroom", "outcome"]
    show_columns = ["case", "kind", "starts_at", "courtroom", "outcome"]
    edit_columns = ["courtroom", "outcome"]
    base_permissions = ["can_list", "can_show", "can_edit"]
    # Rows are made by registration and removed never: no add/delete routes.
    exclude_route_methods = {"add", "delete", "download"}
    base_order = ("starts_at", "asc")
    formatters_columns = {"starts_at": show_local}
    label_columns = {
        "case": "Kes",
        "kind": "Jenis",
        "starts_at": "Tarikh & Masa",
        "courtroom": "Bilik Bicara",
        "outcome": "Keputusan",
    }


class DocumentView(ScopedModelView):
    """Documents filed in the cases of the officer's courts."""

    datamodel = SQLAInterface(Document)
    route_base = "/case-documents"
    list_title = "Dokumen Kes"
    list_columns = [
        "case",
        "doc_type",
        "filename",
        "size_bytes",
        "sealed",
        "created_at",
    ]
    show_columns = [
        "case",
        "doc_type",
        "filename",
        "content_type",
        "size_bytes",
        "sha256",
        "sealed",
    ]
    base_permissions = ["can_list", "can_show"]
    # Rows are made by upload and removed never, and sealing has its own
    # endpoint and permission (``documents.DocumentFileView``): no edit here.
    exclude_route_methods = {"add", "edit", "delete", "download"}
    formatters_columns = {"sealed": lambda level: Sealing.LABELS.get(level, level)}
    show_template = "cases/documents_show.html"
    extra_args = {"sealing_levels": Sealing.LABELS}
    label_columns = {
        "case": "Kes",
        "doc_type": "Jenis Dokumen",
        "filename": "Nama Fail",
        "content_type": "Jenis Kandungan",
        "size_bytes": "Saiz (bait)",
        "sealed": "Meterai",
        "created_at": "Dimuat Naik",
    }


class CaseView(ScopedModelView):
    """Cases of the officer's courts; registration has its own screen."""

    datamodel = CappedCountInterface(Case)
    route_base = "/cases"
    list_title = "Senarai Kes"
    show_title = "Butiran Kes"
    base_permissions = ["can_list", "can_show", "can_edit"]
    # Rows are made by registration and removed never: no add/delete routes.
    exclude_route_methods = {"add", "delete", "download"}
    list_columns = [
        "case_number",
        "court",
        "case_type",
        "title",
        "status_label",
        "judge",
        "registered_at",
    ]
    show_columns = [
        "case_number",
        "legacy_number",
        "court",
        "case_type",
        "title",
        "status_label",
        "status_reason",
        "judge",
        "registered_at",
        "registered_from",
        "registered_by",
        "confidential",
        "claim_amount_sen",
        "fee_due_sen",
        "closed_at",
    ]
    edit_columns = ["title", "confidential"]
    search_columns = [
        "case_number",
        "legacy_number",
        "title",
        "status",
        "court",
        "case_type",
        "year",
    ]
    order_columns = ["case_number", "registered_at"]
    base_order = ("registered_at", "desc")
    label_columns = CASE_LABELS
    related_views = [CasePartyView, HearingView, DocumentView]
    formatters_columns = {"registered_at": show_local, "closed_at": show_local}
    show_template = "cases/show.html"
    extra_args = {
        "status_labels": CaseStatus.LABELS,
        "hearing_kinds": HearingKind.LABELS,
        "document_types": documents.DOCUMENT_TYPES,
        "sealing_levels": Sealing.LABELS,
    }


def _local(value: str, field: str) -> datetime:
    from portal.app import spkms

    try:
        naive = datetime.fromisoformat(value)
    except ValueError as exc:
        raise services.CaseError(
            field, "expected a date and time like 2026-12-31T09:00"
        ) from exc
    return naive.replace(tzinfo=ZoneInfo(spkms().profile.timezone))


class RegistrationView(BaseView):
    """Daftar Kes: the counter's one screen for registering a case."""

    route_base = "/registration"
    default_view = "form"
    base_permissions = ["can_register", "can_lookup"]

    def _choices(self) -> dict[str, Any]:
        return {
            "courts": db.session.scalars(
                sa.select(Court).where(Court.active).order_by(Court.code)
            ).all(),
            "case_types": db.session.scalars(
                sa.select(CaseType).where(CaseType.active).order_by(CaseType.code)
            ).all(),
            "roles": PartyRole.LABELS,
            "home_courts": sorted(access.allowed_court_ids() or []),
        }

    @staticmethod
    def _parties_from_form() -> list[services.PartyInput]:
        parties = []
        for index in range(20):
            prefix = f"parties-{index}-"
            number = request.form.get(prefix + "identity_number", "").strip()
            party_id = request.form.get(prefix + "party_id", "").strip()
            if not number and not party_id:
                continue
            details = {
                key: request.form.get(prefix + key, "").strip() or None
                for key in ("full_name", "gender", "phone", "email")
            }
            parties.append(
                services.PartyInput(
                    role=request.form.get(prefix + "role", ""),
                    party_id=int(party_id) if party_id.isdigit() else None,
                    identity_type=request.form.get(prefix + "identity_type", "mykad"),
                    identity_number=number or None,
                    nationality=request.form.get(prefix + "nationality") or None,
                    details={k: v for k, v in details.items() if v is not None},
                )
            )
        return parties

    @expose("/", methods=["GET", "POST"])
    @has_access
    @permission_name("register")
    def form(self) -> Any:
        if request.method == "GET":
            return self.render_template(
                "cases/register.html", form={}, **self._choices()
            )
        form = request.form
        try:
            amount = form.get("claim_amount", "").strip()
            claim_sen = round(float(amount) * 100) if amount else None
        except ValueError:
            claim_sen = -1
        registration = services.Registration(
            court_id=int(form.get("court_id") or 0),
            case_type_id=int(form.get("case_type_id") or 0),
            title=form.get("title", ""),
            parties=self._parties_from_form(),
            registered_by_id=g.user.id,
            registered_from_id=int(form.get("registered_from_id") or 0) or None,
            confidential=form.get("confidential") == "y",
            claim_amount_sen=claim_sen,
        )
        try:
            if claim_sen == -1:
                raise services.CaseError(
                    "claim_amount",
                    gettext("mesti amaun dalam ringgit, contohnya 1500.00"),
                )
            case = services.register_case(registration)
        except services.CaseError as exc:
            label = registration_field_label(exc.field)
            # TODO(i18n): the rules of CaseError are English, shared with the
            # API and its clients; the screen names the field and shows the rule.
            flash(
                gettext(
                    "Kes tidak didaftarkan: %(reason)s", reason=f"{label}: {exc.rule}"
                ),
                "danger",
            )
            return (
                self.render_template(
                    "cases/register.html",
                    form=form,
                    error=exc,
                    error_label=label,
                    **self._choices(),
                ),
                422,
            )
        return self.render_template("cases/registered.html", case=case)

    @expose("/earlier/<int:party_id>")
    @has_access
    @permission_name("lookup")
    def earlier(self, party_id: int) -> Any:
        """JSON: the person's cases in every court (sealed ones only say where)."""
        return jsonify([asdict(found) for found in services.earlier_cases(party_id)])


class CaseApi(ScopedModelRestApi):
    """Cases over the API: list and read in scope, register, change status."""

    resource_name = "case"
    datamodel = CappedCountInterface(Case)
    allow_browser_login = True
    include_route_methods = {"get", "get_list", "info", "register", "status"}
    base_order = ("registered_at", "desc")
    list_columns = show_columns = [
        "id",
        "case_number",
        "legacy_number",
        "court_id",
        "case_type_id",
        "title",
        "status",
        "judge_id",
        "registered_at",
        "registered_from_id",
        "confidential",
        "fee_due_sen",
    ]

    @api_expose("/register", methods=["POST"])
    @protect()
    @safe
    def register(self) -> Any:
        """Register a case.
        ---
        post:
          description: >-
            Register a case for any court of the state. Parties are found by
            identity number or created. Returns the case number.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    court_id: {type: integer}
                    case_type_id: {type: integer}
                    title: {type: string}
                    confidential: {type: boolean}
                    claim_amount_sen: {type: integer}
                    registered_from_id: {type: integer}
                    parties:
                      type: array
                      items:
                        type: object
                        properties:
                          role: {type: string}
                          party_id: {type: integer}
                          identity_type: {type: string}
                          identity_number: {type: string}
                          nationality: {type: string}
                          details: {type: object}
          responses:
            201:
              description: Registered
            422:
              description: A field breaks a rule; the message names it
        """
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message="Request is not JSON")
        try:
            parties = [services.PartyInput(**item) for item in body.get("parties", [])]
            registration = services.Registration(
                court_id=int(body.get("court_id") or 0),
                case_type_id=int(body.get("case_type_id") or 0),
                title=str(body.get("title") or ""),
                parties=parties,
                registered_by_id=g.user.id,
                registered_from_id=body.get("registered_from_id"),
                confidential=bool(body.get("confidential", False)),
                claim_amount_sen=body.get("claim_amount_sen"),
            )
            case = services.register_case(registration)
        except services.CaseError as exc:
            return self.response_422(message={exc.field: [exc.rule]})
        except (TypeError, ValueError) as exc:
            return self.response_422(message={"parties": [str(exc)]})
        return self.response(
            201, id=case.id, case_number=case.case_number, court_id=case.court_id
        )

    @api_expose("/<int:pk>/status", methods=["POST"])
    @protect()
    @safe
    def status(self, pk: int) -> Any:
        """Change the status of a case.
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    status: {type: string}
                    reason: {type: string}
          responses:
            200: {description: Changed}
            404: {description: Not found}
            422: {description: The change is not allowed}
        """
        case = db.session.get(Case, pk)
        try:
            if case is None:
                raise access.OutOfScope(Case.__tablename__, pk)
            access.check(case, action="status")
        except access.OutOfScope:
            return self.response_404()
        body = request.get_json(silent=True) or {}
        try:
            services.change_status(
                case, str(body.get("status", "")), reason=body.get("reason")
            )
        except services.CaseError as exc:
            db.session.rollback()
            return self.response_422(message={exc.field: [exc.rule]})
        return self.response(200, id=case.id, status=case.status)


class CaseStatusView(BaseView):
    """Status changes and hearings from the case screen (registrar, judge)."""

    route_base = "/case-actions"
    base_permissions = ["can_change_status", "can_schedule"]

    def _case(self, pk: int) -> Case | None:
        return db.session.scalar(
            access.scoped(sa.select(Case).where(Case.id == pk), Case)
        )

    @expose("/<int:pk>/status", methods=["POST"])
    @has_access
    @permission_name("change_status")
    def change_status(self, pk: int) -> Any:
        case = self._case(pk)
        if case is None:
            return self.render_template("spkms/not_found.html"), 404
        try:
            services.change_status(
                case, request.form.get("status", ""), reason=request.form.get("reason")
            )
            flash(f"Status {case.case_number}: {case.status_label}", "success")
        except services.CaseError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return redirect(f"/cases/show/{pk}")

    @expose("/<int:pk>/hearing", methods=["POST"])
    @has_access
    @permission_name("schedule")
    def schedule(self, pk: int) -> Any:
        case = self._case(pk)
        if case is None:
            return self.render_template("spkms/not_found.html"), 404
        try:
            starts_at = _local(request.form.get("starts_at", ""), "starts_at")
            services.schedule_hearing(
                case,
                request.form.get("kind", HearingKind.MENTION),
                starts_at,
                request.form.get("courtroom"),
            )
            kind = HearingKind.LABELS.get(request.form.get("kind", ""), "")
            flash(f"Tarikh {kind} ditetapkan", "success")
        except services.CaseError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return redirect(f"/cases/show/{pk}")


#: Makes ``plugins/cases/templates`` visible to Flask's template loader.
templates = Blueprint("cases_templates", __name__, template_folder="templates")


def register(appbuilder: AppBuilder) -> None:
    from flask import current_app

    if "cases_templates" not in current_app.blueprints:
        current_app.register_blueprint(templates)
    appbuilder.add_view(RegistrationView, N_("Daftar Kes"), category=N_("Kes"))
    appbuilder.add_view(CaseView, N_("Senarai Kes"), category=N_("Kes"))
    appbuilder.add_view(HearingView, N_("Perbicaraan"), category=N_("Kes"))
    appbuilder.add_view_no_menu(CasePartyView)
    appbuilder.add_view_no_menu(DocumentView)
    documents.register(appbuilder)
    appbuilder.add_view_no_menu(CaseStatusView)
    appbuilder.add_view(CaseTypeView, N_("Jenis Kes"), category=N_("Kes"))
    appbuilder.add_api(CaseTypeApi)
    appbuilder.add_api(CaseApi)
    from plugins.cases import efiling_views, printing_views

    efiling_views.register(appbuilder)
    printing_views.register(appbuilder)
