"""Screens and APIs of collections: fee schedule, counters, receipts, statements.

The generated screens list fee types, counters, receipts, closed days and the
sync queue, court-scoped through ``portal.views``; none of them deletes.
The cashier's desk (``/kutipan``) is in ``desk``; ``ReceiptApi`` issues and
cancels over REST. Every rule is in ``services``, ``statement`` and ``sync``.
"""

# TODO(i18n): the collections screens, receipts and statements are Malay only; only
#   their menu names are in the catalogs.
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, g, request
from flask_appbuilder import (
    AppBuilder,
    ModelRestApi,
    ModelView,
)
from flask_appbuilder.api import expose as api_expose
from flask_appbuilder.api import safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name, protect

from plugins.collections import services
from plugins.collections.models import (
    Counter,
    DayClose,
    FeeType,
    Receipt,
    SyncQueueItem,
)
from portal.extensions import db
from portal.i18n import N_
from portal.security import access
from portal.views import ScopedModelRestApi, ScopedModelView

logger = logging.getLogger(__name__)

FEE_COLUMNS = ["code", "name", "revenue_code", "amount_sen", "kind", "active"]
RECEIPT_LABELS = {
    "number": "No. Resit",
    "business_date": "Tarikh",
    "issued_at": "Masa",
    "payer_name": "Pembayar",
    "payer_identity": "No. Pengenalan",
    "case": "Kes",
    "method_label": "Cara Bayaran",
    "reference": "Rujukan",
    "subtotal_sen": "Jumlah (sen)",
    "rounding_sen": "Penggenapan (sen)",
    "total_sen": "Dibayar (sen)",
    "status_label": "Status",
    "counter": "Kaunter",
    "cashier_name": "Juruwang",
    "offline": "Luar Talian",
    "court": "Mahkamah",
}


class FeeTypeView(ModelView):
    """The state's fee schedule, from its profile and plugins."""

    datamodel = SQLAInterface(FeeType)
    route_base = "/fee-types"
    list_title = "Jadual Fi"
    base_permissions = ["can_list", "can_show"]
    list_columns = show_columns = FEE_COLUMNS
    search_columns = ["code", "name", "revenue_code"]
    base_order = ("code", "asc")
    label_columns = {
        "code": "Kod",
        "name": "Nama",
        "revenue_code": "Kod Hasil",
        "amount_sen": "Amaun (sen)",
        "kind": "Jenis",
        "active": "Aktif",
    }


class FeeTypeApi(ModelRestApi):
    """Fee types over the API, read-only."""

    resource_name = "fee_type"
    datamodel = SQLAInterface(FeeType)
    allow_browser_login = True
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = ["id", *FEE_COLUMNS]
    search_columns = ["code", "name", "revenue_code"]


class CounterView(ScopedModelView):
    """Kaunter: the cashiers' points of collection of the officer's courts."""

    datamodel = SQLAInterface(Counter)
    route_base = "/counters"
    list_title = "Kaunter"
    show_template = "collections/counter_show.html"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    exclude_route_methods = {"delete", "download"}
    list_columns = ["code", "name", "court", "active", "enrolled_at", "last_sync_at"]
    show_columns = list_columns
    add_columns = ["court", "code", "name", "active"]
    edit_columns = ["name", "active"]
    search_columns = ["code", "name", "court"]
    label_columns = {
        "code": "Kod",
        "name": "Nama",
        "court": "Mahkamah",
        "active": "Aktif",
        "enrolled_at": "Didaftarkan (luar talian)",
        "last_sync_at": "Segerak Terakhir",
    }


class ReceiptView(ScopedModelView):
    """Resit: every receipt of the officer's courts; never edited or deleted."""

    datamodel = SQLAInterface(Receipt)
    route_base = "/receipts"
    list_title = "Resit"
    show_template = "collections/receipt_show.html"
    base_permissions = ["can_list", "can_show"]
    exclude_route_methods = {"add", "edit", "delete", "download"}
    list_columns = [
        "number",
        "business_date",
        "payer_name",
        "case",
        "method_label",
        "total_sen",
        "status_label",
        "counter",
    ]
    show_columns = [
        "number",
        "court",
        "counter",
        "issued_at",
        "business_date",
        "cashier_name",
        "payer_name",
        "payer_identity",
        "case",
        "method_label",
        "reference",
        "subtotal_sen",
        "rounding_sen",
        "total_sen",
        "offline",
        "status_label",
    ]
    search_columns = ["number", "payer_name", "payer_identity", "business_date"]
    base_order = ("id", "desc")
    label_columns = RECEIPT_LABELS


class DayCloseView(ScopedModelView):
    """Hari Ditutup: counters' closed days and their totals."""

    datamodel = SQLAInterface(DayClose)
    route_base = "/closed-days"
    list_title = "Hari Kutipan Ditutup"
    base_permissions = ["can_list", "can_show"]
    exclude_route_methods = {"add", "edit", "delete", "download"}
    list_columns = [
        "business_date",
        "counter",
        "total_sen",
        "receipts_issued",
        "receipts_cancelled",
        "closed_by",
    ]
    show_columns = [*list_columns, "court", "created_at"]
    base_order = ("business_date", "desc")
    label_columns = {
        "business_date": "Tarikh",
        "counter": "Kaunter",
        "total_sen": "Jumlah (sen)",
        "receipts_issued": "Resit Dikeluarkan",
        "receipts_cancelled": "Resit Dibatalkan",
        "closed_by": "Ditutup Oleh",
        "court": "Mahkamah",
        "created_at": "Masa Ditutup",
    }


class SyncQueueItemView(ScopedModelView):
    """Baris Gilir Segerak: offline receipts the portal could not match."""

    datamodel = SQLAInterface(SyncQueueItem)
    route_base = "/sync-queue"
    list_title = "Baris Gilir Segerak"
    show_template = "collections/queue_show.html"
    base_permissions = ["can_list", "can_show"]
    exclude_route_methods = {"add", "edit", "delete", "download"}
    list_columns = ["created_at", "counter", "reason", "receipt", "resolved"]
    show_columns = [
        "created_at",
        "counter",
        "receipt_uuid",
        "receipt",
        "reason",
        "payload",
        "resolved",
        "resolved_note",
    ]
    base_order = ("id", "desc")
    label_columns = {
        "created_at": "Diterima",
        "counter": "Kaunter",
        "receipt_uuid": "UUID Resit",
        "receipt": "Resit",
        "reason": "Sebab",
        "payload": "Data Kaunter",
        "resolved": "Selesai",
        "resolved_note": "Catatan",
    }


class ReceiptApi(ScopedModelRestApi):
    """Receipts over the API: read, issue, cancel (never edit or delete)."""

    resource_name = "receipt"
    datamodel = SQLAInterface(Receipt)
    allow_browser_login = True
    # No "info": it would describe generated add and edit forms that do not
    # exist (receipts are written by ``issue`` only).
    include_route_methods = {"get", "get_list", "issue", "cancel"}
    list_columns = show_columns = [
        "id",
        "number",
        "uuid",
        "court_id",
        "counter_id",
        "business_date",
        "issued_at",
        "cashier_name",
        "payer_name",
        "case_id",
        "method",
        "reference",
        "subtotal_sen",
        "rounding_sen",
        "total_sen",
        "offline",
    ]
    search_columns = ["number", "business_date", "counter", "method"]

    @api_expose("/issue", methods=["POST"])
    @protect()
    @safe
    @permission_name("issue")
    def issue(self) -> Any:
        """Issue an official receipt.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    counter_id: {type: integer}
                    payer_name: {type: string}
                    payer_identity: {type: string}
                    case_number: {type: string}
                    method: {type: string}
                    reference: {type: string}
                    lines:
                      type: array
                      items:
                        type: object
                        properties:
                          fee_code: {type: string}
                          quantity: {type: integer}
                          amount_sen: {type: integer}
                          fine_id: {type: integer}
          responses:
            201: {description: Issued; the receipt number and totals}
            422: {description: A field breaks a rule; the message names it}
        """
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message="Request is not JSON")
        try:
            lines = body.get("lines")
            if not isinstance(lines, list) or not all(
                isinstance(line, dict) for line in lines
            ):
                raise services.CollectionError("lines", "must be a list of objects")
            try:
                line_inputs = [services.LineInput(**line) for line in lines]
            except TypeError as exc:
                raise services.CollectionError("lines", "has an unknown key") from exc
            counter_id = body.get("counter_id")
            if not isinstance(counter_id, int) or isinstance(counter_id, bool):
                raise services.CollectionError("counter", "must be a counter id")
            receipt = services.issue_receipt(
                services.ReceiptInput(
                    counter_id=counter_id,
                    payer_name=str(body.get("payer_name") or ""),
                    payer_identity=str(body.get("payer_identity") or ""),
                    method=str(body.get("method") or ""),
                    lines=line_inputs,
                    case_number=body.get("case_number"),
                    reference=body.get("reference"),
                ),
                g.user,
            )
        except services.CollectionError as exc:
            return self.response_422(message={exc.field: [exc.rule]})
        return self.response(
            201,
            id=receipt.id,
            number=receipt.number,
            subtotal_sen=receipt.subtotal_sen,
            rounding_sen=receipt.rounding_sen,
            total_sen=receipt.total_sen,
        )

    @api_expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    @permission_name("cancel")
    def cancel(self, pk: int) -> Any:
        """Cancel a receipt (collections supervisor), with a reason.
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
                    reason: {type: string}
          responses:
            200: {description: Cancelled}
            404: {description: Not found}
            422: {description: Refused; the message names the field and rule}
        """
        receipt = db.session.get(Receipt, pk)
        try:
            if receipt is None:
                raise access.OutOfScope(Receipt.__tablename__, pk)
            access.check(receipt, action="cancel")
        except access.OutOfScope:
            return self.response_404()
        body = request.get_json(silent=True) or {}
        try:
            services.cancel_receipt(receipt, body.get("reason"), g.user)
        except services.CollectionError as exc:
            return self.response_422(message={exc.field: [exc.rule]})
        return self.response(200, id=receipt.id, number=receipt.number)


templates = Blueprint("collections_templates", __name__, template_folder="templates")


def register(appbuilder: AppBuilder) -> None:
    if templates.name not in current_app.blueprints:
        current_app.register_blueprint(templates)
    from plugins.collections.desk import CollectionDeskView

    appbuilder.add_view(
        CollectionDeskView,
        N_("Meja Juruwang"),
        category=N_("Kutipan"),
        href="/kutipan/",
    )
    appbuilder.add_link(
        N_("Penyata Pemungut"), href="/kutipan/statement", category=N_("Kutipan")
    )
    appbuilder.add_view(ReceiptView, N_("Resit"), category=N_("Kutipan"))
    appbuilder.add_view(CounterView, N_("Kaunter"), category=N_("Kutipan"))
    appbuilder.add_view(DayCloseView, N_("Hari Ditutup"), category=N_("Kutipan"))
    appbuilder.add_view(
        SyncQueueItemView, N_("Baris Gilir Segerak"), category=N_("Kutipan")
    )
    appbuilder.add_view(FeeTypeView, N_("Jadual Fi"), category=N_("Kutipan"))
    appbuilder.add_api(FeeTypeApi)
    appbuilder.add_api(ReceiptApi)
