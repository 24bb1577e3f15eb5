"""Court scope and confidentiality on every screen and API, found by walking.

The tests do not name views: they walk ``appbuilder.baseviews`` of the portal
with every plugin loaded (the sample third-party plugin included) and probe
each screen and REST API whose model the access check narrows. A plugin that
adds such a model adds a factory to ``FACTORIES`` below, or the walk fails and
says so; nothing else here changes when a plugin lands.

The probing officer holds a role with every permission of every view but is
posted to court A only, so whatever stops them at court B's records is the
court scope, never a missing permission.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_appbuilder import ModelRestApi
from flask_appbuilder.baseviews import BaseModelView
from flask_appbuilder.security.sqla.models import User
from flask_jwt_extended import create_access_token
from werkzeug.routing import Rule

from portal.audit.models import AccessLog
from portal.extensions import db
from portal.models import AccessGrant, Court, Judge
from portal.security import access
from portal.views import ScopedModelRestApi, ScopedModelView
from tests.conftest import api_headers, court_id, login, make_officer

#: Court the probing officer is posted to, and the court they must not reach.
COURT_A = "11001"
COURT_B = "11002"

#: A role holding every permission of every view; not statewide, not registrar.
PROBE_ROLE = "Scope Probe"

#: HTTP methods a route is probed with (HEAD and OPTIONS add nothing).
PROBED_METHODS = ("GET", "POST", "PUT", "DELETE")


# --- factories: one minimal valid row per scoped table ------------------------


def _token() -> str:
    return uuid.uuid4().hex[:10]


def _judge(app: Flask, court: int) -> dict[str, Any]:
    # user_id is unique per judge, so each judge gets an officer of its own.
    user = make_officer(app, "Public")
    return {
        "title": f"Hakim {_token()}",
        "user_id": user.id,
        "court_id": court,
        "active": True,
    }


def _sealed_note(app: Flask, court: int) -> dict[str, Any]:
    return {
        "title": f"Nota {_token()}",
        "body": "Isi nota ujian.",
        "court_id": court,
        "confidential": False,
    }


_mykad_serial = iter(range(1, 10_000))


def _case_in(app: Flask, court: int) -> int:
    """A case of ``court`` (inserted directly: the factories test scope, not rules)."""
    from datetime import UTC, datetime

    from plugins.cases.models import Case, CaseType

    with app.app_context():
        case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == "055"))
        case = Case(
            court_id=court,
            case_type_id=case_type.id,
            year=2026,
            case_number=f"SKOP-{_token()}",
            title="Kes ujian skop",
            registered_at=datetime.now(UTC),
            registered_from_id=court,
        )
        db.session.add(case)
        db.session.commit()
        return case.id


def _case(app: Flask, court: int) -> dict[str, Any]:
    from datetime import UTC, datetime

    from plugins.cases.models import CaseType

    with app.app_context():
        type_id = db.session.scalar(
            sa.select(CaseType.id).where(CaseType.code == "055")
        )
    return {
        "court_id": court,
        "case_type_id": type_id,
        "year": 2026,
        "case_number": f"SKOP-{_token()}",
        "title": f"Kes {_token()}",
        "registered_at": datetime.now(UTC),
        "registered_from_id": court,
    }


def _case_party(app: Flask, court: int) -> dict[str, Any]:
    from plugins.parties import services as parties

    case_id = _case_in(app, court)
    with app.app_context():
        party = parties.create_party(
            identity_type="mykad",
            identity_number=f"900202-11-{next(_mykad_serial) + 5000:04d}",
            full_name="Pihak Ujian Skop",
        )
        db.session.commit()
        return {"case_id": case_id, "party_id": party.id, "role": "plaintif"}


def _hearing(app: Flask, court: int) -> dict[str, Any]:
    from datetime import UTC, datetime

    return {
        "case_id": _case_in(app, court),
        "kind": "sebutan",
        "starts_at": datetime(2027, 1, 5, 1, 0, tzinfo=UTC),
        "courtroom": "Bilik 1",
    }


def _document(app: Flask, court: int) -> dict[str, Any]:
    return {
        "case_id": _case_in(app, court),
        "doc_type": "Afidavit",
        "filename": "afidavit.pdf",
        "content_type": "application/pdf",
        "size_bytes": 4,
        "sha256": "0" * 64,
        "content": b"%PDF",
    }


def _file_location(app: Flask, court: int) -> dict[str, Any]:
    return {"court_id": court, "kind": "bangunan", "name": f"Blok {_token()}"}


def _case_file_in(app: Flask, court: int) -> int:
    """A volume of a new case of ``court``, kept on a new shelf there."""
    from plugins.filetracking.models import CaseFile, FileLocation

    case_id = _case_in(app, court)
    with app.app_context():
        shelf = FileLocation(**_file_location(app, court))
        file = CaseFile(
            court_id=court,
            case_id=case_id,
            volume=1,
            label=f"SKOP-{_token().upper()}/J1",
            location=shelf,
        )
        db.session.add(file)
        db.session.commit()
        return file.id


def _case_file(app: Flask, court: int) -> dict[str, Any]:
    return {
        "court_id": court,
        "case_id": _case_in(app, court),
        "volume": 1,
        "label": f"SKOP-{_token().upper()}/J1",
        "state": "ada",
    }


def _file_movement(app: Flask, court: int) -> dict[str, Any]:
    from datetime import UTC, datetime

    by = make_officer(app, "Records Officer", (COURT_A,))
    return {
        "file_id": _case_file_in(app, court),
        "kind": "open",
        "by_id": by.id,
        "at": datetime.now(UTC),
    }


def _judge_in(app: Flask, court: int) -> int:
    """A judge of ``court`` (inserted directly), for rows owned through a judge."""
    values = _judge(app, court)
    with app.app_context():
        judge = Judge(**values)
        db.session.add(judge)
        db.session.commit()
        return judge.id


def _judge_conflict(app: Flask, court: int) -> dict[str, Any]:
    from plugins.parties import services as parties

    judge_id = _judge_in(app, court)
    with app.app_context():
        party = parties.create_party(
            identity_type="mykad",
            identity_number=f"900202-11-{next(_mykad_serial) + 5000:04d}",
            full_name="Pihak Konflik Skop",
        )
        db.session.commit()
        return {"judge_id": judge_id, "party_id": party.id, "reason": "Saudara"}


def _allocation_record(app: Flask, court: int) -> dict[str, Any]:
    # The record's hash and chain link are filled in when it is inserted.
    return {
        "case_id": _case_in(app, court),
        "court_id": court,
        "kind": "unassigned",
        "candidates": [],
        "params": {},
        "reason_code": "tiada_hakim_layak",
        "reason_text": "Rekod ujian skop",
    }


def _counter_in(app: Flask, court: int) -> int:
    """A collection counter of ``court`` (inserted directly)."""
    from plugins.collections.models import Counter

    with app.app_context():
        counter = Counter(court_id=court, code=f"K-{_token()}", name="Kaunter Skop")
        db.session.add(counter)
        db.session.commit()
        return counter.id


def _receipt(app: Flask, court: int) -> dict[str, Any]:
    from datetime import UTC, datetime

    number = next(_mykad_serial)
    return {
        "uuid": str(uuid.uuid4()),
        "number": f"SKOP-{_token()}",
        "court_id": court,
        "counter_id": _counter_in(app, court),
        "series": "online",
        "running_number": number,
        "issued_at": datetime.now(UTC),
        "business_date": date(2026, 12, 1),
        "cashier_name": "Juruwang Skop",
        "payer_name": "Pembayar Skop",
        "payer_identity": "900202115001",
        "method": "tunai",
        "subtotal_sen": 300,
        "rounding_sen": 0,
        "total_sen": 300,
    }


#: Table name -> function returning column values of a new row in ``court``.
#: A plugin that adds a scoped table adds its factory here.
FACTORIES: dict[str, Callable[[Flask, int], dict[str, Any]]] = {
    "judge": _judge,
    "sample_sealed_note": _sealed_note,
    "court_case": _case,
    "case_party": _case_party,
    "hearing": _hearing,
    "case_document": _document,
    "judge_leave": lambda app, court: {
        "judge_id": _judge_in(app, court),
        "starts_on": date(2027, 1, 4),
        "ends_on": date(2027, 1, 8),
        "reason": "Cuti ujian skop",
    },
    "judge_coverage": lambda app, court: {
        "judge_id": _judge_in(app, court),
        "covers_court_id": court,
    },
    "judge_competence": lambda app, court: {"judge_id": _judge_in(app, court)},
    "judge_conflict": _judge_conflict,
    "allocation_record": _allocation_record,
    "file_location": _file_location,
    "case_file": _case_file,
    "file_movement": _file_movement,
    "agency_message": lambda app, court: {
        "agency": "jpn",
        "flow": "identity_check",
        "direction": "out",
        "case_id": _case_in(app, court),
        "court_id": court,
        "idempotency_key": f"skop-{_token()}",
        "payload": {"identity_number": "900202115001"},
        "state": "dead",
        "attempts": 1,
    },
    # A waiting e-filing; its case type does not matter to the scope.
    "efiling": lambda app, court: {
        "reference": f"EF-{_token().upper()}",
        "court_id": court,
        "case_type_id": _case(app, court)["case_type_id"],
        "title": f"Tuntutan {_token()}",
        "applicant_name": "Pemohon Ujian Skop",
        "applicant_identity_type": "mykad",
        "applicant_identity_number": "900202115001",
        "applicant_nationality": "MYS",
        "applicant_phone": "0199876543",
    },
    "collection_counter": lambda app, court: {
        "court_id": court,
        "code": f"K-{_token()}",
        "name": "Kaunter Skop",
    },
    "receipt": _receipt,
    "collection_day_close": lambda app, court: {
        "court_id": court,
        "counter_id": _counter_in(app, court),
        "business_date": date(2026, 12, 1),
        "total_sen": 0,
        "receipts_issued": 0,
        "receipts_cancelled": 0,
    },
    "collection_sync_queue": lambda app, court: {
        "court_id": court,
        "counter_id": _counter_in(app, court),
        "receipt_uuid": str(uuid.uuid4()),
        "reason": "Nombor kes tidak dikenali",
        "payload": {"uuid": "ujian"},
    },
}


def factory_for(model: type) -> Callable[[Flask, int], dict[str, Any]]:
    """The factory of ``model``'s table; fails loudly when a plugin forgot one."""
    found = FACTORIES.get(model.__tablename__)
    if found is None:
        pytest.fail(
            f"scoped table {model.__tablename__!r} ({model.__module__}."
            f"{model.__name__}) has no factory in tests/portal/test_scope.py "
            "FACTORIES: add one so the scope tests cover its screens and APIs"
        )
    return found


def create_record(app: Flask, model: type, court_code: str) -> tuple[int, dict]:
    """Insert a row of ``model`` for the court; return its id and its values."""
    with app.app_context():
        court = court_id(court_code)
    # Factories may make officers, in app contexts of their own: not nested in
    # one holding a transaction, which on SQLite holds the write lock.
    values = factory_for(model)(app, court)
    with app.app_context():
        record = model(**values)
        db.session.add(record)
        db.session.commit()
        return record.id, values


def snapshot(app: Flask, model: type, pk: int) -> dict[str, Any] | None:
    """Every column of row ``pk`` as stored, or ``None`` when it is gone."""
    with app.app_context():
        row = db.session.execute(
            sa.select(model.__table__).where(model.__table__.c.id == pk)
        ).first()
        return None if row is None else dict(row._mapping)


def count_rows(app: Flask, model: type, **where: Any) -> int:
    with app.app_context():
        statement = sa.select(sa.func.count()).select_from(model)
        for key, value in where.items():
            statement = statement.where(getattr(model, key) == value)
        return db.session.scalar(statement)


# --- the officer and the walk ------------------------------------------------


def ensure_probe_role(app: Flask) -> str:
    """Create (once) the role that holds every permission of every view."""
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role(PROBE_ROLE) or sm.add_role(PROBE_ROLE)
        have = {pvm.id for pvm in role.permissions}
        for pvm in sm.session.query(sm.permissionview_model).all():
            if pvm.id not in have:
                role.permissions.append(pvm)
        sm.session.commit()
        assert PROBE_ROLE not in app.config["SPKMS_STATEWIDE_ROLES"]
        assert PROBE_ROLE not in access.REGISTRAR_ROLES
    return PROBE_ROLE


def scoped_views(app: Flask) -> list[BaseModelView | ModelRestApi]:
    """Every registered screen and API whose model the access check narrows."""
    return [
        view
        for view in app.appbuilder.baseviews
        if getattr(view, "datamodel", None) is not None
        and access.is_scoped(view.datamodel.obj)
    ]


def scoped_models(app: Flask) -> list[type]:
    models: dict[str, type] = {}
    for view in scoped_views(app):
        models.setdefault(view.datamodel.obj.__tablename__, view.datamodel.obj)
    return list(models.values())


@dataclass
class World:
    """The portal under test, the probing officer and a row per scoped model."""

    app: Flask
    client: FlaskClient
    headers: dict[str, str]
    officer: Any
    court_a: int
    court_b: int
    #: table -> id of a row in court A / in court B
    in_a: dict[str, int] = field(default_factory=dict)
    in_b: dict[str, int] = field(default_factory=dict)
    values_a: dict[str, dict[str, Any]] = field(default_factory=dict)


#: One world per app under test, shared by the scope and API tests.
_WORLDS: dict[Flask, World] = {}


def world_for(app: Flask) -> World:
    """The world of ``app``, built on first use (the tests only read it)."""
    if app not in _WORLDS:
        _WORLDS[app] = build_world(app)
    return _WORLDS[app]


def build_world(app: Flask) -> World:
    """Post a probing officer to court A and give every scoped model rows."""
    officer = make_officer(app, ensure_probe_role(app), (COURT_A,))
    client = app.test_client()
    login(client, officer.username)
    headers = api_headers(client, officer.username)
    with app.app_context():
        world = World(
            app, client, headers, officer, court_id(COURT_A), court_id(COURT_B)
        )
    for model in scoped_models(app):
        table = model.__tablename__
        world.in_a[table], world.values_a[table] = create_record(app, model, COURT_A)
        world.in_b[table], _ = create_record(app, model, COURT_B)
    return world


@pytest.fixture
def world(sample_app: Flask) -> World:
    return world_for(sample_app)


def last_log_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(AccessLog.id))) or 0


def log_entries_since(app: Flask, after: int, **where: Any) -> list[AccessLog]:
    with app.app_context():
        statement = sa.select(AccessLog).where(AccessLog.id > after)
        for key, value in where.items():
            statement = statement.where(getattr(AccessLog, key) == value)
        entries = list(db.session.scalars(statement))
        db.session.expunge_all()
        return entries


def is_api(view: Any) -> bool:
    return isinstance(view, ModelRestApi)


def view_rules(app: Flask, view: Any) -> Iterator[Rule]:
    """The URL rules of one view (its blueprint's endpoints)."""
    prefix = f"{view.blueprint.name}."
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(prefix):
            yield rule


def record_urls(app: Flask, view: Any, pk: int) -> Iterator[tuple[str, str, str]]:
    """Every (method, url, endpoint) of ``view`` that names one record.

    Found from the URL map, not from a list kept here, so a route FAB or a
    plugin adds later is probed too. Routes with an argument this walk does
    not know fail the test instead of being skipped.
    """
    for rule in view_rules(app, view):
        arguments = set(rule.arguments)
        if "pk" not in arguments:
            continue
        if arguments == {"pk"}:
            fills = [{"pk": pk}]
        elif arguments == {"name", "pk"} and rule.endpoint.endswith(".action"):
            names = list(getattr(view, "actions", {})) or ["probe"]
            fills = [{"name": name, "pk": pk} for name in names]
        else:
            pytest.fail(f"{rule.rule}: the scope walk does not know how to fill it")
        for values in fills:
            url = rule.build(values, append_unknown=False)[1]
            for method in PROBED_METHODS:
                if method in (rule.methods or ()):
                    yield method, url, rule.endpoint


def send(world: World, view: Any, method: str, url: str, **kwargs: Any) -> Any:
    """A request as the probing officer: bearer token for APIs, login cookie else."""
    if is_api(view):
        kwargs.setdefault("headers", world.headers)
        if method in {"POST", "PUT"}:
            kwargs.setdefault("json", {})
    return world.client.open(url, method=method, **kwargs)


# --- every view of a scoped model uses the scoped base classes -----------------


def test_every_scoped_view_uses_the_scoped_base_classes(sample_app: Flask) -> None:
    views = scoped_views(sample_app)
    names = {type(view).__name__ for view in views}
    # The walk must see the host's and the third-party plugin's views.
    assert {"JudgeView", "JudgeApi", "SealedNoteView", "SealedNoteApi"} <= names
    for view in views:
        assert isinstance(view, (ScopedModelView, ScopedModelRestApi)), (
            f"{type(view).__name__} shows scoped {view.datamodel.obj.__name__} "
            "without ScopedModelView / ScopedModelRestApi"
        )
    for model in scoped_models(sample_app):
        factory_for(model)


def test_rows_owned_through_a_parent_are_scoped_like_it(world: World) -> None:
    """A table with ``scope_parent()`` (a hearing of a case) follows its owner."""
    # Two rows owned through judges, one of court A and one of court B.
    owned = sa.union_all(
        *(
            sa.select(
                sa.literal(number).label("id"), sa.literal(judge).label("judge_id")
            )
            for number, judge in ((1, world.in_a["judge"]), (2, world.in_b["judge"]))
        )
    ).cte("probe_owned")

    class OwnedByJudge:
        @classmethod
        def scope_parent(cls) -> tuple[sa.ColumnElement[Any], type]:
            return owned.c.judge_id, Judge

    assert access.is_scoped(OwnedByJudge)
    with world.app.app_context():
        viewer = access.viewer_for(db.session.get(User, world.officer.id))
        clause = access.scope_clause(OwnedByJudge, viewer)
        assert clause is not None
        kept = set(db.session.scalars(sa.select(owned.c.id).where(clause)))
    assert kept == {1}


# --- records of another court: 404, unchanged, logged ------------------------


def test_other_courts_record_answers_404_everywhere(world: World) -> None:
    app = world.app
    probed = 0
    for view in scoped_views(app):
        model = view.datamodel.obj
        table = model.__tablename__
        pk = world.in_b[table]
        before = snapshot(app, model, pk)
        assert before is not None
        for method, url, endpoint in record_urls(app, view, pk):
            mark = last_log_id(app)
            # Screens get a form, APIs an empty JSON body (see ``send``).
            form = {} if is_api(view) else {"data": {"title": "diubah"}}
            response = send(world, view, method, url, **form)
            if response.status_code != 404 and _refused_before_lookup(
                world, view, method, url, pk, response, form
            ):
                continue
            assert response.status_code == 404, (
                f"{method} {url} answered {response.status_code}"
            )
            denied = log_entries_since(
                app,
                mark,
                allowed=False,
                table_name=table,
                record_id=str(pk),
                user_id=world.officer.id,
            )
            assert len(denied) == 1, f"{method} {url}: {len(denied)} denied entries"
            assert denied[0].endpoint == endpoint
            assert denied[0].username == world.officer.username
            if method == "GET":
                # Word for word what a record that exists nowhere gets.
                missing = send(world, view, method, url.replace(f"/{pk}", "/999999"))
                assert (missing.status_code, missing.data) == (404, response.data)
            probed += 1
        if isinstance(view, ScopedModelView):
            # A list action on a chosen row of court B is refused the same way.
            names = list(view.actions) or ["probe"]
            url = f"{view.route_base}/action_post"
            for name in names:
                mark = last_log_id(app)
                response = world.client.post(
                    url, data={"action": name, "rowid": str(pk)}
                )
                assert response.status_code == 404, f"POST {url} {name}"
                assert log_entries_since(
                    app, mark, allowed=False, table_name=table, record_id=str(pk)
                ), f"POST {url} {name}: no denied entry"
                probed += 1
        assert snapshot(app, model, pk) == before, f"{table} {pk} changed"
    assert probed >= 20, "the walk probed too few URLs to mean anything"


def _refused_before_lookup(
    world: World, view: Any, method: str, url: str, pk: int, response: Any, form: dict
) -> bool:
    """True when FAB refused the request without looking the record up.

    FAB answers a GET on a changing route (delete, actions) with a redirect
    whatever the key; that leaks nothing as long as a key that exists nowhere
    gets the very same answer.
    """
    if method != "GET" or response.status_code != 302:
        return False
    missing = url.replace(f"/{pk}", f"/{10**9}")
    other = send(world, view, method, missing, **form)
    return (other.status_code, other.headers.get("Location")) == (
        response.status_code,
        response.headers.get("Location"),
    )


def test_malformed_record_keys_answer_404(world: World) -> None:
    for view in scoped_views(world.app):
        for method, url, _endpoint in record_urls(world.app, view, 0):
            bad = url.replace("/0", "/bukan-nombor")
            if bad == url:
                continue
            response = send(world, view, method, bad)
            if method == "GET" and response.status_code == 302:
                continue  # a GET on a changing route, refused before lookup
            # 405: the API's item GET only routes integer keys.
            assert response.status_code in {404, 405}, f"{method} {bad}"


def _listed_ids_on_screens(world: World, view: ScopedModelView) -> set[int]:
    """Ids linked from every page of a list screen."""
    name = type(view).__name__
    links = re.compile(re.escape(view.route_base) + r"/(?:show|edit|delete)/(\d+)")
    found: set[int] = set()
    for page in range(1000):
        response = world.client.get(
            f"{view.route_base}/list/?psize_{name}=100&page_{name}={page}"
        )
        assert response.status_code == 200, response.status_code
        on_page = {int(pk) for pk in links.findall(response.text)}
        if not on_page - found:
            return found
        found |= on_page
    raise AssertionError(f"{view.route_base}/list/ never ended")


def _listed_ids_in_api(world: World, view: ModelRestApi) -> set[int]:
    """Ids of every page of an API's list."""
    url = f"/api/{view.version}/{view.resource_name}/"
    found: set[int] = set()
    for page in range(1000):
        response = world.client.get(
            url,
            query_string={"q": f"(page:{page},page_size:100)"},
            headers=world.headers,
        )
        assert response.status_code == 200, response.text
        found.update(response.json["ids"])
        if len(found) >= response.json["count"] or not response.json["ids"]:
            return found
    raise AssertionError(f"{url} never ended")


def test_lists_leave_out_other_courts_records(world: World) -> None:
    for view in scoped_views(world.app):
        table = view.datamodel.obj.__tablename__
        if is_api(view):
            listed = _listed_ids_in_api(world, view)
        else:
            listed = _listed_ids_on_screens(world, view)
        where = f"{type(view).__name__} list"
        assert world.in_a[table] in listed, f"{where} misses court A's row"
        assert world.in_b[table] not in listed, f"{where} shows court B's row"
        with world.app.app_context():
            viewer = access.viewer_for(db.session.get(User, world.officer.id))
            model = view.datamodel.obj
            visible = set(
                db.session.scalars(access.scoped(sa.select(model.id), model, viewer))
            )
        assert listed <= visible, f"{where} shows rows the officer may not see"


# --- writes naming another court ---------------------------------------------


def _payload(model: type, values: dict[str, Any], columns: list[str]) -> dict:
    """Values for the add or edit columns of a view, relations as their keys."""
    relationships = sa.inspect(model).relationships
    payload: dict[str, Any] = {}
    for name in columns:
        if name in relationships:
            (column,) = relationships[name].local_columns
            value = values.get(column.key)
        else:
            value = values.get(name)
        if value is not None:
            payload[name] = value
    return payload


def _form(payload: dict[str, Any]) -> dict[str, str]:
    """A payload as a browser would post the generated form."""
    form: dict[str, str] = {}
    for key, value in payload.items():
        if value is True:
            form[key] = "y"
        elif value is not False:
            form[key] = str(value)
    return form


#: What a screen says when the court chosen is not one of the officer's.
SCREEN_REFUSALS = (
    "This field is required.",
    "Not a valid choice",
    "courts you are posted to",
)


def _court_writers(app: Flask) -> list[Any]:
    """Scoped views whose add form or API names the owning court."""
    found = [
        view
        for view in scoped_views(app)
        if "court" in (view.add_columns or [])
        and {"can_add", "can_post"} & set(view.base_permissions or [])
    ]
    assert found, "no scoped view lets the officer choose a court"
    return found


def test_adding_for_another_court_is_refused(world: World) -> None:
    app = world.app
    for view in _court_writers(app):
        model = view.datamodel.obj
        values = factory_for(model)(app, world.court_b)
        payload = _payload(model, values, list(view.add_columns))
        assert payload["court"] == world.court_b
        before = count_rows(app, model)
        if is_api(view):
            url = f"/api/{view.version}/{view.resource_name}/"
            response = send(world, view, "POST", url, json=payload)
            assert response.status_code == 422, response.text
            assert "court" in response.json["message"], response.json
        else:
            url = f"{view.route_base}/add"
            response = world.client.post(
                url, data=_form(payload), follow_redirects=True
            )
            assert response.status_code == 200
            # The court select holds court A only, so B is no choice at all
            # ("required"); past the form, the write check refuses it.
            assert any(message in response.text for message in SCREEN_REFUSALS), (
                f"POST {url}: no message about the court"
            )
            # FAB fills a relation named in a list filter into the form
            # (``?_flt_0_court=``); that road to court B is closed too.
            response = world.client.post(
                url,
                data=_form({**payload, "court": world.court_a}),
                query_string={"_flt_0_court": str(world.court_b)},
            )
            assert response.status_code in {200, 302}
        assert count_rows(app, model) == before, f"{url} wrote a row"


def test_moving_a_record_to_another_court_is_refused(world: World) -> None:
    app = world.app
    for view in scoped_views(app):
        if "court" not in (view.edit_columns or []):
            continue
        if not {"can_edit", "can_put"} & set(view.base_permissions or []):
            continue
        model = view.datamodel.obj
        table = model.__tablename__
        pk = world.in_a[table]
        before = snapshot(app, model, pk)
        if is_api(view):
            url = f"/api/{view.version}/{view.resource_name}/{pk}"
            response = send(world, view, "PUT", url, json={"court": world.court_b})
            assert response.status_code == 422, response.text
            assert "court" in response.json["message"], response.json
        else:
            url = f"{view.route_base}/edit/{pk}"
            payload = _payload(model, world.values_a[table], list(view.edit_columns))
            payload["court"] = world.court_b
            response = world.client.post(url, data=_form(payload))
            assert response.status_code in {200, 302}
        after = snapshot(app, model, pk)
        assert after is not None and after["court_id"] == world.court_a, url
        assert after == before, f"{url} changed the row"


# --- choices of related fields -------------------------------------------------

_SELECT = re.compile(
    r'<select[^>]*\bname="(?P<name>[^"]+)"[^>]*>(?P<options>.*?)</select>', re.S
)
_OPTION = re.compile(r'<option[^>]*\bvalue="(?P<value>[^"]*)"')


def _form_choices(html: str) -> dict[str, set[str]]:
    return {
        match["name"]: {
            value
            for value in _OPTION.findall(match["options"])
            if value not in {"", "__None"}
        }
        for match in _SELECT.finditer(html)
    }


def _guarded_fields(view: Any, columns: list[str]) -> dict[str, type]:
    """Relation fields of a form whose choices the access check must narrow.

    The owning court of a scoped row, and any relation to a scoped table
    (whatever the view's own model): an unscoped screen may not offer court
    B's records either.
    """
    scoped = access.is_scoped(view.datamodel.obj)
    relationships = sa.inspect(view.datamodel.obj).relationships
    guarded: dict[str, type] = {}
    for name in columns:
        if name not in relationships:
            continue
        target = relationships[name].mapper.class_
        if (target is Court and scoped) or access.is_scoped(target):
            guarded[name] = target
    return guarded


def _api_choices(world: World, view: ModelRestApi) -> dict[str, dict[str, set[str]]]:
    url = f"/api/{view.version}/{view.resource_name}/_info"
    response = send(world, view, "GET", url)
    assert response.status_code == 200, response.text
    return {
        kind: {
            info["name"]: {str(value["id"]) for value in info["values"]}
            for info in response.json.get(kind, [])
            if "values" in info
        }
        for kind in ("add_columns", "edit_columns")
    }


def _screen_choices(
    world: World, view: Any, kinds: set[str]
) -> dict[str, dict[str, set[str]]]:
    table = view.datamodel.obj.__tablename__
    pages = {"add_columns": f"{view.route_base}/add"}
    if access.is_scoped(view.datamodel.obj):
        pages["edit_columns"] = f"{view.route_base}/edit/{world.in_a[table]}"
    found: dict[str, dict[str, set[str]]] = {}
    routes = {"add_columns": "add", "edit_columns": "edit"}
    for kind in kinds & set(pages):
        if routes[kind] in (view.exclude_route_methods or set()):
            continue  # the screen has no such form at all
        response = world.client.get(pages[kind])
        if response.status_code == 302:
            continue  # a read-only screen: FAB redirects, there is no form
        assert response.status_code == 200, f"GET {pages[kind]}"
        found[kind] = _form_choices(response.text)
    return found


def test_related_choices_offer_only_what_the_officer_may_see(world: World) -> None:
    app = world.app
    checked = 0
    for view in app.appbuilder.baseviews:
        if getattr(view, "datamodel", None) is None or not hasattr(view, "add_columns"):
            continue
        guarded = {
            kind: _guarded_fields(view, list(getattr(view, kind) or []))
            for kind in ("add_columns", "edit_columns")
        }
        if not any(guarded.values()):
            continue
        if is_api(view):
            if f"{view.blueprint.name}.info" not in app.view_functions:
                continue
            forms = _api_choices(world, view)
        else:
            forms = _screen_choices(world, view, {k for k, v in guarded.items() if v})
        for kind, choices in forms.items():
            for name, target in guarded[kind].items():
                offered = choices.get(name, set())
                where = f"{type(view).__name__} {kind} {name}"
                if target is Court:
                    assert offered == {str(world.court_a)}, f"{where}: {offered}"
                else:
                    other = world.in_b.get(target.__tablename__)
                    assert other is not None, f"{where}: no row of {target} made"
                    assert str(other) not in offered, f"{where} offers court B's row"
                checked += 1
    assert checked >= 8, "too few related fields checked to mean anything"


def test_related_endpoint_is_absent_or_scoped(world: World) -> None:
    """FAB 5 has no ``/related/<column>``; if a base class adds one, it is scoped."""
    for view in scoped_views(world.app):
        if not is_api(view) or "court" not in (view.add_columns or []):
            continue
        url = f"/api/{view.version}/{view.resource_name}/related/court"
        response = send(world, view, "GET", url)
        if response.status_code == 404:
            continue
        assert response.status_code == 200, response.text
        offered = {value["value"] for value in response.json["result"]}
        assert offered == {world.court_a}, offered


# --- confidential records -----------------------------------------------------


@dataclass
class Reader:
    """An officer with a logged-in client and a token."""

    user: Any
    client: FlaskClient
    headers: dict[str, str]


def reader(app: Flask, role: str, court: str, *, judge: bool = False) -> Reader:
    """An officer logged into the screens, with the token the API login gives.

    The token is minted as FAB's ``/security/login`` mints it, which saves a
    password check per officer; ``test_api`` covers the login endpoint itself.
    """
    user = make_officer(app, role, (court,), judge=judge)
    client = app.test_client()
    login(client, user.username)
    with app.app_context():
        token = create_access_token(identity=str(user.id), fresh=True)
    return Reader(user, client, {"Authorization": f"Bearer {token}"})


def _sees(who: Reader, note_id: int) -> dict[str, bool]:
    """Whether the note shows on the show screen, list screen, API item and list."""
    show = who.client.get(f"/sealed-notes/show/{note_id}")
    assert show.status_code in {200, 404}, show.status_code
    listing = who.client.get("/sealed-notes/list/?psize_SealedNoteView=100")
    assert listing.status_code == 200
    item = who.client.get(f"/api/v1/sealed_note/{note_id}", headers=who.headers)
    assert item.status_code in {200, 404}, item.text
    listed = who.client.get(
        "/api/v1/sealed_note/",
        query_string={"q": "(page_size:100)"},
        headers=who.headers,
    )
    assert listed.status_code == 200, listed.text
    linked = re.search(rf"/sealed-notes/show/{note_id}(?!\d)", listing.text)
    return {
        "show": show.status_code == 200,
        "list": linked is not None,
        "get": item.status_code == 200,
        "api list": note_id in listed.json["ids"],
    }


def test_confidential_note_is_seen_only_by_its_readers(sample_app: Flask) -> None:
    from spkms_sample.models import SealedNote

    app = sample_app
    clerk = reader(app, "Clerk", COURT_A)
    registrar = reader(app, "Registrar", COURT_A)
    judge = reader(app, "Judge", COURT_A, judge=True)
    other_judge_here = reader(app, "Judge", COURT_A, judge=True)
    granted = reader(app, "Clerk", COURT_A)
    judge_elsewhere = reader(app, "Judge", COURT_B, judge=True)
    with app.app_context():
        note = SealedNote(
            title=f"Sulit {_token()}",
            body="Hanya untuk yang berhak.",
            court_id=court_id(COURT_A),
            confidential=True,
            judge_user_id=judge.user.id,
        )
        open_note = SealedNote(
            title=f"Terbuka {_token()}", body="", court_id=court_id(COURT_A)
        )
        db.session.add_all([note, open_note])
        db.session.flush()
        db.session.add(
            AccessGrant(
                table_name=SealedNote.__tablename__,
                record_id=note.id,
                user_id=granted.user.id,
                reason="Pegawai kes yang dinamakan oleh Pendaftar",
            )
        )
        db.session.commit()
        note_id, open_id = note.id, open_note.id

    everywhere = {"show": True, "list": True, "get": True, "api list": True}
    nowhere = dict.fromkeys(everywhere, False)
    for who in (registrar, judge, granted):
        assert _sees(who, note_id) == everywhere, who.user.username
    for who in (clerk, other_judge_here, judge_elsewhere):
        mark = last_log_id(app)
        assert _sees(who, note_id) == nowhere, who.user.username
        denied = log_entries_since(
            app, mark, allowed=False, record_id=str(note_id), user_id=who.user.id
        )
        assert len(denied) == 2, "show and API get are both logged as denied"
    # The clerk reads the court's open notes: it is the seal that hides.
    assert _sees(clerk, open_id) == everywhere
    assert _sees(judge_elsewhere, open_id) == nowhere
