"""Every movement announces itself after commit (spkms_on_file_moved)."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from plugins.cases.models import Case
from plugins.filetracking import services
from plugins.filetracking.models import CaseFile
from portal.extensions import db
from tests.cases.conftest import act_as
from tests.events import recording
from tests.filetracking.conftest import Office, new_case


def test_opening_lending_and_returning_each_fire_file_moved(
    app: Flask, office: Office
) -> None:
    case_id = new_case(app, office)
    with app.app_context(), recording(app) as recorder:
        act_as(app, office.officer)
        volume = services.open_volume(
            db.session.get(Case, case_id), office.shelf, by_id=office.officer.id
        )
        services.check_out(
            volume,
            borrower_id=office.judge.id,
            purpose="Bicara",
            due_on=services.local_today() + timedelta(days=3),
            by_id=office.officer.id,
        )
        services.return_file(
            db.session.get(CaseFile, volume.id), by_id=office.officer.id
        )
        moved = [
            e["kind"] for e in recorder.of("file_moved") if e["file_id"] == volume.id
        ]
        assert moved == ["open", "checkout", "return"]
