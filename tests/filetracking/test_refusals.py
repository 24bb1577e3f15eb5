"""Bad movements are refused with the field and the rule, and change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from plugins.cases.models import Case
from plugins.filetracking import services
from plugins.filetracking.models import CaseFile, FileLocation
from portal.audit.models import AccessLog
from portal.extensions import db
from portal.security import access
from tests.cases.conftest import act_as
from tests.conftest import court_id, login
from tests.filetracking.conftest import (
    HOME,
    OTHER,
    Office,
    file_row,
    movement_count,
    new_case,
)


def _volume(app: Flask, office: Office) -> int:
    """A new volume of a new case of HOME, on the first shelf."""
    case_id = new_case(app, office)
    with app.app_context():
        act_as(app, office.officer)
        case = db.session.get(Case, case_id)
        return services.open_volume(case, office.shelf, by_id=office.officer.id).id


def _refused(app: Flask, office: Office, file_id: int, move, field: str) -> None:
    """``move(file)`` raises ``FileError`` on ``field`` and changes nothing."""
    before = (file_row(app, file_id), movement_count(app, file_id))
    with app.app_context():
        act_as(app, office.officer)
        file = db.session.get(CaseFile, file_id)
        with pytest.raises(services.FileError) as refused:
            move(file)
        db.session.rollback()
    assert refused.value.field == field, refused.value
    assert (file_row(app, file_id), movement_count(app, file_id)) == before


def test_lending_a_volume_that_is_out_is_refused(app: Flask, office: Office) -> None:
    file_id = _volume(app, office)
    with app.app_context():
        act_as(app, office.officer)
        services.check_out(
            db.session.get(CaseFile, file_id),
            borrower_id=office.judge.id,
            purpose="Bicara",
            due_on=services.local_today() + timedelta(days=3),
            by_id=office.officer.id,
        )

    def again(file: CaseFile) -> None:
        services.check_out(
            file,
            borrower_id=office.clerk.id,
            purpose="Semakan",
            due_on=services.local_today() + timedelta(days=1),
            by_id=office.officer.id,
        )

    _refused(app, office, file_id, again, "state")
    # Through the screen: 422, the rule on the page, nothing written.
    before = (file_row(app, file_id), movement_count(app, file_id))
    desk = app.test_client()
    login(desk, office.officer.username)
    response = desk.post(
        f"/file-desk/file/{file_id}/checkout",
        data={"borrower_id": office.clerk.id, "purpose": "x", "due_on": "2099-01-01"},
    )
    assert response.status_code == 422
    assert "cannot be lent" in response.text
    assert (file_row(app, file_id), movement_count(app, file_id)) == before


def test_returning_a_volume_that_is_in_is_refused(app: Flask, office: Office) -> None:
    file_id = _volume(app, office)
    _refused(
        app,
        office,
        file_id,
        lambda file: services.return_file(file, by_id=office.officer.id),
        "state",
    )


def test_a_loan_needs_borrower_purpose_and_a_due_date_ahead(
    app: Flask, office: Office
) -> None:
    file_id = _volume(app, office)
    with app.app_context():
        today = services.local_today()
    cases = {
        "borrower": {"borrower_id": None, "purpose": "x", "due_on": today},
        "purpose": {"borrower_id": office.judge.id, "purpose": " ", "due_on": today},
        "due_on": {
            "borrower_id": office.judge.id,
            "purpose": "x",
            "due_on": today - timedelta(days=1),
        },
    }
    for field, values in cases.items():
        _refused(
            app,
            office,
            file_id,
            lambda file, values=values: services.check_out(
                file, by_id=office.officer.id, **values
            ),
            field,
        )


def test_moving_to_another_courts_location_is_refused(
    app: Flask, office: Office
) -> None:
    file_id = _volume(app, office)
    _refused(
        app,
        office,
        file_id,
        lambda file: services.transfer_location(
            file, office.other_shelf, by_id=office.officer.id
        ),
        "location",
    )


def test_another_courts_volume_is_not_found_and_the_attempt_logged(
    app: Flask, office: Office
) -> None:
    file_id = _volume(app, office)
    before = (file_row(app, file_id), movement_count(app, file_id))
    # The service refuses as "not found" ...
    with app.app_context():
        act_as(app, office.receiver)
        file = db.session.get(CaseFile, file_id)
        with pytest.raises(access.OutOfScope):
            services.transfer_location(file, office.other_shelf, by_id=1)
        db.session.rollback()
    # ... and so does every screen, each attempt written to the access log.
    outsider = app.test_client()
    login(outsider, office.receiver.username)
    with app.app_context():
        mark = db.session.scalar(sa.select(sa.func.max(AccessLog.id))) or 0
    urls = [
        ("GET", f"/file-desk/file/{file_id}"),
        ("POST", f"/file-desk/file/{file_id}/checkout"),
        ("POST", f"/file-desk/file/{file_id}/transfer_court"),
        ("GET", f"/case-files/show/{file_id}"),
    ]
    for method, url in urls:
        response = outsider.open(
            url,
            method=method,
            data={"borrower_id": office.receiver.id, "court_id": "1"},
        )
        assert response.status_code == 404, f"{method} {url}"
    label = file_row(app, file_id)["label"]
    scan = outsider.post("/file-desk/", data={"code": label})
    assert scan.status_code == 404
    assert "no file has the label" in scan.text
    assert label not in outsider.get("/case-files/list/").text
    with app.app_context():
        denied = db.session.scalars(
            sa.select(AccessLog).where(
                AccessLog.id > mark,
                AccessLog.allowed.is_(False),
                AccessLog.table_name == "case_file",
                AccessLog.record_id == str(file_id),
                AccessLog.user_id == office.receiver.id,
            )
        ).all()
    assert len(denied) == len(urls) + 1  # every URL and the scan
    assert (file_row(app, file_id), movement_count(app, file_id)) == before


def test_an_unknown_label_is_refused(app: Flask, office: Office) -> None:
    with app.app_context():
        act_as(app, office.officer)
        with pytest.raises(services.FileError) as refused:
            services.lookup_label("99999-055-0001-2026/J9")
    assert refused.value.field == "label"
    desk = app.test_client()
    login(desk, office.officer.username)
    response = desk.post("/file-desk/", data={"code": "BUKAN-LABEL"})
    assert response.status_code == 404
    assert "no file has the label BUKAN-LABEL" in response.text


def test_the_location_tree_keeps_its_shape(app: Flask, office: Office) -> None:
    with app.app_context():
        home = court_id(HOME)
        shelf = db.session.get(FileLocation, office.shelf)
        bad = {
            "parent": FileLocation(court_id=home, kind="rak", name="Rak lepas"),
            "kind": FileLocation(court_id=home, kind="peti", name="Peti"),
        }
        for field, location in bad.items():
            with pytest.raises(services.FileError) as refused:
                services.check_location(location)
            assert refused.value.field == field
        other_room = db.session.scalar(
            sa.select(FileLocation).where(
                FileLocation.court_id == court_id(OTHER), FileLocation.kind == "bilik"
            )
        )
        across = FileLocation(
            court_id=home, kind="rak", name="Rak X", parent=other_room
        )
        with pytest.raises(services.FileError):
            services.check_location(across)
        shelf.parent = shelf
        with pytest.raises(services.FileError):
            services.check_location(shelf)
        db.session.rollback()
