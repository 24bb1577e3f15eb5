"""The public status page: essentials for a case's parties, nothing for others."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from plugins.cases import efiling, services
from plugins.cases.models import Case, Hearing
from portal.audit.models import AccessLog
from portal.extensions import db
from tests.cases.conftest import act_as, mykad, registration
from tests.cases.test_efiling import filing_fields
from tests.conftest import make_officer

#: 09:00 in Malaysia on 5 January 2099.
NEXT_HEARING = datetime(2099, 1, 5, 1, 0, tzinfo=UTC)


@dataclass
class Filed:
    """A case accepted from an e-filing, and who is who in it."""

    case_id: int
    case_number: str
    reference: str
    applicant: str
    respondent: str


@pytest.fixture
def filed(app: Flask) -> Filed:
    """An accepted filing at Besut with a past and a future hearing."""
    registrar = make_officer(app, "Registrar", ("11002",))
    with app.app_context():
        fields = filing_fields()
        filing = efiling.submit_efiling(**fields)
        act_as(app, registrar)
        case = efiling.accept_efiling(filing, registrar.id)
        services.schedule_hearing(case, "sebutan", NEXT_HEARING, "Bilik 2")
        db.session.add(
            Hearing(
                case_id=case.id,
                kind="sebutan",
                starts_at=datetime(2020, 3, 2, 1, 0, tzinfo=UTC),
            )
        )
        db.session.commit()
        return Filed(
            case.id,
            case.case_number,
            filing.reference,
            fields["applicant_identity_number"],
            fields["respondent_identity_number"],
        )


def ask(app: Flask, number: str, identity_number: str, **extra: str):
    """Post the status form as an anonymous visitor."""
    return app.test_client().post(
        "/status/",
        data={
            "number": number,
            "identity_type": "mykad",
            "identity_number": identity_number,
            **extra,
        },
    )


def answer_part(html: str) -> str:
    """The page without its CSRF token, which differs from request to request."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)


def last_log(app: Flask) -> AccessLog:
    with app.app_context():
        entry = db.session.scalar(sa.select(AccessLog).order_by(AccessLog.id.desc()))
        db.session.expunge(entry)
        return entry


def test_a_party_sees_status_court_and_next_hearing(app: Flask, filed: Filed) -> None:
    page = app.test_client().get("/status/")
    assert page.status_code == 200
    assert 'name="viewport"' in page.text and 'name="csrf_token"' in page.text
    for identity in (filed.applicant, filed.respondent.replace("-", "")):
        answer = ask(app, filed.case_number, identity)
        assert answer.status_code == 200
        assert 'id="answer"' in answer.text
        assert "Dalam Proses" in answer.text  # the hearing started the case
        assert "Mahkamah Rendah Syariah Besut" in answer.text
        # Malaysia time, and the next hearing, not the past one.
        assert "05/01/2099, 09:00" in answer.text
        assert "2020" not in answer.text
        # Essentials only: no names, title, room or identity numbers.
        for private in ("Nur Hidayah", "Azman", "nafkah", "Bilik 2", filed.applicant):
            assert private not in answer.text
    entry = last_log(app)
    assert (entry.table_name, entry.record_id) == ("court_case", str(filed.case_id))
    assert (entry.action, entry.allowed, entry.user_id) == ("public_status", True, None)


def test_the_filing_reference_answers_too(app: Flask, filed: Filed) -> None:
    typed = filed.reference.lower().replace("-", "")
    answer = ask(app, typed, filed.applicant)
    assert 'id="answer"' in answer.text
    assert filed.case_number in answer.text and filed.reference in answer.text
    assert "05/01/2099, 09:00" in answer.text
    # The reference is the applicant's: the respondent gets the neutral answer.
    assert 'id="not-found"' in ask(app, filed.reference, filed.respondent).text


def test_a_waiting_and_a_returned_filing(app: Flask) -> None:
    registrar = make_officer(app, "Registrar", ("11004",))
    with app.app_context():
        fields = filing_fields("11004")
        filing = efiling.submit_efiling(**fields)
        reference, filing_id = filing.reference, filing.id
    waiting = ask(app, reference, fields["applicant_identity_number"])
    assert "Dihantar, menunggu semakan" in waiting.text
    assert "Mahkamah Rendah Syariah Kemaman" in waiting.text
    entry = last_log(app)
    assert (entry.table_name, entry.record_id) == ("efiling", str(filing_id))
    with app.app_context():
        act_as(app, registrar)
        efiling.return_efiling(
            db.session.get(efiling.EFiling, filing_id),
            "Sila nyatakan alamat responden.",
            registrar.id,
        )
    returned = ask(app, reference, fields["applicant_identity_number"])
    assert "Dikembalikan" in returned.text
    assert "Sila nyatakan alamat responden." in returned.text


def test_every_miss_gets_the_same_neutral_answer(app: Flask, filed: Filed) -> None:
    clerk = make_officer(app, "Clerk", ("11001",))
    party = mykad()
    with app.app_context():
        act_as(app, clerk)
        sealed = services.register_case(
            registration(
                "11001",
                user=clerk,
                confidential=True,
                parties=[
                    services.PartyInput(
                        role="plaintif",
                        identity_number=party,
                        details={"full_name": "Halimah binti Daud"},
                    )
                ],
            )
        )
        sealed_id, sealed_number = sealed.id, sealed.case_number
        assert db.session.get(Case, sealed_id).confidential
    stranger = mykad()
    misses = {
        "wrong identity": (ask(app, filed.case_number, stranger), filed.case_id),
        "confidential": (ask(app, sealed_number, party), sealed_id),
        "unknown number": (ask(app, "11002-024-9999-2026", party), None),
        "unknown reference": (ask(app, "EF-2222-2222", party), None),
        "not the applicant": (ask(app, filed.reference, stranger), filed.case_id),
    }
    pages = set()
    for name, (response, case_id) in misses.items():
        assert response.status_code == 200, name
        assert 'id="not-found"' in response.text, name
        assert 'id="answer"' not in response.text, name
        pages.add(answer_part(response.text))
        with app.app_context():
            logged = db.session.scalar(
                sa.select(sa.func.count(AccessLog.id)).where(
                    AccessLog.action == "public_status",
                    AccessLog.allowed.is_(False),
                    AccessLog.record_id.is_(None)
                    if case_id is None
                    else AccessLog.record_id == str(case_id),
                )
            )
        assert logged >= 1, name
    assert len(pages) == 1, "the misses must not differ in any way"


@pytest.mark.parametrize(
    ("data", "field", "rule"),
    [
        ({"number": " ", "identity_number": "850101-11-0001"}, "number", "required"),
        (
            {"number": "11002-024-0001-2026", "identity_number": "12"},
            "identity_number",
            "12 digits",
        ),
        (
            {
                "number": "11002-024-0001-2026",
                "identity_type": "passport",
                "identity_number": "A1234567",
            },
            "nationality",
            "required with a passport",
        ),
    ],
)
def test_malformed_input_is_named(
    app: Flask, data: dict, field: str, rule: str
) -> None:
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count(AccessLog.id)))
    answer = app.test_client().post("/status/", data={"identity_type": "mykad", **data})
    assert answer.status_code == 422
    assert f'data-field="{field}"' in answer.text
    assert rule in answer.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AccessLog.id))) == before
