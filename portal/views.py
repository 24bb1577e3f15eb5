"""Base classes for court-owned screens and APIs, and the host's own screens.

``ScopedModelView`` and ``ScopedModelRestApi`` put the one access check
(``portal.security.access``) on every list, show, edit and delete through a
row filter, on adds and updates through ``pre_add`` / ``pre_update``, and on
the choices of related fields. A plugin's screen of a court-owned table must
subclass one of them; the scope tests walk every registered view to prove it.
"""

# TODO(i18n): the host's court, judge and posting screens have Malay column labels only;
#   only their menu names are in the catalogs.
from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import abort, request
from flask_appbuilder import (
    AppBuilder,
    BaseView,
    ModelRestApi,
    ModelView,
    expose,
    has_access,
)
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterInFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy.orm import MANYTOONE, RelationshipProperty

from portal.extensions import db
from portal.i18n import N_
from portal.models import Court, Judge, OfficerCourt
from portal.security import access

logger = logging.getLogger(__name__)


class CappedCountInterface(SQLAInterface):
    """FAB's model interface, counting a list's rows only up to ``count_cap``.

    FAB counts every row a list's filters match on every page it shows; over
    a court's hundred thousand cases that count costs more than the page.
    Counting stops at ``count_cap`` + 1 rows, so the pager still reaches the
    first ``count_cap`` rows, and a search narrows the rest.
    """

    # TODO(capped count): a list of more rows shows count_cap + 1 as its
    # record count; the screen should say "more than 1,000".
    count_cap = 1_000

    def query_count(
        self,
        query: Any,
        filters: Any = None,
        select_columns: list[str] | None = None,
    ) -> int:
        inner = self._apply_inner_all(
            query, filters, select_columns=select_columns, aliases_mapping={}
        )
        return inner.limit(self.count_cap + 1).count()


class ScopeFilter(BaseFilter):
    """Row filter that applies the access check to the view's model."""

    name = "Dalam skop mahkamah"

    def apply(self, query: Any, value: Any) -> Any:
        clause = access.scope_clause(self.model, access.current_viewer())
        return query if clause is None else query.filter(clause)


class WriteRefused(ValueError):
    """A write names a court or record outside the officer's scope."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


def _visible_court_ids() -> list[int]:
    allowed = access.allowed_court_ids()
    if allowed is None:
        return list(db.session.scalars(sa.select(Court.id)))
    return sorted(allowed)


def _pointed_at(item: Any, rel: RelationshipProperty[Any]) -> list[Any]:
    """Every row a relationship of ``item`` names, or is about to name.

    A many-to-one can be set through the relationship (``item.court = ...``)
    or its foreign key (``item.court_id = ...``), and until the flush the other
    side still holds the old value, so both are returned. Other relationships
    return only the rows added to them in this unit of work: rows already
    there were checked when they were added.
    """
    if rel.direction is not MANYTOONE:
        history = sa.inspect(item).attrs[rel.key].history
        return [target for target in history.added if target is not None]
    target_cls = rel.mapper.class_
    found: list[Any] = []
    target = getattr(item, rel.key, None)
    if target is not None:
        found.append(target)
    mapper = sa.inspect(type(item))
    for column in rel.local_columns:
        key = mapper.get_property_by_column(column).key
        value = getattr(item, key, None)
        if value is None or (target is not None and target.id == value):
            continue
        named = db.session.get(target_cls, value)
        if named is not None:
            found.append(named)
    return found


def check_writable(item: Any) -> None:
    """Refuse a new or changed row that points outside the officer's scope.

    Checks the owning court (``court`` / ``court_id``) against the officer's
    postings, and every row of a scoped table the item is tied to (through
    any relationship) against the one access check, so a row cannot be tied
    to a record the officer may not see.
    """
    allowed = access.allowed_court_ids()
    mapper = sa.inspect(type(item))
    court_ids = {getattr(item, "court_id", None)}
    # Looking targets up must not flush the half-checked row first.
    with db.session.no_autoflush:
        for rel in mapper.relationships:
            target_cls = rel.mapper.class_
            if target_cls is Court:
                if rel.key == "court":
                    court_ids.update(target.id for target in _pointed_at(item, rel))
                continue
            if not access.is_scoped(target_cls):
                continue
            for target in _pointed_at(item, rel):
                if target.id is not None and not access.may_see(target):
                    raise WriteRefused(
                        rel.key, "the chosen record is not in your courts"
                    )
    court_ids.discard(None)
    if allowed is not None and not court_ids <= allowed:
        raise WriteRefused(
            "court", "you may only record for the courts you are posted to"
        )


class _ScopedMixin:
    """Shared set-up of the screen and API classes below."""

    datamodel: SQLAInterface
    base_filters: list[Any] | None
    #: Attribute names FAB reads related-field filters from (differ by class).
    _rel_filter_attrs: tuple[str, str]

    def _scope_setup(self) -> None:
        self.base_filters = [*(self.base_filters or []), ["id", ScopeFilter, None]]
        # Left to FAB, the search columns take in Continuum's ``versions``: the
        # API advertises it as a filter, and using it fails the request.
        self.search_exclude_columns = [*(self.search_exclude_columns or []), "versions"]
        model = self.datamodel.obj
        rel_filters: dict[str, Any] = {}
        for rel in sa.inspect(model).relationships:
            target = rel.mapper.class_
            if target is Court:
                rel_filters[rel.key] = [["id", FilterInFunction, _visible_court_ids]]
            elif access.is_scoped(target):
                rel_filters[rel.key] = [["id", ScopeFilter, None]]
        for attr in self._rel_filter_attrs:
            # The view's own filters narrow the choices further; they never
            # replace the scope filter of the same field.
            own = getattr(self, attr, None) or {}
            merged = {
                key: [*rel_filters.get(key, []), *own.get(key, [])]
                for key in {*rel_filters, *own}
            }
            setattr(self, attr, merged)

    def _coerce_pk(self, pk: Any) -> Any:
        """``pk`` as the primary key's Python type, or ``None`` if it is not one.

        FAB passes the URL's text through; PostgreSQL fails the whole request
        on ``WHERE id = 'abc'`` where SQLite finds nothing, so a malformed key
        is turned into "not found" here, the same on both.
        """
        columns = sa.inspect(self.datamodel.obj).primary_key
        if len(columns) != 1 or pk is None:
            return pk
        try:
            return columns[0].type.python_type(pk)
        except (NotImplementedError, TypeError, ValueError):
            return None

    def pre_add(self, item: Any) -> None:
        check_writable(item)

    def pre_update(self, item: Any) -> None:
        check_writable(item)


class ScopedModelView(_ScopedMixin, ModelView):
    """A generated CRUD screen of a court-owned table."""

    _rel_filter_attrs = ("add_form_query_rel_fields", "edit_form_query_rel_fields")

    def __init__(self, **kwargs: Any) -> None:
        self._scope_setup()
        super().__init__(**kwargs)

    def _deserialize_pk_if_composite(self, pk: Any) -> Any:
        key = self._coerce_pk(super()._deserialize_pk_if_composite(pk))
        if key is None:
            abort(404)
        return key

    def _require_visible(self, pk: Any) -> None:
        """404 (and a logged denial) unless the officer may see record ``pk``."""
        record = self.datamodel.get(self._deserialize_pk_if_composite(pk))
        if record is None:
            abort(404)
        try:
            access.check(record, action="action")
        except access.OutOfScope:
            # The same page as the row filter's 404 on show, edit and delete.
            abort(404)

    # FAB runs actions on ``datamodel.get(pk)`` without the row filter, so
    # both action routes ask the access check before handing over.
    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name: str, pk: Any) -> Any:
        """Run a record action only on a record the officer may see."""
        self._require_visible(pk)
        return super().action(name, pk)

    @expose("/action_post", methods=["POST"])
    def action_post(self) -> Any:
        """Run a list action only when every chosen record may be seen."""
        for pk in request.form.getlist("rowid"):
            self._require_visible(pk)
        return super().action_post()


class ScopedModelRestApi(_ScopedMixin, ModelRestApi):
    """A REST API of a court-owned table; declare its columns, always."""

    _rel_filter_attrs = ("add_query_rel_fields", "edit_query_rel_fields")

    def __init__(self) -> None:
        self._scope_setup()
        super().__init__()

    def get_headless(self, pk: Any, **kwargs: Any) -> Any:
        key = self._coerce_pk(pk)
        if key is None:
            return self.response_404()
        return super().get_headless(key, **kwargs)

    def delete_headless(self, pk: Any) -> Any:
        key = self._coerce_pk(pk)
        if key is None:
            return self.response_404()
        return super().delete_headless(key)

    def post_headless(self) -> Any:
        try:
            return super().post_headless()
        except WriteRefused as exc:
            db.session.rollback()
            return self.response_422(message={exc.field: [exc.rule]})

    def put_headless(self, pk: Any) -> Any:
        key = self._coerce_pk(pk)
        if key is None:
            return self.response_404()
        try:
            return super().put_headless(key)
        except WriteRefused as exc:
            db.session.rollback()
            return self.response_422(message={exc.field: [exc.rule]})


# --- the host's own screens -------------------------------------------------


class CourtView(ModelView):
    """Courts of the state; loaded from the profile, kept by the administrator."""

    datamodel = SQLAInterface(Court)
    route_base = "/courts"
    list_title = "Mahkamah"
    list_columns = ["code", "name", "level", "district", "parent", "active"]
    show_columns = ["code", "name", "level", "district", "parent", "active"]
    add_columns = edit_columns = [
        "code",
        "name",
        "level",
        "district",
        "parent",
        "active",
    ]
    search_columns = ["code", "name", "level", "district"]
    label_columns = {
        "code": "Kod",
        "name": "Nama",
        "level": "Peringkat",
        "district": "Daerah",
        "parent": "Mahkamah Induk",
        "active": "Aktif",
    }
    order_columns = ["code", "name", "level", "district"]
    base_order = ("code", "asc")


class OfficerCourtView(ModelView):
    """Which officer is posted to which court (the administrator's screen)."""

    datamodel = SQLAInterface(OfficerCourt)
    route_base = "/postings"
    list_title = "Penempatan Pegawai"
    list_columns = ["user", "court"]
    show_columns = add_columns = edit_columns = ["user", "court"]
    label_columns = {"user": "Pegawai", "court": "Mahkamah"}

    def post_add(self, item: OfficerCourt) -> None:
        from portal.jobs import emit

        emit("officer_posted", user_id=item.user_id, court_id=item.court_id)
        db.session.commit()


class JudgeView(ScopedModelView):
    """Judges of the courts the officer is posted to."""

    datamodel = SQLAInterface(Judge)
    route_base = "/judges"
    list_title = "Hakim"
    list_columns = ["title", "user", "court", "active"]
    show_columns = add_columns = edit_columns = ["title", "user", "court", "active"]
    search_columns = ["title", "user", "court", "active"]
    label_columns = {
        "title": "Gelaran",
        "user": "Pegawai",
        "court": "Mahkamah",
        "active": "Aktif",
    }


class CourtApi(ModelRestApi):
    """Courts, read-only over the API: every officer may address any court."""

    resource_name = "court"
    datamodel = SQLAInterface(Court)
    allow_browser_login = True
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = [
        "id",
        "code",
        "name",
        "level",
        "district",
        "parent_id",
        "active",
    ]
    search_columns = ["code", "name", "level", "district", "active"]


class JudgeApi(ScopedModelRestApi):
    """Judges, scoped to the officer's courts."""

    resource_name = "judge"
    datamodel = SQLAInterface(Judge)
    allow_browser_login = True
    list_columns = show_columns = ["id", "title", "user_id", "court_id", "active"]
    add_columns = edit_columns = ["title", "user", "court", "active"]
    search_columns = ["title", "user", "court", "active"]


class PluginsView(BaseView):
    """The administrator's list of loaded plugins, versions and hooks."""

    route_base = "/plugins"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self) -> str:
        from portal.app import spkms

        return self.render_template("spkms/plugins.html", plugins=spkms().plugins)


def register(appbuilder: AppBuilder) -> None:
    """Add the host's screens and APIs."""
    appbuilder.add_view(CourtView, N_("Mahkamah"), category=N_("Pentadbiran"))
    appbuilder.add_view(
        OfficerCourtView, N_("Penempatan Pegawai"), category=N_("Pentadbiran")
    )
    appbuilder.add_view(JudgeView, N_("Hakim"), category=N_("Pentadbiran"))
    appbuilder.add_view(PluginsView, N_("Pemalam"), category=N_("Pentadbiran"))
    appbuilder.add_api(CourtApi)
    appbuilder.add_api(JudgeApi)
