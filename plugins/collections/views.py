"""Screens and API of the fee schedule."""

from __future__ import annotations

from flask_appbuilder import AppBuilder, ModelRestApi, ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface

from plugins.collections.models import FeeType

COLUMNS = ["code", "name", "revenue_code", "amount_sen", "active"]


class FeeTypeView(ModelView):
    """The state's fee schedule, from its profile."""

    datamodel = SQLAInterface(FeeType)
    route_base = "/fee-types"
    list_title = "Jadual Fi"
    list_columns = show_columns = add_columns = edit_columns = COLUMNS
    search_columns = ["code", "name", "revenue_code"]
    base_order = ("code", "asc")
    label_columns = {
        "code": "Kod",
        "name": "Nama",
        "revenue_code": "Kod Hasil",
        "amount_sen": "Amaun (sen)",
        "active": "Aktif",
    }


class FeeTypeApi(ModelRestApi):
    """Fee types over the API, read-only."""

    resource_name = "fee_type"
    datamodel = SQLAInterface(FeeType)
    allow_browser_login = True
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = ["id", *COLUMNS]
    search_columns = ["code", "name", "revenue_code"]


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(FeeTypeView, "Jadual Fi", category="Kutipan")
    appbuilder.add_api(FeeTypeApi)
