"""Allocation screens: judges' eligibility, the draw records, the workload.

Eligibility rows and records are court-owned (through the judge, or the case's
court), so every screen subclasses ``ScopedModelView``. Records are read-only:
their routes for adding, editing and deleting are not even registered.
"""

# TODO(i18n): the allocation screens' column labels are Malay only; only their menu
#   names are in the catalogs.
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, request
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface

from plugins.allocation.models import (
    AllocationKind,
    AllocationRecord,
    JudgeCompetence,
    JudgeConflict,
    JudgeCoverage,
    JudgeLeave,
)
from portal.extensions import db
from portal.i18n import N_
from portal.models import Court
from portal.security import access
from portal.views import ScopedModelView

logger = logging.getLogger(__name__)

CATEGORY = N_("Peruntukan Hakim")

_JUDGE_LABELS = {"judge": "Hakim", "created_at": "Dicipta", "changed_at": "Diubah"}


class JudgeLeaveView(ScopedModelView):
    """Judges' leave: no new case is allocated to a judge on leave."""

    datamodel = SQLAInterface(JudgeLeave)
    route_base = "/allocation/leave"
    list_title = "Cuti Hakim"
    list_columns = ["judge", "starts_on", "ends_on", "reason"]
    show_columns = add_columns = edit_columns = list_columns
    search_columns = ["judge", "starts_on", "ends_on"]
    label_columns = {
        **_JUDGE_LABELS,
        "starts_on": "Dari",
        "ends_on": "Hingga",
        "reason": "Sebab",
    }
    base_order = ("starts_on", "desc")

    def pre_add(self, item: JudgeLeave) -> None:
        _check_period(item)
        super().pre_add(item)

    def pre_update(self, item: JudgeLeave) -> None:
        _check_period(item)
        super().pre_update(item)


def _check_period(item: JudgeLeave) -> None:
    from portal.views import WriteRefused

    if item.starts_on and item.ends_on and item.ends_on < item.starts_on:
        raise WriteRefused("ends_on", "must not be before the first day of leave")


class JudgeCoverageView(ScopedModelView):
    """Courts a judge covers besides the home court."""

    datamodel = SQLAInterface(JudgeCoverage)
    route_base = "/allocation/coverage"
    list_title = "Liputan Mahkamah"
    list_columns = ["judge", "covers_court", "note"]
    show_columns = add_columns = edit_columns = list_columns
    search_columns = ["judge", "covers_court"]
    label_columns = {**_JUDGE_LABELS, "covers_court": "Mahkamah", "note": "Catatan"}


class JudgeCompetenceView(ScopedModelView):
    """Categories and levels a judge hears (no row: everything)."""

    datamodel = SQLAInterface(JudgeCompetence)
    route_base = "/allocation/competence"
    list_title = "Bidang Kuasa Hakim"
    list_columns = ["judge", "hears_mal", "hears_jenayah", "levels"]
    show_columns = add_columns = edit_columns = list_columns
    search_columns = ["judge"]
    label_columns = {
        **_JUDGE_LABELS,
        "hears_mal": "Mal",
        "hears_jenayah": "Jenayah",
        "levels": "Peringkat (kod, dipisah koma; kosong = semua)",
    }


class JudgeConflictView(ScopedModelView):
    """Recorded conflicts of interest between judges and parties."""

    datamodel = SQLAInterface(JudgeConflict)
    route_base = "/allocation/conflicts"
    list_title = "Konflik Kepentingan"
    list_columns = ["judge", "party", "reason"]
    show_columns = add_columns = edit_columns = list_columns
    search_columns = ["judge"]
    label_columns = {**_JUDGE_LABELS, "party": "Pihak", "reason": "Sebab"}


class AllocationRecordView(ScopedModelView):
    """Every allocation of the officer's courts, as recorded (read-only)."""

    datamodel = SQLAInterface(AllocationRecord)
    route_base = "/allocation/records"
    list_title = "Rekod Peruntukan"
    show_title = "Rekod Peruntukan"
    base_permissions = ["can_list", "can_show"]
    exclude_route_methods = {"add", "edit", "delete", "download"}
    list_columns = ["at", "case", "court", "kind", "strategy", "chosen_judge"]
    show_columns = [
        "at",
        "case",
        "court",
        "kind",
        "strategy",
        "candidates",
        "params",
        "random_value",
        "chosen_judge",
        "reason_code",
        "reason_text",
        "by_user",
        "prev_hash",
        "hash",
    ]
    search_columns = ["court", "kind", "strategy", "chosen_judge", "at"]
    label_columns = {
        "at": "Masa (UTC)",
        "case": "Kes",
        "court": "Mahkamah",
        "kind": "Jenis",
        "strategy": "Strategi",
        "candidates": "Calon (hakim, beban)",
        "params": "Parameter",
        "random_value": "Nilai rawak",
        "chosen_judge": "Hakim dipilih",
        "reason_code": "Kod sebab",
        "reason_text": "Sebab",
        "by_user": "Oleh",
        "prev_hash": "Cincang sebelum",
        "hash": "Cincang",
    }
    formatters_columns = {"kind": lambda kind: AllocationKind.LABELS.get(kind, kind)}
    base_order = ("id", "desc")


class WorkloadView(BaseView):
    """Open cases and weighted load per judge of one court."""

    route_base = "/allocation/workload"
    default_view = "show"

    @expose("/")
    @has_access
    def show(self) -> str:
        from plugins.allocation import services

        allowed = access.allowed_court_ids()
        courts = list(
            db.session.scalars(
                sa.select(Court)
                .where(True if allowed is None else Court.id.in_(sorted(allowed)))
                .order_by(Court.code)
            )
        )
        if not courts:
            abort(404)
        code = request.args.get("court", courts[0].code)
        court = next((c for c in courts if c.code == code), None)
        if court is None:
            abort(404)
        rows = services.workload(db.session, court.id)
        return self.render_template(
            "allocation/workload.html",
            courts=courts,
            court=court,
            rows=rows,
            spread=services.spread({r.judge_id: r.load for r in rows}),
            largest=max([r.load for r in rows] or [0]),
        )


#: Makes ``plugins/allocation/templates`` visible to Flask's template loader.
templates = Blueprint("allocation_templates", __name__, template_folder="templates")


def register(appbuilder: AppBuilder) -> None:
    """Add the allocation screens under one menu."""
    if "allocation_templates" not in current_app.blueprints:
        current_app.register_blueprint(templates)
    appbuilder.add_view(JudgeLeaveView, N_("Cuti Hakim"), category=CATEGORY)
    appbuilder.add_view(JudgeCoverageView, N_("Liputan Mahkamah"), category=CATEGORY)
    appbuilder.add_view(
        JudgeCompetenceView, N_("Bidang Kuasa Hakim"), category=CATEGORY
    )
    appbuilder.add_view(JudgeConflictView, N_("Konflik Kepentingan"), category=CATEGORY)
    appbuilder.add_view(AllocationRecordView, N_("Rekod Peruntukan"), category=CATEGORY)
    appbuilder.add_view(WorkloadView, N_("Beban Kerja Hakim"), category=CATEGORY)
    from plugins.allocation import screens

    appbuilder.add_view(screens.OverrideView, N_("Pinda Peruntukan"), category=CATEGORY)
    appbuilder.add_view(
        screens.RebalanceView, N_("Pengimbangan Semula"), category=CATEGORY
    )
    appbuilder.add_view(
        screens.FairnessView, N_("Laporan Keadilan Cabutan"), category=CATEGORY
    )
