"""Stock-take of a shelf: volumes missing from it and volumes that stray onto it."""

from __future__ import annotations

from flask import Flask

from plugins.cases.models import Case
from plugins.filetracking import services, stocktake
from plugins.filetracking.models import FileLocation
from portal.extensions import db
from tests.cases.conftest import act_as
from tests.conftest import login
from tests.filetracking.conftest import Office, new_case


def test_stocktake_reports_one_missing_and_one_stray_volume(
    app: Flask, office: Office
) -> None:
    case_id = new_case(app, office)
    with app.app_context():
        act_as(app, office.officer)
        # Its own shelf, so volumes of other tests do not count.
        room = db.session.get(FileLocation, office.shelf).parent
        shelf = FileLocation(
            court_id=room.court_id, kind="rak", name=f"Rak S{case_id}", parent=room
        )
        db.session.add(shelf)
        db.session.commit()
        case = db.session.get(Case, case_id)
        on_shelf = [
            services.open_volume(case, shelf.id, by_id=office.officer.id)
            for _ in range(3)
        ]
        elsewhere = services.open_volume(case, office.shelf_2, by_id=office.officer.id)
        labels = [file.label for file in on_shelf]
        stray_label, shelf_id = elsewhere.label, shelf.id
        # Two volumes are found, the third is missing; one from shelf 2 strays in.
        report = stocktake.stock_take(
            shelf, [labels[0], labels[1].lower(), stray_label, "TIADA-123"]
        )
        assert [file.label for file in report.missing] == [labels[2]]
        assert [file.label for file in report.stray] == [stray_label]
        assert report.unknown == ["TIADA-123"]
        assert not report.clean
    # The same through the screen.
    desk = app.test_client()
    login(desk, office.officer.username)
    response = desk.post(
        "/file-desk/stocktake",
        data={
            "location_id": shelf_id,
            "labels": f"{labels[0]}\r\n{labels[1]}\r\n{stray_label}\r\n",
        },
    )
    assert response.status_code == 200
    missing = response.text.split('id="missing"')[1].split("</ul>")[0]
    stray = response.text.split('id="stray"')[1].split("</ul>")[0]
    assert labels[2] in missing and labels[0] not in missing
    assert stray_label in stray and labels[0] not in stray
