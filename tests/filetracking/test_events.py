"""Every movement announces itself after commit (spkms_on_file_moved)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from plugins.cases.models import Case
from plugins.filetracking import services
from plugins.filetracking.models import CaseFile
from portal.extensions import db
from portal.jobs.models import OutboxJob
from tests.cases.conftest import act_as
from tests.filetracking.conftest import Office, new_case


def _moved(file_id: int) -> list[str]:
    jobs = db.session.scalars(
        sa.select(OutboxJob)
        .where(OutboxJob.name == "portal.event")
        .order_by(OutboxJob.id)
    )
    return [
        job.kwargs["payload"]["kind"]
        for job in jobs
        if job.kwargs["event"] == "file_moved"
        and job.kwargs["payload"]["file_id"] == file_id
    ]


def test_opening_lending_and_returning_each_fire_file_moved(
    app: Flask, office: Office
) -> None:
    case_id = new_case(app, office)
    with app.app_context():
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
        assert _moved(volume.id) == ["open", "checkout", "return"]
