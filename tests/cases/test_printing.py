"""Printed documents: the day's cause list and the case summary, read back as text."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from plugins.cases import documents, printing, services
from plugins.cases.models import Case, CaseStatus, Sealing
from plugins.parties.models import Lawyer
from portal.audit.models import AccessLog
from portal.extensions import db
from portal.printing import malay_date
from tests.cases.conftest import act_as, mykad, registration
from tests.conftest import login, make_officer

COURT = "11006"
DAY = date(2030, 7, 4)
ZONE = ZoneInfo("Asia/Kuala_Lumpur")
PDF = b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
_names = itertools.count(1)


def pdf_text(content: bytes) -> str:
    """Every page's text with runs of white space made single spaces."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


def people(tag: str) -> list[services.PartyInput]:
    """A plaintiff and a defendant whose names carry ``tag`` (to find them)."""
    return [
        services.PartyInput(
            role="plaintif",
            identity_number=mykad(),
            details={"full_name": f"Rohana binti Salleh {tag}"},
        ),
        services.PartyInput(
            role="defendan",
            identity_number=mykad(),
            details={"full_name": f"Kamal bin Yusof {tag}"},
        ),
    ]


@dataclass
class Day:
    """A court day at 11006 with an open, a confidential and a late sitting."""

    registrar: Any
    clerk: Any
    outsider: Any
    open_case: int
    confidential_case: int
    late_case: int
    other_day_case: int
    withdrawn_case: int


@pytest.fixture(scope="module")
def court_day(app: Flask) -> Day:
    registrar = make_officer(app, "Registrar", (COURT,))
    make_officer(app, "Judge", (COURT,), judge=True)
    with app.app_context():
        act_as(app, registrar)

        def case(tag: str, **extra: Any) -> Case:
            return services.register_case(
                registration(
                    COURT,
                    user=registrar,
                    from_court=COURT,
                    parties=people(tag),
                    **extra,
                )
            )

        open_case = case("Terbuka")
        secret = case("Rahsia", confidential=True)
        late = case("Petang")
        other = case("Esok")
        withdrawn = case("Tarik")
        services.schedule_hearing(open_case, "sebutan", at(9), "Bilik 1")
        services.schedule_hearing(secret, "bicara", at(8, 30), "Bilik 2")
        services.schedule_hearing(late, "keputusan", at(11), "Bilik 1")
        services.schedule_hearing(
            other, "sebutan", at(9, day=date(2030, 7, 5)), "Bilik 1"
        )
        services.schedule_hearing(withdrawn, "sebutan", at(10), "Bilik 1")
        services.change_status(withdrawn, CaseStatus.WITHDRAWN, reason="Berdamai")
        ids = [c.id for c in (open_case, secret, late, other, withdrawn)]
    return Day(
        registrar,
        make_officer(app, "Clerk", (COURT,)),
        make_officer(app, "Clerk", ("11001",)),
        *ids,
    )


def numbers(app: Flask, *ids: int) -> list[str]:
    with app.app_context():
        return [db.session.get(Case, i).case_number for i in ids]


def test_cause_list_orders_sittings_and_hides_confidential_parties(
    app: Flask, court_day: Day
) -> None:
    client = app.test_client()
    login(client, court_day.registrar.username)
    response = client.get(f"/cause-list/pdf?mahkamah={COURT}&tarikh={DAY}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    secret, first, late = numbers(
        app, court_day.confidential_case, court_day.open_case, court_day.late_case
    )
    other, withdrawn = numbers(app, court_day.other_day_case, court_day.withdrawn_case)
    assert "MAHKAMAH RENDAH SYARIAH" in text
    assert "SENARAI SEBUTAN DAN BICARA" in text
    assert malay_date(DAY) == "Khamis, 4 Julai 2030"
    assert "Khamis, 4 Julai 2030" in text
    # By time: 08:30 Bilik 2, 09:00 Bilik 1, 11:00 Bilik 1.
    assert text.index(secret) < text.index(first) < text.index(late)
    assert other not in text and withdrawn not in text
    assert "Rohana binti Salleh Terbuka lwn Kamal bin Yusof Terbuka" in text
    assert "Rahsia" not in text
    assert printing.CONFIDENTIAL_PARTIES in text
    assert "Sebutan" in text and "Bicara" in text and "Keputusan" in text
    with app.app_context():
        judge = db.session.get(Case, court_day.open_case).judge
        assert judge is not None
        assert str(judge) in text


def test_cause_list_of_one_courtroom(app: Flask, court_day: Day) -> None:
    client = app.test_client()
    login(client, court_day.clerk.username)
    page = client.get(f"/cause-list/?mahkamah={COURT}&tarikh={DAY}")
    assert page.status_code == 200
    assert "Bilik 2" in page.text and "Rahsia" not in page.text
    response = client.get(
        f"/cause-list/pdf?mahkamah={COURT}&tarikh={DAY}&bilik=Bilik+1"
    )
    assert response.status_code == 200
    assert "Bilik_1" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    first, late, secret = numbers(
        app, court_day.open_case, court_day.late_case, court_day.confidential_case
    )
    assert "Bilik Bicara: Bilik 1" in text
    assert first in text and late in text and secret not in text
    empty = client.get(f"/cause-list/pdf?mahkamah={COURT}&tarikh=2030-07-06")
    assert "Sabtu, 6 Julai 2030" in pdf_text(empty.data)
    assert "Tiada sebutan atau bicara pada tarikh ini." in pdf_text(empty.data)


def test_cause_list_of_another_court_is_not_found_and_logged(
    app: Flask, court_day: Day
) -> None:
    client = app.test_client()
    login(client, court_day.outsider.username)
    for path in ("/cause-list/pdf", "/cause-list/"):
        response = client.get(f"{path}?mahkamah={COURT}&tarikh={DAY}")
        assert response.status_code == 404
    with app.app_context():
        denied = db.session.scalar(
            sa.select(sa.func.count()).where(
                AccessLog.user_id == court_day.outsider.id,
                AccessLog.action == "cause_list",
                AccessLog.allowed.is_(False),
            )
        )
    assert denied == 2


@pytest.mark.parametrize("bad", ["4/7/2030", "2030-13-01", "esok"])
def test_cause_list_refuses_a_bad_date_naming_the_field(
    app: Flask, court_day: Day, bad: str
) -> None:
    client = app.test_client()
    login(client, court_day.registrar.username)
    response = client.get(f"/cause-list/pdf?mahkamah={COURT}&tarikh={bad}")
    assert response.status_code == 422
    assert response.text.startswith("tarikh:")
    page = client.get(f"/cause-list/?mahkamah={COURT}&tarikh={bad}")
    assert page.status_code == 422
    assert "Tarikh:" in page.text


def test_case_summary_names_sealed_documents_only_as_sealed(
    app: Flask, court_day: Day
) -> None:
    with app.app_context():
        act_as(app, court_day.registrar)
        lawyer = Lawyer(
            name="Nor Azizah binti Hamid",
            certificate_number=f"PS/TRG/{next(_names)}/{court_day.registrar.id}",
            firm="Tetuan Azizah & Rakan",
        )
        db.session.add(lawyer)
        db.session.commit()
        parties = people("Ringkasan")
        parties[0].lawyer_id = lawyer.id
        case = services.register_case(
            registration(
                COURT,
                user=court_day.registrar,
                from_court=COURT,
                parties=parties,
                confidential=True,
            )
        )
        services.schedule_hearing(
            case, "sebutan", at(9, day=date(2030, 8, 1)), "Bilik 3"
        )
        for name, sealed in (
            ("afidavit.pdf", Sealing.NONE),
            ("laporan-perubatan.pdf", Sealing.PUBLIC),
        ):
            documents.upload_document(
                case,
                doc_type="Afidavit" if sealed == Sealing.NONE else "Lain-lain",
                filename=name,
                content_type="application/pdf",
                data=PDF,
                sealed=sealed,
                uploaded_by_id=court_day.registrar.id,
            )
        case_id, number = case.id, case.case_number

    client = app.test_client()
    login(client, court_day.registrar.username)
    assert f"/case-print/{case_id}/summary" in client.get(f"/cases/show/{case_id}").text
    response = client.get(f"/case-print/{case_id}/summary")
    assert response.status_code == 200
    text = pdf_text(response.data)
    for expected in (
        "RINGKASAN KES",
        "SULIT",
        number,
        "Tuntutan Perceraian",
        "Rohana binti Salleh Ringkasan",
        "Kamal bin Yusof Ringkasan",
        "Nor Azizah binti Hamid, Tetuan Azizah & Rakan",
        "1 Ogos 2030, 09:00",
        "Bilik 3",
        "afidavit.pdf",
        printing.SEALED_DOCUMENT,
    ):
        assert expected in text, expected
    assert "laporan" not in text and "Lain-lain" not in text

    # A clerk of the same court may not see a confidential case; an officer of
    # another court may not see even an open one.
    clerk = app.test_client()
    login(clerk, court_day.clerk.username)
    assert clerk.get(f"/case-print/{case_id}/summary").status_code == 404
    outsider = app.test_client()
    login(outsider, court_day.outsider.username)
    assert outsider.get(f"/case-print/{court_day.open_case}/summary").status_code == 404
    assert outsider.get("/case-print/999999999/summary").status_code == 404
    assert clerk.get(f"/case-print/{court_day.open_case}/summary").status_code == 200
