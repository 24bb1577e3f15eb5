"""Screens and API of case types (read by all officers, kept by the administrator)."""

from __future__ import annotations

from flask_appbuilder import AppBuilder, ModelRestApi, ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface

from plugins.cases.models import CaseType

COLUMNS = [
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
    show_columns = add_columns = edit_columns = COLUMNS
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
    list_columns = show_columns = ["id", *COLUMNS]
    search_columns = ["code", "name", "category", "level"]


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(CaseTypeView, "Jenis Kes", category="Kes")
    appbuilder.add_api(CaseTypeApi)
