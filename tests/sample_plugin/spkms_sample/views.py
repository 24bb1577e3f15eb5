"""The sealed-note screen and REST API, both under the host's access check."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla.filters import FilterInFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface

from portal.extensions import db
from portal.models import Judge
from portal.security import access
from portal.views import ScopedModelRestApi, ScopedModelView
from spkms_sample.models import SealedNote

#: Menu entry and its category; the roles grant ``menu_access`` on both.
MENU_NAME = "Nota Sulit"
MENU_CATEGORY = "Sampel"

LABELS = {
    "title": "Tajuk",
    "body": "Isi",
    "court": "Mahkamah",
    "judge_user": "Hakim",
    "confidential": "Sulit",
    "created_at": "Dicipta",
    "changed_at": "Dikemas kini",
}

EDITABLE = ["title", "body", "court", "judge_user", "confidential"]


def judge_choices() -> list[int]:
    """User ids of the active judges of the officer's courts.

    The judge of a note is picked from these only, so a clerk cannot seal a
    note for a judge of another court by accident.
    """
    statement = sa.select(Judge.user_id).where(Judge.active.is_(True))
    return list(db.session.scalars(access.scoped(statement, Judge)))


_JUDGE_FILTER: dict[str, list[list[Any]]] = {
    "judge_user": [["id", FilterInFunction, judge_choices]]
}


class SealedNoteView(ScopedModelView):
    """Sealed notes of the officer's courts (Nota Sulit)."""

    datamodel = SQLAInterface(SealedNote)
    route_base = "/sealed-notes"
    list_title = "Nota Sulit"
    show_title = "Nota Sulit"
    add_title = "Tambah Nota Sulit"
    edit_title = "Kemas Kini Nota Sulit"
    list_columns = ["title", "court", "judge_user", "confidential"]
    show_columns = EDITABLE
    add_columns = edit_columns = EDITABLE
    search_columns = ["title", "confidential"]
    order_columns = ["title"]
    base_order = ("id", "desc")
    label_columns = LABELS
    add_form_query_rel_fields = edit_form_query_rel_fields = _JUDGE_FILTER


class SealedNoteApi(ScopedModelRestApi):
    """Sealed notes over the API, scoped like the screen; columns declared."""

    resource_name = "sealed_note"
    datamodel = SQLAInterface(SealedNote)
    list_columns = [
        "id",
        "title",
        "court_id",
        "judge_user_id",
        "confidential",
        "created_at",
    ]
    show_columns = [*list_columns, "body", "changed_at"]
    add_columns = edit_columns = EDITABLE
    search_columns = ["title", "confidential"]
    order_columns = ["id", "title", "created_at"]
    base_order = ("id", "desc")
    add_query_rel_fields = edit_query_rel_fields = _JUDGE_FILTER


def register(appbuilder: AppBuilder) -> None:
    """Add the screen under its menu, and the API."""
    appbuilder.add_view(SealedNoteView, MENU_NAME, category=MENU_CATEGORY)
    appbuilder.add_api(SealedNoteApi)
