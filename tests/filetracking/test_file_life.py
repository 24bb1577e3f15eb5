"""A volume's whole life through the screens: label, loan, overdue, return,
transfer to another court, receipt there, and a history with who and when."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from plugins.cases.models import Case
from plugins.filetracking import services
from plugins.filetracking.models import CaseFile, FileMovement, FileState
from portal.extensions import db
from portal.notifications import Notification
from portal.reminders.engine import run_reminders
from tests.cases.conftest import act_as
from tests.conftest import court_id, login
from tests.filetracking.conftest import OTHER, Office, file_row, new_case


def _listed(html: str) -> str:
    """The table of volumes on a "files I hold" or overdue page."""
    return html.split('id="files"')[1].split("</table>")[0]


def _file_id(response_location: str) -> int:
    found = re.search(r"/file-desk/file/(\d+)$", response_location)
    assert found, response_location
    return int(found.group(1))


def test_a_volume_from_label_to_receipt_at_another_court(
    app: Flask, office: Office
) -> None:
    case_id = new_case(app, office)
    with app.app_context():
        case_number = db.session.get(Case, case_id).case_number
        today = services.local_today()
    desk = app.test_client()
    login(desk, office.officer.username)

    # Open the first volume on a shelf; its label is derived from the number.
    opened = desk.post(
        f"/file-desk/case/{case_id}/open", data={"location_id": office.shelf}
    )
    assert opened.status_code == 302
    label = f"{case_number}/J1"
    page = desk.get(f"/file-desk/case/{case_id}")
    assert label in page.text

    # The label sheet: a PDF carrying the case number (and the code's QR).
    sheet = desk.get(f"/file-desk/case/{case_id}/labels.pdf")
    assert sheet.status_code == 200
    assert sheet.mimetype == "application/pdf"
    assert sheet.data.startswith(b"%PDF")
    assert case_number.encode() in sheet.data

    # A scan (typed sloppily, as people do) opens the record with the loan form.
    scanned = desk.post("/file-desk/", data={"code": f"  {label.lower()} "})
    assert scanned.status_code == 302
    file_id = _file_id(scanned.headers["Location"])
    record = desk.get(f"/file-desk/file/{file_id}")
    assert record.status_code == 200
    assert 'id="form-checkout"' in record.text
    assert 'id="form-return"' not in record.text

    # Lend it to the judge until today; the judge sees it among "my files".
    lent = desk.post(
        f"/file-desk/file/{file_id}/checkout",
        data={
            "borrower_id": office.judge.id,
            "purpose": "Bicara 5 Januari",
            "due_on": today.isoformat(),
        },
    )
    assert lent.status_code == 302, lent.text[:500]
    judge = app.test_client()
    login(judge, office.judge.username)
    assert label in _listed(judge.get("/file-desk/mine").text)
    assert label not in _listed(desk.get("/file-desk/overdue").text)

    # Two days pass: the volume is overdue, listed, and warned about once.
    with app.app_context():
        db.session.get(CaseFile, file_id).due_on = today - timedelta(days=2)
        db.session.commit()
    assert label in _listed(desk.get("/file-desk/overdue").text)
    with app.app_context():
        assert run_reminders().sent["filetracking.file_overdue"]["overdue"] >= 1
        warned = set(
            db.session.scalars(
                sa.select(Notification.user_id).where(
                    Notification.subject.contains(label)
                )
            )
        )
        assert {office.judge.id, office.officer.id} <= warned
        again = run_reminders().sent["filetracking.file_overdue"]
        assert sum(again.values()) == 0  # once per loan, not every morning

    # Returned to its shelf; the loan form is back.
    returned = desk.post(
        f"/file-desk/file/{file_id}/return", data={"location_id": office.shelf}
    )
    assert returned.status_code == 302
    assert file_row(app, file_id)["state"] == FileState.IN_PLACE
    assert label not in _listed(judge.get("/file-desk/mine").text)

    # Sent to the other court: in transit, and only that court may receive it.
    sent = desk.post(
        f"/file-desk/file/{file_id}/transfer_court",
        data={"court_id": str(_court(app, OTHER)), "purpose": "Kes dipindahkan"},
    )
    assert sent.status_code == 302
    row = file_row(app, file_id)
    assert row["state"] == FileState.IN_TRANSIT
    assert row["location_id"] is None
    assert 'id="form-receive"' not in desk.get(f"/file-desk/file/{file_id}").text

    receiver = app.test_client()
    login(receiver, office.receiver.username)
    found = receiver.post("/file-desk/", data={"code": label})
    assert found.status_code == 302
    assert 'id="form-receive"' in receiver.get(f"/file-desk/file/{file_id}").text
    received = receiver.post(
        f"/file-desk/file/{file_id}/receive", data={"location_id": office.other_shelf}
    )
    assert received.status_code == 302
    row = file_row(app, file_id)
    assert row["court_id"] == _court(app, OTHER)
    assert row["location_id"] == office.other_shelf
    assert row["state"] == FileState.IN_PLACE
    # It is the receiving court's volume now; the sender no longer reaches it.
    assert desk.get(f"/file-desk/file/{file_id}").status_code == 404

    # The history: every step, with who and when, in order.
    with app.app_context():
        steps = list(
            db.session.scalars(
                sa.select(FileMovement)
                .where(FileMovement.file_id == file_id)
                .order_by(FileMovement.id)
            )
        )
        assert [(step.kind, step.by_id) for step in steps] == [
            ("open", office.officer.id),
            ("checkout", office.officer.id),
            ("return", office.officer.id),
            ("transfer_court", office.officer.id),
            ("receive", office.receiver.id),
        ]
        assert all(step.at is not None for step in steps)
        assert steps[1].borrower_id == office.judge.id
        assert steps[1].purpose == "Bicara 5 Januari"
        assert steps[3].received_by_id == office.receiver.id
        assert steps[3].received_at is not None
    history = receiver.get(f"/file-desk/file/{file_id}").text
    for word in ("Buka Jilid", "Pinjaman", "Pulang", "Pindah Mahkamah", "Terima"):
        assert word in history, word
    assert office.officer.username in history or office.officer.first_name in history
    # The generated screens list it for the receiving court too.
    listing = receiver.get("/case-files/list/")
    assert label in listing.text


def _court(app: Flask, code: str) -> int:
    with app.app_context():
        return court_id(code)


def test_scan_of_a_case_number_opens_the_cases_volumes(
    app: Flask, office: Office
) -> None:
    case_id = new_case(app, office)
    with app.app_context():
        act_as(app, office.officer)
        case = db.session.get(Case, case_id)
        services.open_volume(case, office.shelf, by_id=office.officer.id)
        services.open_volume(case, office.shelf_2, by_id=office.officer.id)
        number = case.case_number
        labels = [f.label for f in services.files_of_case(case)]
    assert labels == [f"{number}/J1", f"{number}/J2"]
    desk = app.test_client()
    login(desk, office.officer.username)
    response = desk.post("/file-desk/", data={"code": number})
    assert response.headers["Location"].endswith(f"/file-desk/case/{case_id}")
