"""Screens of parties, lawyers and merges.

Parties are shared by every court of the state, so these are plain (not
court-scoped) screens; every add and edit goes through the service's checks
in ``pre_add`` / ``pre_update``, so a bad MyKad number is refused with the
rule it broke and nothing is written. Deleting is left out: a duplicate is
merged, which keeps the history of both profiles.
"""

# TODO(i18n): the party and lawyer screens' column labels, flashes and templates are
#   Malay only; only their menu names are in the catalogs.
from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, ModelView, expose, has_access
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.validators import Optional

from plugins.parties import services
from plugins.parties.identity import GENDERS, IDENTITY_TYPES, MALAYSIAN, MYKAD
from plugins.parties.models import Lawyer, Party, PartyMerge
from portal.extensions import db
from portal.i18n import N_
from portal.security import access

logger = logging.getLogger(__name__)

TEMPLATES = str(Path(__file__).parent / "templates")
#: Menu category and entries; the roles grant ``menu_access`` on them.
MENU_CATEGORY = N_("Pihak")
MENU_PARTIES = N_("Pihak")
MENU_SEARCH = N_("Carian Pihak")
MENU_LAWYERS = N_("Peguam Syarie")
MENU_MERGE = N_("Gabung Profil")
MENU_MERGES = N_("Sejarah Gabungan")
MENUS = (
    MENU_CATEGORY,
    MENU_PARTIES,
    MENU_SEARCH,
    MENU_LAWYERS,
    MENU_MERGE,
    MENU_MERGES,
)

PARTY_LABELS = {
    "full_name": "Nama",
    "identity_type": "Jenis Pengenalan",
    "identity_number": "No. Kad Pengenalan",
    "identity_display": "No. Kad Pengenalan",
    "nationality": "Warganegara",
    "birth_date": "Tarikh Lahir",
    "gender": "Jantina",
    "address_line1": "Alamat 1",
    "address_line2": "Alamat 2",
    "address_line3": "Alamat 3",
    "postcode": "Poskod",
    "town": "Bandar",
    "state": "Negeri",
    "phone": "No. Telefon",
    "email": "E-mel",
    "keyed_at_court": "Didaftarkan di",
    "merged_into": "Digabungkan ke",
    "created_at": "Dicipta",
    "changed_at": "Dikemas kini",
}
PARTY_EDITABLE = [
    "full_name",
    "identity_type",
    "identity_number",
    "nationality",
    "birth_date",
    "gender",
    "address_line1",
    "address_line2",
    "address_line3",
    "postcode",
    "town",
    "state",
    "phone",
    "email",
]


def keying_court_id() -> int | None:
    """The court a new profile is recorded as keyed at: the officer's posting.

    An officer posted to several courts is recorded at the first of them; a
    statewide officer (no posting needed) at none.
    """
    allowed = access.allowed_court_ids()
    return min(allowed) if allowed else None


def _choices(pairs: Iterable[tuple[str, str]]) -> list[Any]:
    """Select choices as the installed WTForms wants them.

    Releases that have ``SelectChoice`` warn about (value, label) tuples;
    older ones in the pinned range only know the tuples.
    """
    try:
        from wtforms.fields.choices import SelectChoice
    except ImportError:
        return list(pairs)
    return [SelectChoice(value=value, label=label) for value, label in pairs]


def _choice_fields() -> dict[str, Any]:
    """Fields for the coded columns (fresh objects for each form).

    Nationality may be left empty: the service makes it MYS for the
    Malaysian identity types and asks for it with a passport.
    """
    return {
        "identity_type": SelectField(
            PARTY_LABELS["identity_type"],
            choices=_choices(IDENTITY_TYPES.items()),
            default=MYKAD,
            widget=Select2Widget(),
        ),
        "nationality": StringField(
            PARTY_LABELS["nationality"],
            default=MALAYSIAN,
            validators=[Optional()],
            description="Kod negara ISO 3166 (MYS bagi warganegara Malaysia).",
            widget=BS3TextFieldWidget(),
        ),
        "gender": SelectField(
            PARTY_LABELS["gender"],
            choices=_choices([("", "(ikut MyKad)"), *GENDERS.items()]),
            default="",
            description="Kosongkan untuk MyKad: jantina diambil dari nombornya.",
            widget=Select2Widget(),
        ),
    }


class PartyView(ModelView):
    """Party profiles (pihak), one per person across the state's courts."""

    datamodel = SQLAInterface(Party)
    route_base = "/parties"
    list_title = "Pihak"
    show_title = "Profil Pihak"
    add_title = "Tambah Pihak"
    edit_title = "Kemas Kini Pihak"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    list_columns = [
        "full_name",
        "identity_display",
        "nationality",
        "birth_date",
        "gender",
        "town",
        "merged_into",
    ]
    show_columns = [*PARTY_EDITABLE, "keyed_at_court", "merged_into", "changed_at"]
    add_columns = edit_columns = PARTY_EDITABLE
    search_columns = [
        "full_name",
        "identity_number",
        "identity_type",
        "nationality",
        "town",
        "state",
    ]
    order_columns = ["full_name", "birth_date", "nationality", "town"]
    base_order = ("full_name", "asc")
    label_columns = PARTY_LABELS
    description_columns = {
        "identity_number": "MyKad boleh ditaip dengan atau tanpa sengkang.",
        "birth_date": "Kosongkan untuk MyKad: tarikh diambil dari nombornya.",
    }
    add_form_extra_fields = _choice_fields()
    edit_form_extra_fields = _choice_fields()

    def pre_add(self, item: Party) -> None:
        """Check and canonicalise the new profile; refuse it with the rule."""
        if item.keyed_at_court_id is None:
            item.keyed_at_court_id = keying_court_id()
        services.accept_party(item)

    def pre_update(self, item: Party) -> None:
        """Check the changed profile; on refusal undo the form's changes."""
        try:
            services.accept_party(item)
        except services.PartyError:
            db.session.rollback()
            raise


class LawyerView(ModelView):
    """Syariah lawyers (Peguam Syarie) admitted in the state."""

    datamodel = SQLAInterface(Lawyer)
    route_base = "/lawyers"
    list_title = "Peguam Syarie"
    show_title = "Peguam Syarie"
    add_title = "Tambah Peguam Syarie"
    edit_title = "Kemas Kini Peguam Syarie"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    list_columns = ["name", "certificate_number", "firm", "phone", "active"]
    show_columns = [
        "name",
        "certificate_number",
        "firm",
        "address",
        "phone",
        "email",
        "active",
    ]
    add_columns = edit_columns = show_columns
    search_columns = ["name", "certificate_number", "firm", "active"]
    order_columns = ["name", "certificate_number", "firm"]
    base_order = ("name", "asc")
    label_columns = {
        "name": "Nama",
        "certificate_number": "No. Sijil Amalan",
        "firm": "Firma",
        "address": "Alamat",
        "phone": "No. Telefon",
        "email": "E-mel",
        "active": "Aktif",
    }

    def pre_add(self, item: Lawyer) -> None:
        services.accept_lawyer(item)

    def pre_update(self, item: Lawyer) -> None:
        try:
            services.accept_lawyer(item)
        except services.PartyError:
            db.session.rollback()
            raise


class PartyMergeView(ModelView):
    """The record of merged profiles, read-only (who merged what, and why)."""

    datamodel = SQLAInterface(PartyMerge)
    route_base = "/party-merges"
    list_title = "Sejarah Gabungan Profil"
    show_title = "Gabungan Profil"
    base_permissions = ["can_list", "can_show"]
    list_columns = [
        "merged_at",
        "survivor",
        "merged",
        "reason",
        "forced",
        "moved_references",
        "merged_by",
    ]
    show_columns = list_columns
    search_columns = ["reason", "forced", "merged_at"]
    order_columns = ["merged_at"]
    base_order = ("merged_at", "desc")
    label_columns = {
        "merged_at": "Tarikh",
        "survivor": "Profil Kekal",
        "merged": "Profil Pendua",
        "reason": "Sebab",
        "forced": "Dipaksa",
        "moved_references": "Rujukan Dipindah",
        "merged_by": "Oleh",
    }


class PartySearchView(BaseView):
    """One page to find a party: exact by identity number, ranked by name.

    The clerk's first stop before keying anyone, so nobody is keyed twice.
    """

    route_base = "/parties/search"
    default_view = "search"
    template_folder = TEMPLATES

    @expose("/")
    @has_access
    def search(self) -> str:
        """Look a number up, or rank profiles by a name."""
        query = (request.args.get("q") or "").strip()
        identity_type = request.args.get("identity_type") or MYKAD
        number = (request.args.get("number") or "").strip()
        found: Party | None = None
        matches: list[Any] = []
        error = ""
        try:
            if number:
                found = services.find_by_identity(identity_type, number)
            if query:
                matches = services.search_by_name(query)
        except services.PartyError as exc:
            error = str(exc)
        return self.render_template(
            "parties/search.html",
            query=query,
            number=number,
            identity_type=identity_type,
            identity_types=IDENTITY_TYPES,
            found=found,
            looked_up=bool(number) and not error,
            matches=matches,
            error=error,
        )


class PartyMergeFormView(BaseView):
    """The registrar's merge of a duplicate profile: choose, compare, confirm."""

    route_base = "/parties/merge"
    default_view = "merge"
    template_folder = TEMPLATES

    @expose("/", methods=["GET", "POST"])
    @has_access
    def merge(self) -> str | Response:
        """Step 1 picks the two profiles, step 2 shows both, step 3 merges."""
        source = request.form if request.method == "POST" else request.args
        survivor_raw = (source.get("survivor_id") or "").strip()
        duplicate_raw = (source.get("duplicate_id") or "").strip()
        reason = source.get("reason") or ""
        force = source.get("force") in {"1", "y", "on", "true"}
        step = request.form.get("step", "") if request.method == "POST" else ""
        context: dict[str, Any] = {
            "survivor_id": survivor_raw,
            "duplicate_id": duplicate_raw,
            "reason": reason,
            "force": force,
            "error": "",
            "survivor": None,
            "duplicate": None,
        }
        if step in {"preview", "confirm"}:
            try:
                survivor_id = _profile_id("survivor_id", survivor_raw)
                duplicate_id = _profile_id("duplicate_id", duplicate_raw)
                if step == "confirm":
                    record = services.merge_parties(
                        survivor_id,
                        duplicate_id,
                        reason,
                        getattr(g.user, "id", None),
                        force=force,
                    )
                    flash(
                        f"Profil {duplicate_id} telah digabungkan ke profil "
                        f"{survivor_id} ({record.moved_references} rujukan dipindah).",
                        "success",
                    )
                    return redirect(url_for("PartyMergeView.show", pk=record.id))
                survivor = db.session.get(Party, survivor_id)
                duplicate = db.session.get(Party, duplicate_id)
                if survivor is None:
                    raise services.PartyError(
                        "survivor_id", f"there is no profile {survivor_id}"
                    )
                if duplicate is None:
                    raise services.PartyError(
                        "duplicate_id", f"there is no profile {duplicate_id}"
                    )
                services.clean_text("reason", reason, max_length=500, required=True)
                services.check_merge(survivor, duplicate, force=force)
                context.update(
                    survivor=services.describe(survivor),
                    duplicate=services.describe(duplicate),
                )
            except services.PartyError as exc:
                context["error"] = str(exc)
        return self.render_template("parties/merge.html", **context)


def _profile_id(field: str, raw: str) -> int:
    """A profile number typed into the merge form."""
    if not raw.isdigit():
        raise services.PartyError(field, "must be a profile number")
    return int(raw)


def register(appbuilder: AppBuilder) -> None:
    """Add the parties plugin's screens and APIs."""
    from plugins.parties.api import LawyerApi, PartyApi

    appbuilder.add_view(PartySearchView, MENU_SEARCH, category=MENU_CATEGORY)
    appbuilder.add_view(PartyView, MENU_PARTIES, category=MENU_CATEGORY)
    appbuilder.add_view(LawyerView, MENU_LAWYERS, category=MENU_CATEGORY)
    appbuilder.add_view(PartyMergeFormView, MENU_MERGE, category=MENU_CATEGORY)
    appbuilder.add_view(PartyMergeView, MENU_MERGES, category=MENU_CATEGORY)
    appbuilder.add_api(PartyApi)
    appbuilder.add_api(LawyerApi)
