"""A third-party plugin does everything a built-in one does.

``spkms-sample`` (``tests/sample_plugin``) is installed by pip and found only
through its ``spkms.plugins`` entry point once the state profile enables it.
These tests never import it: they reach its model classes through the app
that loaded it, and prove each contribution through the running portal:
tables and versions, screen and API under the access check, roles, an event
handler, and the administrator's plugin screen.
"""

from __future__ import annotations

import re
import sys
import uuid
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy_continuum import version_class, versioning_manager

from portal import create_app
from portal.extensions import db
from portal.jobs import OutboxJob
from portal.plugins import ENTRY_POINT_GROUP
from portal.settings import ConfigError
from tests.conftest import (
    api_headers,
    app_settings,
    court_id,
    login,
    make_officer,
)
from tests.sample import SOURCE_DIR, states_dir_enabling

#: The hooks the sample implements, as the plugin screen must list them.
SAMPLE_HOOKS = (
    "spkms_allocation_strategies",
    "spkms_on_officer_posted",
    "spkms_on_profile_loaded",
    "spkms_register_cli_commands",
    "spkms_register_models",
    "spkms_register_roles",
    "spkms_register_views",
)

#: What "Sample Reader" must hold after ``init``: (view or menu, permission).
READER_PERMISSIONS = {
    ("SealedNoteView", "can_list"),
    ("SealedNoteView", "can_show"),
    ("SealedNoteApi", "can_get"),
    ("Nota Sulit", "menu_access"),
    ("Sampel", "menu_access"),
}

#: The API's declared list columns: nothing else may leave the server.
API_LIST_COLUMNS = {
    "id",
    "title",
    "court_id",
    "judge_user_id",
    "confidential",
    "created_at",
}


def sample_model(app: Flask, table: str) -> Any:
    """The sample's model class for ``table``, as the app registered it."""
    for model in app.extensions["spkms"].models:
        if getattr(model, "__tablename__", None) == table:
            return model
    raise AssertionError(f"no model for table {table} was registered")


def add_note(
    app: Flask,
    court: str,
    *,
    confidential: bool = False,
    judge_user_id: int | None = None,
) -> tuple[int, str]:
    """Insert a sealed note for ``court``; return its id and unique title."""
    sealed_note = sample_model(app, "sample_sealed_note")
    title = f"Nota ujian {uuid.uuid4().hex[:10]}"
    with app.app_context():
        note = sealed_note(
            title=title,
            body="Isi nota ujian.",
            court_id=court_id(court),
            confidential=confidential,
            judge_user_id=judge_user_id,
        )
        db.session.add(note)
        db.session.commit()
        return note.id, title


def court_id_of(app: Flask, code: str) -> int:
    """The id of court ``code`` in ``app``'s database."""
    with app.app_context():
        return court_id(code)


def permissions_of(app: Flask, role_name: str) -> set[tuple[str, str]]:
    """The (view or menu, permission) pairs ``role_name`` holds in the database."""
    with app.app_context():
        role = app.appbuilder.sm.find_role(role_name)
        assert role is not None, f"role {role_name!r} is missing"
        return {(pv.view_menu.name, pv.permission.name) for pv in role.permissions}


@pytest.fixture
def sample_client(sample_app: Flask) -> FlaskClient:
    return sample_app.test_client()


# -- discovery ------------------------------------------------------------------


def test_sample_is_loaded_from_its_installed_distribution(
    sample_app: Flask, sample_plugin: str
) -> None:
    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert sample_plugin in found
    entry_point = found[sample_plugin]
    assert entry_point.value == "spkms_sample.hookimpls"
    assert entry_point.dist is not None
    assert (entry_point.dist.name, entry_point.dist.version) == (
        "spkms-sample",
        "0.3.1",
    )

    loaded = {info.name: info for info in sample_app.extensions["spkms"].plugins}
    assert loaded[sample_plugin].module == "spkms_sample.hookimpls"
    # The module came from pip's install, not from the source in the repository.
    module_file = Path(sys.modules["spkms_sample.hookimpls"].__file__ or "")
    assert SOURCE_DIR not in module_file.parents
    assert module_file.parent.parent.name == "site"


# -- models ---------------------------------------------------------------------


def test_models_have_tables_and_every_change_is_versioned(sample_app: Flask) -> None:
    sealed_note = sample_model(sample_app, "sample_sealed_note")
    version = version_class(sealed_note)
    assert version.__table__.name == "sample_sealed_note_version"
    with sample_app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
    assert {
        "sample_sealed_note",
        "sample_sealed_note_version",
        "sample_posting_notice",
    } <= tables

    note_id, _title = add_note(sample_app, "11001")
    with sample_app.app_context():
        note = db.session.get(sealed_note, note_id)
        note.title = f"{note.title} (dipinda)"
        db.session.commit()
        history = db.session.execute(
            sa.text(
                "SELECT title, operation_type FROM sample_sealed_note_version"
                " WHERE id = :id ORDER BY transaction_id"
            ),
            {"id": note_id},
        ).all()
    assert [row.operation_type for row in history] == [0, 1]  # insert, update
    assert history[1].title.endswith("(dipinda)")


# -- screen and API -------------------------------------------------------------


def test_screen_lists_the_notes_of_the_officers_court_only(
    sample_app: Flask, sample_client: FlaskClient
) -> None:
    own_id, own_title = add_note(sample_app, "11001")
    other_id, other_title = add_note(sample_app, "11002")
    reader = make_officer(sample_app, "Sample Reader", ("11001",))
    login(sample_client, reader.username)

    listing = sample_client.get("/sealed-notes/list/")
    assert listing.status_code == 200
    assert own_title in listing.text
    assert other_title not in listing.text
    assert sample_client.get(f"/sealed-notes/show/{own_id}").status_code == 200
    assert sample_client.get(f"/sealed-notes/show/{other_id}").status_code == 404
    # Read only: the reader role holds no add permission.
    assert sample_client.get("/sealed-notes/add").status_code in (302, 403)


def test_a_sealed_note_reaches_its_judge_but_not_other_officers(
    sample_app: Flask,
) -> None:
    judge = make_officer(sample_app, "Judge", ("11001",), judge=True)
    reader = make_officer(sample_app, "Sample Reader", ("11001",))
    _note_id, title = add_note(
        sample_app, "11001", confidential=True, judge_user_id=judge.id
    )

    judge_client = sample_app.test_client()
    login(judge_client, judge.username)
    assert title in judge_client.get("/sealed-notes/list/").text

    reader_client = sample_app.test_client()
    login(reader_client, reader.username)
    listing = reader_client.get("/sealed-notes/list/")
    assert listing.status_code == 200
    assert title not in listing.text


def test_api_lists_the_notes_of_the_officers_court_with_declared_columns(
    sample_app: Flask, sample_client: FlaskClient
) -> None:
    own_id, _ = add_note(sample_app, "11001")
    other_id, _ = add_note(sample_app, "11002")
    reader = make_officer(sample_app, "Sample Reader", ("11001",))
    headers = api_headers(sample_client, reader.username)

    response = sample_client.get(
        "/api/v1/sealed_note/?q=(page:0,page_size:100)", headers=headers
    )
    assert response.status_code == 200, response.text
    ids = {row["id"] for row in response.json["result"]}
    assert own_id in ids
    assert other_id not in ids
    for row in response.json["result"]:
        assert set(row) == API_LIST_COLUMNS
    assert (
        sample_client.get(f"/api/v1/sealed_note/{other_id}", headers=headers)
    ).status_code == 404
    refused = sample_client.post(
        "/api/v1/sealed_note/",
        json={"title": "Tidak dibenarkan", "court": court_id_of(sample_app, "11001")},
        headers=headers,
    )
    assert refused.status_code in (401, 403)


def test_clerk_writes_notes_for_own_court_only_signed_in_the_history(
    sample_app: Flask, sample_client: FlaskClient
) -> None:
    clerk = make_officer(sample_app, "Clerk", ("11001",))
    headers = api_headers(sample_client, clerk.username)

    created = sample_client.post(
        "/api/v1/sealed_note/",
        json={
            "title": f"Nota kerani {uuid.uuid4().hex[:8]}",
            "body": "Ditulis melalui API.",
            "court": court_id_of(sample_app, "11001"),
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    note_id = created.json["id"]
    sealed_note = sample_model(sample_app, "sample_sealed_note")
    version = version_class(sealed_note)
    transaction = versioning_manager.transaction_cls
    with sample_app.app_context():
        author = db.session.scalar(
            sa.select(transaction.user_id)
            .join(version, version.transaction_id == transaction.id)
            .where(version.id == note_id)
        )
    assert author == clerk.id

    elsewhere = sample_client.post(
        "/api/v1/sealed_note/",
        json={"title": "Mahkamah lain", "court": court_id_of(sample_app, "11002")},
        headers=headers,
    )
    assert elsewhere.status_code == 422, elsewhere.text
    assert "court" in elsewhere.json["message"]


# -- roles ----------------------------------------------------------------------


def test_reader_role_holds_exactly_the_declared_permissions(
    sample_app: Flask,
) -> None:
    assert permissions_of(sample_app, "Sample Reader") == READER_PERMISSIONS
    for court_role in ("Registrar", "Judge"):
        held = permissions_of(sample_app, court_role)
        assert held >= READER_PERMISSIONS, court_role
        assert ("SealedNoteView", "can_add") not in held, court_role
    clerk = permissions_of(sample_app, "Clerk")
    assert clerk >= READER_PERMISSIONS | {
        ("SealedNoteView", "can_add"),
        ("SealedNoteView", "can_edit"),
        ("SealedNoteApi", "can_post"),
        ("SealedNoteApi", "can_put"),
    }
    assert ("SealedNoteView", "can_delete") not in clerk
    assert ("SealedNoteApi", "can_delete") not in clerk


# -- events ---------------------------------------------------------------------


def test_posting_an_officer_runs_the_plugins_event_handler(
    sample_app: Flask, sample_client: FlaskClient
) -> None:
    admin = make_officer(sample_app, "Admin")
    officer = make_officer(sample_app, "Clerk")
    court = court_id_of(sample_app, "11003")
    login(sample_client, admin.username)

    response = sample_client.post(
        "/postings/add", data={"user": str(officer.id), "court": str(court)}
    )
    assert response.status_code == 302, response.text[:500]

    posting_notice = sample_model(sample_app, "sample_posting_notice")
    with sample_app.app_context():
        notices = db.session.scalars(
            sa.select(posting_notice).where(posting_notice.user_id == officer.id)
        ).all()
        jobs = db.session.scalars(
            sa.select(OutboxJob).where(OutboxJob.name == "portal.event")
        ).all()
        job_report = [(job.id, job.state, job.kwargs, job.last_error) for job in jobs]
    assert [(n.user_id, n.court_id) for n in notices] == [(officer.id, court)], (
        job_report
    )


# -- the administrator's plugin screen -----------------------------------------


def test_plugin_screen_shows_the_sample_with_its_version_and_hooks(
    sample_app: Flask, sample_client: FlaskClient
) -> None:
    admin = make_officer(sample_app, "Admin")
    login(sample_client, admin.username)

    page = sample_client.get("/plugins/")
    assert page.status_code == 200
    rows = re.findall(r"<tr>(.*?)</tr>", page.text, flags=re.DOTALL)
    sample_rows = [row for row in rows if re.search(r"<td>\s*sample\s*</td>", row)]
    assert len(sample_rows) == 1, rows
    row = sample_rows[0]
    assert "spkms-sample" in row
    assert "0.3.1" in row
    assert "spkms_sample.hookimpls" in row
    for hook in SAMPLE_HOOKS:
        assert hook in row
    info = {p.name: p for p in sample_app.extensions["spkms"].plugins}["sample"]
    assert info.hooks == SAMPLE_HOOKS


def test_plugin_screen_is_for_administrators_only(
    sample_app: Flask, sample_client: FlaskClient
) -> None:
    reader = make_officer(sample_app, "Sample Reader", ("11001",))
    login(sample_client, reader.username)
    assert sample_client.get("/plugins/").status_code in (302, 403)


# -- start-up -------------------------------------------------------------------


def test_enabling_a_plugin_that_is_not_installed_stops_start_up(
    tmp_path: Path, sample_plugin: str
) -> None:
    states = states_dir_enabling(tmp_path, "spkms-nosuch")
    url = f"sqlite:///{tmp_path / 'nosuch.db'}"
    with pytest.raises(ConfigError) as caught:
        create_app(app_settings(url, SPKMS_STATES_DIR=str(states)))
    assert "[plugins].enabled" in caught.value.setting
    assert "'spkms-nosuch'" in caught.value.problem
    # The message lists what is installed, the third-party sample included.
    assert sample_plugin in caught.value.problem.split("installed:")[1]
