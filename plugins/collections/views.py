"""Screens and APIs of collections: fee schedule, counters, receipts, statements.

The generated screens list fee types, counters, receipts, closed days and the
sync queue, court-scoped through ``portal.views``; none of them deletes.
``CollectionDeskView`` (``/kutipan``) is the cashier's desk (Meja Juruwang):
issue a receipt, print it, see a case's money, read and close the day's
statement, and the supervisor's cancel, enrol and queue forms. Every rule is
in ``services``, ``statement`` and ``sync``.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, flash, g, redirect, request
from flask_appbuilder import (
    AppBuilder,
    BaseView,
    ModelRestApi,
    ModelView,
    expose,
    has_access,
)
from flask_appbuilder.api import expose as api_expose
from flask_appbuilder.api import safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name, protect

from plugins.cases.models import Case
from plugins.collections import services, statement, sync
from plugins.collections.models import (
    Counter,
    DayClose,
    DepositKind,
    FeeType,
    PaymentMethod,
    Receipt,
    SyncQueueItem,
)
from plugins.collections.money import ringgit
from plugins.collections.pdf import print_receipt
from portal.extensions import db
from portal.models import utcnow
from portal.security import access
from portal.timezone import local_date
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


# --- the cashier's desk ---------------------------------------------------------


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _sen(value: Any) -> int | None:
    """Sen from a form's ringgit field (``12.50``), or ``None`` when empty."""
    text = str(value or "").strip().replace(",", "")
    if not text:
        return None
    whole, _, cents = text.partition(".")
    if not (whole.lstrip("-").isdigit() or whole in {"", "-"}) or not (
        cents == "" or (cents.isdigit() and len(cents) <= 2)
    ):
        raise services.CollectionError("amount", f"{text!r} is not an amount in RM")
    sign = -1 if whole.startswith("-") else 1
    return sign * (int(whole.lstrip("-") or 0) * 100 + int((cents + "00")[:2]))


class CollectionDeskView(BaseView):
    """Meja Juruwang: the cashier's and supervisor's desk."""

    route_base = "/kutipan"
    default_view = "desk"
    base_permissions = [
        "can_desk",
        "can_issue",
        "can_print",
        "can_statement",
        "can_case",
        "can_cancel",
        "can_close",
        "can_enrol",
        "can_release",
        "can_resolve",
        "can_export",
        "can_fine",
    ]

    def _not_found(self) -> Any:
        return self.render_template("spkms/not_found.html"), 404

    @staticmethod
    def _counters() -> list[Counter]:
        return list(
            db.session.scalars(
                access.scoped(
                    sa.select(Counter).where(Counter.active).order_by(Counter.code),
                    Counter,
                )
            )
        )

    def _visible(self, model: type, pk: int, action: str) -> Any:
        record = db.session.get(model, pk)
        if record is None:
            return None
        try:
            access.check(record, action=action)
        except access.OutOfScope:
            return None
        return record

    def _render_desk(self, error: services.CollectionError | None = None) -> Any:
        counters = self._counters()
        today = local_date(utcnow())
        recent = list(
            db.session.scalars(
                access.scoped(
                    sa.select(Receipt)
                    .where(Receipt.business_date == today)
                    .order_by(Receipt.id.desc())
                    .limit(30),
                    Receipt,
                )
            )
        )
        fee_types = list(
            db.session.scalars(
                sa.select(FeeType).where(FeeType.active).order_by(FeeType.code)
            )
        )
        return (
            self.render_template(
                "collections/desk.html",
                counters=counters,
                fee_types=fee_types,
                methods=PaymentMethod.LABELS,
                recent=recent,
                form=request.form,
                error=error,
                ringgit=ringgit,
                today=today,
            ),
            422 if error else 200,
        )

    @expose("/")
    @has_access
    @permission_name("desk")
    def desk(self) -> Any:
        """The issue form and today's receipts."""
        return self._render_desk()

    @expose("/issue", methods=["POST"])
    @has_access
    @permission_name("issue")
    def issue(self) -> Any:
        form = request.form
        try:
            lines = []
            for index in range(5):
                code = form.get(f"fee_code_{index}", "").strip()
                if not code:
                    continue
                quantity = _int(form.get(f"quantity_{index}") or 1)
                if quantity is None:
                    raise services.CollectionError(
                        f"lines[{index}].quantity", "must be a whole number"
                    )
                lines.append(
                    services.LineInput(
                        fee_code=code,
                        quantity=quantity,
                        amount_sen=_sen(form.get(f"amount_{index}")),
                        fine_id=_int(form.get(f"fine_id_{index}")),
                    )
                )
            receipt = services.issue_receipt(
                services.ReceiptInput(
                    counter_id=_int(form.get("counter_id")) or 0,
                    payer_name=form.get("payer_name", ""),
                    payer_identity=form.get("payer_identity", ""),
                    method=form.get("method", ""),
                    lines=lines,
                    case_number=form.get("case_number"),
                    reference=form.get("reference"),
                ),
                g.user,
            )
        except services.CollectionError as exc:
            return self._render_desk(exc)
        flash(
            f"Resit {receipt.number} dikeluarkan: {ringgit(receipt.total_sen)}", "info"
        )
        return redirect(f"{self.route_base}/receipt/{receipt.id}")

    @expose("/receipt/<int:pk>")
    @has_access
    @permission_name("desk")
    def receipt(self, pk: int) -> Any:
        receipt = self._visible(Receipt, pk, "read")
        if receipt is None:
            return self._not_found()
        return self.render_template(
            "collections/receipt.html",
            receipt=receipt,
            ringgit=ringgit,
            supervisor=services.is_supervisor(g.user),
        )

    @expose("/receipt/<int:pk>/pdf")
    @has_access
    @permission_name("print")
    def pdf(self, pk: int) -> Any:
        """The receipt as a PDF; every print after the first says SALINAN."""
        receipt = self._visible(Receipt, pk, "print")
        if receipt is None:
            return self._not_found()
        content = print_receipt(receipt)
        return Response(
            content,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{receipt.number}.pdf"'},
        )

    @expose("/receipt/<int:pk>/cancel", methods=["POST"])
    @has_access
    @permission_name("cancel")
    def cancel(self, pk: int) -> Any:
        receipt = self._visible(Receipt, pk, "cancel")
        if receipt is None:
            return self._not_found()
        try:
            services.cancel_receipt(receipt, request.form.get("reason"), g.user)
        except services.CollectionError as exc:
            flash(f"Tidak dibatalkan: {exc}", "danger")
            return redirect(f"{self.route_base}/receipt/{pk}")
        flash(f"Resit {receipt.number} dibatalkan.", "info")
        return redirect(f"{self.route_base}/receipt/{pk}")

    # --- a case's money ---------------------------------------------------------

    @expose("/case/<int:case_id>")
    @has_access
    @permission_name("case")
    def case(self, case_id: int) -> Any:
        """What a case owes and has paid: registration fee, fines, deposits."""
        case = self._visible(Case, case_id, "read")
        if case is None:
            return self._not_found()
        return self.render_template(
            "collections/case.html",
            case=case,
            money=services.case_money(case),
            ringgit=ringgit,
            deposit_kinds=DepositKind.LABELS,
            supervisor=services.is_supervisor(g.user),
        )

    @expose("/case/<int:case_id>/fine", methods=["POST"])
    @has_access
    @permission_name("fine")
    def fine(self, case_id: int) -> Any:
        case = self._visible(Case, case_id, "fine")
        if case is None:
            return self._not_found()
        try:
            amount = _sen(request.form.get("amount"))
            services.impose_fine(
                case,
                amount if amount is not None else 0,
                local_date(utcnow()),
                request.form.get("note") or None,
            )
            flash("Denda direkodkan.", "info")
        except services.CollectionError as exc:
            flash(f"Denda tidak direkodkan: {exc}", "danger")
        return redirect(f"{self.route_base}/case/{case_id}")

    @expose("/case/<int:case_id>/release", methods=["POST"])
    @has_access
    @permission_name("release")
    def release(self, case_id: int) -> Any:
        case = self._visible(Case, case_id, "release")
        if case is None:
            return self._not_found()
        try:
            amount = _sen(request.form.get("amount"))
            services.release_deposit(
                case,
                request.form.get("kind", ""),
                amount if amount is not None else 0,
                g.user,
                request.form.get("note") or None,
            )
            flash("Lejar cagaran dikemas kini.", "info")
        except services.CollectionError as exc:
            flash(f"Tidak direkodkan: {exc}", "danger")
        return redirect(f"{self.route_base}/case/{case_id}")

    # --- the day's statement ------------------------------------------------------

    def _statement_args(self) -> tuple[Counter | None, date]:
        counter_id = _int(request.values.get("counter"))
        counter = self._visible(Counter, counter_id, "read") if counter_id else None
        try:
            day = date.fromisoformat(request.values.get("date", ""))
        except ValueError:
            day = local_date(utcnow())
        return counter, day

    @expose("/statement")
    @has_access
    @permission_name("statement")
    def statement(self) -> Any:
        """Penyata pemungut of a counter and day, by cashier."""
        counter, day = self._statement_args()
        found = statement.build_statement(counter, day) if counter else None
        return self.render_template(
            "collections/statement.html",
            counters=self._counters(),
            counter=counter,
            day=day,
            statement=found,
            ringgit=ringgit,
            methods=PaymentMethod.LABELS,
            supervisor=services.is_supervisor(g.user),
        )

    @expose("/statement.csv")
    @has_access
    @permission_name("export")
    def statement_csv(self) -> Any:
        from portal.audit.access_log import record_access

        counter, day = self._statement_args()
        if counter is None:
            return self._not_found()
        found = statement.build_statement(counter, day)
        for part in found.cashiers:
            for receipt in part.issued:
                record_access(
                    Receipt.__tablename__, receipt.id, action="export", allowed=True
                )
        return Response(
            statement.statement_csv(found),
            mimetype="text/csv",
            headers={
                "Content-Disposition": (
                    "attachment;"
                    f' filename="penyata-{counter.code}-{day.isoformat()}.csv"'
                )
            },
        )

    @expose("/statement/close", methods=["POST"])
    @has_access
    @permission_name("close")
    def close(self) -> Any:
        counter, day = self._statement_args()
        if counter is None:
            return self._not_found()
        try:
            statement.close_day(counter, day, g.user)
            flash(f"Hari {day:%d/%m/%Y} kaunter {counter.code} ditutup.", "info")
        except services.CollectionError as exc:
            flash(f"Tidak ditutup: {exc}", "danger")
        return redirect(f"{self.route_base}/statement?counter={counter.id}&date={day}")

    # --- offline counters ---------------------------------------------------------

    @expose("/counter/<int:pk>/enrol", methods=["POST"])
    @has_access
    @permission_name("enrol")
    def enrol(self, pk: int) -> Any:
        """Give a counter its secret for offline work; shown this once only."""
        counter = self._visible(Counter, pk, "enrol")
        if counter is None:
            return self._not_found()
        try:
            secret = sync.enrol_counter(counter, g.user)
        except services.CollectionError as exc:
            flash(str(exc), "danger")
            return redirect(f"/counters/show/{pk}")
        return self.render_template(
            "collections/enrolled.html",
            counter=counter,
            secret=secret,
            server=request.host_url.rstrip("/"),
        )

    @expose("/queue/<int:pk>/resolve", methods=["POST"])
    @has_access
    @permission_name("resolve")
    def resolve(self, pk: int) -> Any:
        item = self._visible(SyncQueueItem, pk, "resolve")
        if item is None:
            return self._not_found()
        note = (request.form.get("note") or "").strip()
        if not note:
            flash("Catatan diperlukan untuk menyelesaikan item ini.", "danger")
        else:
            item.resolved = True
            item.resolved_note = note[:300]
            db.session.commit()
            logger.info("sync queue item resolved: id=%s by=%s", item.id, g.user.id)
            flash("Item diselesaikan.", "info")
        return redirect(f"/sync-queue/show/{pk}")


templates = Blueprint("collections_templates", __name__, template_folder="templates")


def register(appbuilder: AppBuilder) -> None:
    if templates.name not in current_app.blueprints:
        current_app.register_blueprint(templates)
    appbuilder.add_view(
        CollectionDeskView, "Meja Juruwang", category="Kutipan", href="/kutipan/"
    )
    appbuilder.add_link(
        "Penyata Pemungut", href="/kutipan/statement", category="Kutipan"
    )
    appbuilder.add_view(ReceiptView, "Resit", category="Kutipan")
    appbuilder.add_view(CounterView, "Kaunter", category="Kutipan")
    appbuilder.add_view(DayCloseView, "Hari Ditutup", category="Kutipan")
    appbuilder.add_view(SyncQueueItemView, "Baris Gilir Segerak", category="Kutipan")
    appbuilder.add_view(FeeTypeView, "Jadual Fi", category="Kutipan")
    appbuilder.add_api(FeeTypeApi)
    appbuilder.add_api(ReceiptApi)
