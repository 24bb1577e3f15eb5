"""The cashier's desk (Meja Juruwang, ``/kutipan``) and the supervisor's forms.

Issue a receipt, print it, see a case's money, read and close the day's
statement and export it; cancel, enrol a counter, release a deposit and
resolve the sync queue for the supervisor. Every record is looked up through
the one access check; every rule is in ``services``, ``statement``, ``sync``.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Response, flash, g, redirect, request
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name

from plugins.cases.models import Case
from plugins.collections import services, statement, sync
from plugins.collections.models import (
    Counter,
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

logger = logging.getLogger(__name__)


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
