"""Who may do what on the records office's screens, and the location form."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from plugins.filetracking.models import FileLocation
from portal.extensions import db
from portal.jobs import current_registry
from tests.conftest import court_id, login
from tests.filetracking.conftest import HOME, Office


def _grants(app: Flask, role: str) -> set[tuple[str, str]]:
    with app.app_context():
        found = app.appbuilder.sm.find_role(role)
        return {(pv.view_menu.name, pv.permission.name) for pv in found.permissions}


def test_records_officer_moves_files_and_others_only_look(app: Flask) -> None:
    officer = _grants(app, "Records Officer")
    assert {
        ("FileDeskView", "can_move"),
        ("FileDeskView", "can_stocktake"),
        ("FileDeskView", "can_labels"),
        ("FileLocationView", "can_add"),
        ("CaseFileView", "can_print_labels"),
    } <= officer
    for role in ("Registrar", "Judge", "Clerk"):
        grants = _grants(app, role)
        assert ("CaseFileView", "can_show") in grants, role
        assert ("FileDeskView", "can_track") in grants, role
        assert (
            not {
                ("FileDeskView", "can_move"),
                ("FileDeskView", "can_stocktake"),
                ("FileLocationView", "can_add"),
            }
            & grants
        ), role


def test_a_clerk_cannot_record_a_movement(app: Flask, office: Office) -> None:
    clerk = app.test_client()
    login(clerk, office.clerk.username)
    assert clerk.get("/file-desk/").status_code == 200
    response = clerk.post("/file-desk/file/1/checkout", data={})
    assert response.status_code in {302, 403}  # FAB's "access denied"


def test_location_form_refuses_a_shelf_outside_a_room(
    app: Flask, office: Office
) -> None:
    desk = app.test_client()
    login(desk, office.officer.username)
    with app.app_context():
        home = court_id(HOME)
        room_id = db.session.get(FileLocation, office.shelf).parent_id
    before = _count(app)
    response = desk.post(
        "/file-locations/add",
        data={"court": str(home), "kind": "rak", "name": "Rak Terapung"},
        follow_redirects=True,
    )
    assert "cannot sit under" in response.text
    assert _count(app) == before
    response = desk.post(
        "/file-locations/add",
        data={
            "court": str(home),
            "kind": "rak",
            "name": "Rak Baharu",
            "parent": str(room_id),
        },
    )
    assert response.status_code == 302
    assert _count(app) == before + 1


def _count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(FileLocation.id)))


def test_the_overdue_warning_runs_every_morning(app: Flask) -> None:
    from portal.reminders import current_reminders

    with app.app_context():
        registry = current_registry()
        assert "filetracking.file_overdue" in current_reminders().rules
        assert any(schedule.job == "reminders.run" for schedule in registry.schedules)


def test_print_labels_action_gives_the_sheet_of_the_chosen_volumes(
    app: Flask, office: Office
) -> None:
    from plugins.cases.models import Case
    from plugins.filetracking import services
    from tests.cases.conftest import act_as
    from tests.filetracking.conftest import new_case

    case_id = new_case(app, office)
    with app.app_context():
        act_as(app, office.officer)
        case = db.session.get(Case, case_id)
        files = [
            services.open_volume(case, office.shelf, by_id=office.officer.id)
            for _ in range(2)
        ]
        ids, number = [file.id for file in files], case.case_number
    desk = app.test_client()
    login(desk, office.officer.username)
    response = desk.post(
        "/case-files/action_post",
        data={"action": "print_labels", "rowid": [str(pk) for pk in ids]},
    )
    assert response.status_code == 200, response.text[:300]
    assert response.data.startswith(b"%PDF")
    assert f"{number}/J2".encode() in response.data
