"""Screens of the records office (Pejabat Rekod) for physical case files.

The generated screens list locations, volumes and movements, all court-scoped
through ``portal.views``. ``FileDeskView`` is the records officer's desk: the
scan screen (one input; a USB scanner types the label code and Enter), the
volume's record with the forms for its next movement and its history, the
volumes of a case with their label sheet, "files I hold", overdue files and
the stock-take of a shelf. Every rule is in ``services``.
"""

# TODO(i18n): the file-tracking screens, templates and labels are Malay only; only their
#   menu names are in the catalogs.
from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, Response, flash, g, redirect, request
from flask_appbuilder import AppBuilder, BaseView, action, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.security.sqla.models import User
from wtforms import SelectField

from plugins.cases.models import Case
from plugins.filetracking import services, stocktake
from plugins.filetracking.labels import labels_pdf
from plugins.filetracking.models import (
    CaseFile,
    FileLocation,
    FileMovement,
    FileState,
    LocationKind,
    MovementKind,
)
from portal.extensions import db
from portal.i18n import N_
from portal.models import Court, OfficerCourt
from portal.security import access
from portal.views import ScopedModelView, WriteRefused

logger = logging.getLogger(__name__)


def local_time(value: datetime | None) -> str:
    """A stored UTC time as Malaysia time for the screen (``-`` when empty)."""
    from portal.app import spkms

    if value is None:
        return "-"
    if value.tzinfo is None:  # SQLite gives back naive UTC
        value = value.replace(tzinfo=UTC)
    zone = ZoneInfo(spkms().profile.timezone)
    return value.astimezone(zone).strftime("%d/%m/%Y %H:%M")


def _date(value: Any) -> str:
    return value.strftime("%d/%m/%Y") if value else "-"


FILE_LABELS = {
    "label": "Kod Label",
    "case": "Kes",
    "case_number": "Nombor Kes",
    "volume": "Jilid",
    "court": "Mahkamah",
    "state": "Status",
    "state_label": "Status",
    "whereabouts": "Di Mana",
    "location": "Lokasi",
    "holder": "Dipegang Oleh",
    "since": "Sejak",
    "due_on": "Tarikh Pulang",
    "transit_court": "Dihantar Ke",
}

MOVEMENT_LABELS = {
    "file": "Fail",
    "at": "Masa",
    "kind_label": "Pergerakan",
    "from_location": "Dari Lokasi",
    "to_location": "Ke Lokasi",
    "from_court": "Dari Mahkamah",
    "to_court": "Ke Mahkamah",
    "borrower": "Peminjam",
    "purpose": "Tujuan",
    "due_on": "Tarikh Pulang",
    "by": "Oleh",
    "received_by": "Diterima Oleh",
    "received_at": "Diterima Pada",
}


class FileLocationView(ScopedModelView):
    """Lokasi: the location tree of the officer's courts."""

    datamodel = SQLAInterface(FileLocation)
    route_base = "/file-locations"
    list_title = "Lokasi Fail"
    show_title = "Lokasi"
    add_title = "Tambah Lokasi"
    edit_title = "Ubah Lokasi"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    # A location with history is never removed; it is renamed or left empty.
    exclude_route_methods = {"delete", "download"}
    list_columns = ["path", "kind_label", "holder", "court"]
    show_columns = ["court", "path", "kind_label", "parent", "holder", "note"]
    add_columns = ["court", "kind", "name", "parent", "holder", "note"]
    edit_columns = ["kind", "name", "parent", "holder", "note"]
    search_columns = ["name", "kind", "court", "parent"]
    order_columns = ["kind"]
    base_order = ("court_id", "asc")
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(
            "Jenis", choices=list(LocationKind.LABELS.items()), default="rak"
        )
    }
    label_columns = {
        "court": "Mahkamah",
        "path": "Lokasi",
        "kind": "Jenis",
        "kind_label": "Jenis",
        "name": "Nama",
        "parent": "Di Dalam",
        "holder": "Pegawai (meja)",
        "note": "Catatan",
    }

    def _check_tree(self, item: FileLocation) -> None:
        try:
            services.check_location(item)
        except services.FileError as exc:
            raise WriteRefused(exc.field, exc.rule) from exc

    def pre_add(self, item: FileLocation) -> None:
        super().pre_add(item)
        self._check_tree(item)

    def pre_update(self, item: FileLocation) -> None:
        super().pre_update(item)
        self._check_tree(item)


class FileMovementView(ScopedModelView):
    """Pergerakan Fail: every recorded movement; written only by the desk."""

    datamodel = SQLAInterface(FileMovement)
    route_base = "/file-movements"
    list_title = "Pergerakan Fail"
    show_title = "Pergerakan"
    base_permissions = ["can_list", "can_show"]
    exclude_route_methods = {"add", "edit", "delete", "download"}
    list_columns = [
        "at",
        "file",
        "kind_label",
        "from_location",
        "to_location",
        "to_court",
        "borrower",
        "purpose",
        "due_on",
        "by",
        "received_by",
        "received_at",
    ]
    show_columns = list_columns
    search_columns = ["file", "kind", "borrower", "by", "at"]
    base_order = ("at", "desc")
    formatters_columns = {
        "at": local_time,
        "received_at": local_time,
        "due_on": _date,
    }
    label_columns = MOVEMENT_LABELS


class CaseFileView(ScopedModelView):
    """Fail Kes: the volumes kept by (or on their way to) the officer's courts."""

    datamodel = SQLAInterface(CaseFile)
    route_base = "/case-files"
    list_title = "Fail Kes"
    show_title = "Fail Kes"
    base_permissions = ["can_list", "can_show"]
    # Volumes are opened and moved on the desk (``FileDeskView``) only.
    exclude_route_methods = {"add", "edit", "delete", "download"}
    list_columns = ["label", "court", "state_label", "whereabouts", "since", "due_on"]
    show_columns = [
        "label",
        "case",
        "volume",
        "court",
        "state_label",
        "whereabouts",
        "since",
        "due_on",
    ]
    search_columns = ["label", "court", "state", "location", "holder", "due_on"]
    order_columns = ["label", "since", "due_on"]
    base_order = ("label", "asc")
    formatters_columns = {"since": local_time, "due_on": _date}
    label_columns = FILE_LABELS
    related_views = [FileMovementView]
    show_template = "filetracking/file_show.html"
    # FAB names an action's permission after the action alone ("print_labels");
    # mapped here it reads like every other one: ``can_print_labels``.
    method_permission_name = {"print_labels": "print_labels"}

    @action("print_labels", "Cetak Label", "", "fa-print", single=False, multiple=True)
    def print_labels(self, items: Any) -> Response:
        """The label sheet of the chosen volumes (the list's row checkboxes)."""
        files = items if isinstance(items, list) else [items]
        return _pdf_response(labels_pdf(files), "label-fail.pdf")


def _pdf_response(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


class FileDeskView(BaseView):
    """Meja Rekod: scan, movements, label sheets, loans and stock-take."""

    route_base = "/file-desk"
    default_view = "scan"
    base_permissions = ["can_track", "can_move", "can_labels", "can_stocktake"]

    # --- helpers -------------------------------------------------------------

    def _not_found(self) -> Any:
        return self.render_template("spkms/not_found.html"), 404

    @staticmethod
    def _locations(court_id: int | None) -> list[FileLocation]:
        if court_id is None:
            return []
        found = db.session.scalars(
            access.scoped(
                sa.select(FileLocation).where(FileLocation.court_id == court_id),
                FileLocation,
            )
        ).all()
        return sorted(found, key=lambda location: location.path)

    @staticmethod
    def _officers(court_id: int) -> list[Any]:
        return list(
            db.session.scalars(
                sa.select(User)
                .join(OfficerCourt, OfficerCourt.user_id == User.id)
                .where(OfficerCourt.court_id == court_id, User.active)
                .order_by(User.first_name, User.last_name)
                .distinct()
            )
        )

    def _render_file(self, file: CaseFile, status: int = 200) -> Any:
        courts = db.session.scalars(
            sa.select(Court)
            .where(Court.active, Court.id != file.court_id)
            .order_by(Court.code)
        ).all()
        target = file.transit_court_id or file.court_id
        page = self.render_template(
            "filetracking/file.html",
            file=file,
            moves=services.next_movements(file),
            history=services.history(file),
            locations=self._locations(target),
            officers=self._officers(file.court_id),
            courts=courts,
            kinds=MovementKind,
            states=FileState,
            local_time=local_time,
            today=services.local_today(),
        )
        return page, status

    # --- scan and the volume's record ----------------------------------------

    @expose("/", methods=["GET", "POST"])
    @has_access
    @permission_name("track")
    def scan(self) -> Any:
        """Imbas Label: one field; a label opens its volume, a case number its case."""
        if request.method == "GET":
            return self.render_template("filetracking/scan.html", code="")
        code = request.form.get("code", "")
        try:
            found = services.lookup_label(code)
        except services.FileError as exc:
            case = self._case_by_number(code)
            if case is not None:
                return redirect(f"/file-desk/case/{case.id}")
            return (
                self.render_template(
                    "filetracking/scan.html", code=code, error=exc.rule
                ),
                404,
            )
        return redirect(f"/file-desk/file/{found.file.id}")

    @staticmethod
    def _case_by_number(code: str) -> Case | None:
        number = "".join(code.split())
        if not number:
            return None
        return db.session.scalar(
            access.scoped(sa.select(Case).where(Case.case_number == number), Case)
        )

    @expose("/file/<int:file_id>")
    @has_access
    @permission_name("track")
    def file(self, file_id: int) -> Any:
        """Where the volume is, who holds it since when, its next movement, history."""
        try:
            file = services.visible_file(file_id)
        except access.OutOfScope:
            return self._not_found()
        return self._render_file(file)

    @expose("/file/<int:file_id>/<string:movement>", methods=["POST"])
    @has_access
    @permission_name("move")
    def move(self, file_id: int, movement: str) -> Any:
        """Record one movement from the volume's page; refusals change nothing."""
        form = request.form
        try:
            file = services.visible_file(file_id, action=movement)
        except access.OutOfScope:
            return self._not_found()
        by_id = g.user.id
        try:
            if movement == MovementKind.CHECKOUT:
                services.check_out(
                    file,
                    borrower_id=_int(form.get("borrower_id")),
                    purpose=form.get("purpose"),
                    due_on=services.parse_due_date(form.get("due_on")),
                    by_id=by_id,
                )
            elif movement == MovementKind.RETURN:
                services.return_file(
                    file, by_id=by_id, location_id=_int(form.get("location_id"))
                )
            elif movement == MovementKind.TRANSFER_LOCATION:
                services.transfer_location(
                    file, _int(form.get("location_id")), by_id=by_id
                )
            elif movement == MovementKind.TRANSFER_COURT:
                services.transfer_court(
                    file,
                    _int(form.get("court_id")),
                    by_id=by_id,
                    purpose=form.get("purpose"),
                )
            elif movement == MovementKind.RECEIVE:
                services.receive(file, _int(form.get("location_id")), by_id=by_id)
            else:
                return self._not_found()
        except access.OutOfScope:
            db.session.rollback()
            return self._not_found()
        except services.FileError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return self._render_file(file, 422)
        flash(f"{MovementKind.LABELS[movement]}: {file.label}", "success")
        return redirect(f"/file-desk/file/{file.id}")

    # --- a case's volumes and labels -----------------------------------------

    def _visible_case(self, case_id: int, action: str) -> Case | None:
        case = db.session.get(Case, case_id)
        if case is None:
            return None
        try:
            access.check(case, action=action)
        except access.OutOfScope:
            return None
        return case

    @expose("/case/<int:case_id>")
    @has_access
    @permission_name("track")
    def case(self, case_id: int) -> Any:
        """The volumes of a case, with opening a new one and the label sheet."""
        case = self._visible_case(case_id, "read")
        if case is None:
            return self._not_found()
        return self.render_template(
            "filetracking/case.html",
            case=case,
            files=services.files_of_case(case),
            locations=self._locations(case.court_id),
            local_time=local_time,
        )

    @expose("/case/<int:case_id>/open", methods=["POST"])
    @has_access
    @permission_name("move")
    def open_volume(self, case_id: int) -> Any:
        """Buka Jilid: open the case's next volume at the chosen location."""
        case = self._visible_case(case_id, "open_file")
        if case is None:
            return self._not_found()
        try:
            file = services.open_volume(
                case, _int(request.form.get("location_id")), by_id=g.user.id
            )
        except services.FileError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(f"Jilid baharu dibuka: {file.label}", "success")
        return redirect(f"/file-desk/case/{case_id}")

    @expose("/case/<int:case_id>/labels.pdf")
    @has_access
    @permission_name("labels")
    def labels(self, case_id: int) -> Any:
        """Cetak Label: the label sheet of every volume of the case."""
        case = self._visible_case(case_id, "labels")
        if case is None:
            return self._not_found()
        files = services.files_of_case(case)
        if not files:
            flash("Kes ini belum ada jilid fail.", "warning")
            return redirect(f"/file-desk/case/{case_id}")
        name = f"label-{case.case_number}.pdf".replace("/", "-")
        return _pdf_response(labels_pdf(files), name)

    # --- loans -----------------------------------------------------------------

    @expose("/mine")
    @has_access
    @permission_name("track")
    def mine(self) -> Any:
        """Fail Dalam Pegangan Saya: the volumes lent to the officer."""
        return self.render_template(
            "filetracking/files.html",
            title="Fail Dalam Pegangan Saya",
            files=services.files_held_by(g.user.id),
            today=services.local_today(),
            local_time=local_time,
        )

    @expose("/overdue")
    @has_access
    @permission_name("track")
    def overdue(self) -> Any:
        """Fail Lewat Dipulangkan: lent volumes past their due date."""
        return self.render_template(
            "filetracking/files.html",
            title="Fail Lewat Dipulangkan",
            files=services.overdue_files(),
            today=services.local_today(),
            local_time=local_time,
        )

    # --- stock-take ------------------------------------------------------------

    @expose("/stocktake", methods=["GET", "POST"])
    @has_access
    @permission_name("stocktake")
    def stocktake(self) -> Any:
        """Semakan Stok: scan every volume on a shelf; see what is missing or stray."""
        locations = sorted(
            db.session.scalars(access.scoped(sa.select(FileLocation), FileLocation)),
            key=lambda location: (location.court_id, location.path),
        )
        if request.method == "GET":
            return self.render_template(
                "filetracking/stocktake.html", locations=locations, report=None
            )
        location = db.session.get(
            FileLocation, _int(request.form.get("location_id")) or 0
        )
        if location is None:
            return self._not_found()
        try:
            report = stocktake.stock_take(
                location, request.form.get("labels", "").splitlines()
            )
        except access.OutOfScope:
            return self._not_found()
        return self.render_template(
            "filetracking/stocktake.html",
            locations=locations,
            report=report,
            scanned=request.form.get("labels", ""),
        )


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


#: Makes ``plugins/filetracking/templates`` visible to Flask's template loader.
templates = Blueprint("filetracking_templates", __name__, template_folder="templates")


def register(appbuilder: AppBuilder) -> None:
    """Add the records office's screens under the Fail Kes menu."""
    from flask import current_app

    if "filetracking_templates" not in current_app.blueprints:
        current_app.register_blueprint(templates)
    category = N_("Fail Kes")
    appbuilder.add_view(FileDeskView, N_("Imbas Label"), category=category)
    appbuilder.add_view(CaseFileView, N_("Senarai Fail"), category=category)
    appbuilder.add_view(FileLocationView, N_("Lokasi"), category=category)
    appbuilder.add_view(FileMovementView, N_("Pergerakan Fail"), category=category)
    appbuilder.add_link(
        N_("Fail Dalam Pegangan Saya"),
        href="/file-desk/mine",
        category=category,
        baseview=FileDeskView,
    )
    appbuilder.add_link(
        N_("Fail Lewat Dipulangkan"),
        href="/file-desk/overdue",
        category=category,
        baseview=FileDeskView,
    )
    appbuilder.add_link(
        N_("Semakan Stok"),
        href="/file-desk/stocktake",
        category=category,
        baseview=FileDeskView,
    )
