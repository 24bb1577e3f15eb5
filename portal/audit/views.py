"""The auditor's screens: the access log and the change history, with CSV.

Both are read-only for the Auditor role. Restoring a deleted record is a
separate permission (``can_restore``) that only the administrator holds.
"""

# TODO(i18n): the audit screens' labels are Malay only; only their menu names are in the
#   catalogs.
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Response, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name

from portal.audit import trail
from portal.audit.models import AccessLog
from portal.exports import to_csv
from portal.extensions import db
from portal.i18n import N_

ACCESS_LOG_COLUMNS = [
    "at",
    "username",
    "action",
    "allowed",
    "table_name",
    "record_id",
    "remote_addr",
    "request_id",
    "endpoint",
]


def _csv_response(filename: str, header: list[str], rows: list[list[Any]]) -> Response:
    return Response(
        to_csv(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


class AccessLogView(ModelView):
    """Who read which record, and who was refused."""

    datamodel = SQLAInterface(AccessLog)
    route_base = "/audit/access"
    list_title = "Log Akses"
    base_permissions = ["can_list", "can_show", "can_download"]
    list_columns = ACCESS_LOG_COLUMNS
    show_columns = ACCESS_LOG_COLUMNS
    search_columns = ["username", "action", "allowed", "table_name", "record_id", "at"]
    base_order = ("at", "desc")
    label_columns = {
        "at": "Masa",
        "username": "Pengguna",
        "action": "Tindakan",
        "allowed": "Dibenarkan",
        "table_name": "Jadual",
        "record_id": "ID Rekod",
        "remote_addr": "Alamat",
        "request_id": "ID Permintaan",
        "endpoint": "Skrin",
    }

    @expose("/csv")
    @has_access
    @permission_name("download")
    def csv(self) -> Response:
        """The filtered log as CSV (same filters as the list screen)."""
        query = sa.select(AccessLog).order_by(AccessLog.at.desc())
        args = request.args
        if args.get("username"):
            query = query.where(AccessLog.username == args["username"])
        if args.get("table_name"):
            query = query.where(AccessLog.table_name == args["table_name"])
        if args.get("allowed") in {"0", "1"}:
            query = query.where(AccessLog.allowed.is_(args["allowed"] == "1"))
        rows = [
            [getattr(entry, column) for column in ACCESS_LOG_COLUMNS]
            for entry in db.session.scalars(query.limit(100_000))
        ]
        return _csv_response("log-akses.csv", ACCESS_LOG_COLUMNS, rows)


def _parse_date(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{field}: expected a date like 2026-12-31") from exc


class AuditTrailView(BaseView):
    """Every versioned change: who, when, from where, and the values."""

    route_base = "/audit/changes"
    default_view = "list"
    base_permissions = ["can_list", "can_download", "can_restore"]

    def _filters(self) -> dict[str, Any]:
        args = request.args
        return {
            "table": args.get("table") or None,
            "record_id": args.get("record_id") or None,
            "user_id": int(args["user_id"])
            if args.get("user_id", "").isdigit()
            else None,
            "since": _parse_date(args.get("since"), "since"),
            "until": _parse_date(args.get("until"), "until"),
        }

    @expose("/")
    @has_access
    def list(self) -> Any:
        try:
            filters = self._filters()
        except ValueError as exc:
            flash(str(exc), "danger")
            filters = {}
        return self.render_template(
            "spkms/audit_trail.html",
            changes=trail.changes(**filters, limit=500),
            tables=sorted(trail.versioned_models()),
            args=request.args,
        )

    @expose("/csv")
    @has_access
    @permission_name("download")
    def csv(self) -> Response:
        header = [
            "transaction",
            "issued_at",
            "username",
            "remote_addr",
            "table",
            "record_id",
            "operation",
            "values",
        ]
        rows = [
            [
                c.transaction_id,
                c.issued_at,
                c.username,
                c.remote_addr,
                c.table,
                c.record_id,
                c.operation,
                c.values,
            ]
            for c in trail.changes(**self._filters(), limit=100_000)
        ]
        return _csv_response("jejak-audit.csv", header, rows)

    @expose("/restore/<table>/<int:record_id>", methods=["POST"])
    @has_access
    @permission_name("restore")
    def restore(self, table: str, record_id: int) -> Any:
        try:
            trail.restore(table, record_id)
        except trail.NotRestorable as exc:
            flash(str(exc), "danger")
        else:
            flash(f"{table} {record_id} dipulihkan", "success")
        return redirect(url_for(".list", table=table, record_id=record_id))


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(AccessLogView, N_("Log Akses"), category=N_("Jejak Audit"))
    appbuilder.add_view(
        AuditTrailView, N_("Sejarah Perubahan"), category=N_("Jejak Audit")
    )
