"""Public e-filing: filing without an account, the registrar's accept and return."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from plugins.cases import efiling
from plugins.cases.efiling import EFiling, EFilingState
from plugins.cases.models import Case, CaseType, PartyRole
from plugins.cases.services import CaseError
from plugins.parties import services as parties
from plugins.parties.models import Party
from portal.extensions import db
from portal.notifications import Notification
from portal.security.access import OutOfScope
from tests.cases.conftest import act_as, case_type_id, mykad
from tests.conftest import court_id, login, make_officer

REFERENCE = re.compile(r"EF-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}")


def filing_fields(
    court: str = "11002", type_code: str = "024", **extra: Any
) -> dict[str, Any]:
    """A valid filing, as the public form posts it (inside an app context)."""
    return {
        "court_id": str(court_id(court)),
        "case_type_id": str(case_type_id(type_code)),
        "title": "Tuntutan nafkah anak",
        "summary": "Bekas suami tidak membayar nafkah anak.\nSejak Januari.",
        "applicant_name": "Nur Hidayah binti Salleh",
        "applicant_identity_type": "mykad",
        "applicant_identity_number": mykad(),
        "applicant_nationality": "",
        "applicant_phone": "019-234 5678",
        "applicant_email": "hidayah@contoh.my",
        "respondent_name": "Azman bin Yusof",
        "respondent_identity_type": "mykad",
        "respondent_identity_number": mykad(),
        "respondent_nationality": "",
        **extra,
    }


def submitted(app: Flask, **extra: Any) -> tuple[int, str]:
    """File through the service as an anonymous visitor; the id and reference."""
    with app.app_context():
        filing = efiling.submit_efiling(**filing_fields(**extra))
        return filing.id, filing.reference


def counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count(model.id)))
        for model in (EFiling, Notification, Party, Case)
    }


def test_file_online_then_the_courts_registrar_accepts(app: Flask, client) -> None:
    """The 'done when' walk, from the public form to the public status page."""
    registrar = make_officer(app, "Registrar", ("11002",))
    other_registrar = make_officer(app, "Registrar", ("11001",))
    with app.app_context():
        # The applicant is known from an earlier case: not keyed twice.
        known = parties.create_party(
            identity_type="mykad",
            identity_number=mykad(),
            full_name="Rohana binti Mamat",
        )
        db.session.commit()
        known_id, known_number = known.id, known.identity_number
        form = filing_fields(
            applicant_name="Rohana binti Mamat",
            applicant_identity_number=f"{known_number[:6]}-{known_number[6:8]}-"
            f"{known_number[8:]}",
        )
        respondent_number = form["respondent_identity_number"]

    page = client.get("/efiling/")
    assert page.status_code == 200
    assert 'name="viewport"' in page.text
    filed = client.post("/efiling/", data=form, follow_redirects=True)
    assert filed.status_code == 200, filed.text[:2000]
    found = REFERENCE.search(filed.text)
    assert found is not None, filed.text[:2000]
    reference = found.group()
    with app.app_context():
        filing = db.session.scalar(
            sa.select(EFiling).where(EFiling.reference == reference)
        )
        assert filing.state == EFilingState.SUBMITTED
        assert filing.court_id == court_id("11002")
        assert filing.applicant_identity_number == known_number  # canonical
        filing_id = filing.id
        notice = db.session.scalar(
            sa.select(Notification).where(Notification.user_id == registrar.id)
        )
        assert notice is not None and reference in notice.subject
        assert notice.link == f"/efilings/show/{filing_id}"

    # The court's registrar sees it; another court's registrar does not.
    mine = app.test_client()
    login(mine, registrar.username)
    assert reference in mine.get("/efilings/list/").text
    shown = mine.get(f"/efilings/show/{filing_id}")
    assert shown.status_code == 200
    assert 'id="accept"' in shown.text
    theirs = app.test_client()
    login(theirs, other_registrar.username)
    assert reference not in theirs.get("/efilings/list/").text
    assert theirs.get(f"/efilings/show/{filing_id}").status_code == 404
    assert theirs.post(f"/efilings/accept/{filing_id}").status_code == 404
    assert (
        theirs.post(f"/efilings/return/{filing_id}", data={"reason": "x"}).status_code
        == 404
    )

    accepted = mine.post(f"/efilings/accept/{filing_id}", follow_redirects=True)
    assert accepted.status_code == 200
    with app.app_context():
        filing = db.session.get(EFiling, filing_id)
        assert filing.state == EFilingState.ACCEPTED
        assert filing.decided_by_id == registrar.id
        case = filing.case
        assert case is not None
        assert case.case_number in accepted.text
        assert case.case_number.startswith("11002-024-")
        assert case.registered_by_id == registrar.id
        assert case.title == "Tuntutan nafkah anak"
        roles = {link.role: link.party for link in case.parties}
        # 024 opens as a tuntutan: plaintiff and defendant.
        assert set(roles) == {PartyRole.PLAINTIFF, PartyRole.DEFENDANT}
        assert roles[PartyRole.PLAINTIFF].id == known_id
        assert roles[PartyRole.DEFENDANT].full_name == "Azman bin Yusof"
        assert roles[PartyRole.DEFENDANT].identity_number == respondent_number.replace(
            "-", ""
        )
        case_number, before = case.case_number, counts()

    # Accepting twice is refused, on the screen and in the service.
    again = mine.post(f"/efilings/accept/{filing_id}", follow_redirects=True)
    assert "tidak diterima" in again.text
    with app.app_context():
        act_as(app, registrar)
        with pytest.raises(CaseError) as refused:
            efiling.accept_efiling(db.session.get(EFiling, filing_id), registrar.id)
        assert refused.value.field == "state"
        assert case_number in refused.value.rule
        assert counts() == before

    # The applicant checks the status with the case number and their MyKad.
    status = app.test_client().post(
        "/status/",
        data={
            "number": case_number,
            "identity_type": "mykad",
            "identity_number": known_number,
        },
    )
    assert status.status_code == 200
    assert 'id="answer"' in status.text
    assert "Didaftar" in status.text
    assert "Mahkamah Rendah Syariah Besut" in status.text


def test_a_respondent_less_application_opens_with_the_applicant(app_ctx) -> None:
    registrar = make_officer(app_ctx, "Registrar", ("11003",))
    filing = efiling.submit_efiling(
        **filing_fields(
            "11003",
            "010",
            title="Permohonan pengesahan nikah",
            respondent_name="",
            respondent_identity_number="",
        )
    )
    act_as(app_ctx, registrar)
    case = efiling.accept_efiling(filing, registrar.id)
    assert [link.role for link in case.parties] == [PartyRole.APPLICANT]
    assert case.case_number.startswith("11003-010-")
    assert filing.case_id == case.id


def test_the_registrar_returns_a_filing_with_a_reason(app: Flask) -> None:
    registrar = make_officer(app, "Registrar", ("11002",))
    filing_id, reference = submitted(app)
    client = app.test_client()
    login(client, registrar.username)
    refused = client.post(
        f"/efilings/return/{filing_id}", data={"reason": "  "}, follow_redirects=True
    )
    assert "return_reason: is required" in refused.text
    with app.app_context():
        assert db.session.get(EFiling, filing_id).state == EFilingState.SUBMITTED
    reason = "Sila lampirkan salinan sijil nikah."
    done = client.post(
        f"/efilings/return/{filing_id}", data={"reason": reason}, follow_redirects=True
    )
    assert f"{reference} dikembalikan" in done.text
    with app.app_context():
        filing = db.session.get(EFiling, filing_id)
        assert filing.state == EFilingState.RETURNED
        assert filing.return_reason == reason
        assert filing.decided_by_id == registrar.id
        assert filing.decided_at is not None
        before = counts()
        act_as(app, registrar)
        # A returned filing is not accepted afterwards.
        with pytest.raises(CaseError) as again:
            efiling.accept_efiling(filing, registrar.id)
        assert again.value.field == "state"
        assert "dikembalikan" in again.value.rule
        assert counts() == before


def test_refused_registration_leaves_the_filing_submitted(app: Flask) -> None:
    """A case type switched off after filing: the case is not registered."""
    registrar = make_officer(app, "Registrar", ("11002",))
    filing_id, _reference = submitted(app, type_code="026")
    with app.app_context():
        db.session.get(CaseType, case_type_id("026")).active = False
        db.session.commit()
    try:
        client = app.test_client()
        login(client, registrar.username)
        with app.app_context():
            before = counts()
        answer = client.post(f"/efilings/accept/{filing_id}", follow_redirects=True)
        assert "tidak diterima" in answer.text
        assert "case_type: is not a known, active case type" in answer.text
        with app.app_context():
            filing = db.session.get(EFiling, filing_id)
            assert filing.state == EFilingState.SUBMITTED
            assert filing.case_id is None and filing.decided_by_id is None
            assert counts() == before
    finally:
        with app.app_context():
            db.session.get(CaseType, case_type_id("026")).active = True
            db.session.commit()


def test_another_courts_registrar_cannot_decide_through_the_service(app_ctx) -> None:
    registrar = make_officer(app_ctx, "Registrar", ("11004",))
    filing = efiling.submit_efiling(**filing_fields("11002"))
    act_as(app_ctx, registrar)
    with pytest.raises(OutOfScope):
        efiling.accept_efiling(filing, registrar.id)
    with pytest.raises(OutOfScope):
        efiling.return_efiling(filing, "Bukan mahkamah ini", registrar.id)
    assert db.session.get(EFiling, filing.id).state == EFilingState.SUBMITTED


BAD_INPUT: list[tuple[Callable[[], dict[str, Any]], str, str]] = [
    (lambda: {"court_id": "999999"}, "court_id", "not an active court"),
    (lambda: {"court_id": ""}, "court_id", "not an active court"),
    (lambda: {"court_id": "9" * 30}, "court_id", "not an active court"),
    (lambda: {"court_id": str(court_id("11100"))}, "court_id", "does not take"),
    (lambda: {"case_type_id": "999999"}, "case_type_id", "not a known"),
    (
        lambda: {"case_type_id": str(case_type_id("143"))},
        "case_type_id",
        "cannot be filed online",
    ),
    (
        lambda: {"case_type_id": str(case_type_id("055"))},
        "case_type_id",
        "cannot be filed online",
    ),
    (
        lambda: {"case_type_id": str(case_type_id("001"))},
        "case_type_id",
        "rayuan level",
    ),
    (lambda: {"title": " "}, "title", "is required"),
    (lambda: {"title": "<b>Nafkah</b>"}, "title", "markup"),
    (lambda: {"summary": "Lihat <a href=x>sini</a>"}, "summary", "markup"),
    (lambda: {"applicant_name": "<script>x</script>"}, "applicant_name", "markup"),
    (lambda: {"applicant_name": ""}, "applicant_name", "is required"),
    (
        lambda: {"applicant_identity_number": "850101-11-12"},
        "applicant_identity_number",
        "must be 12 digits",
    ),
    (
        lambda: {"applicant_identity_number": "851301-11-1234"},
        "applicant_identity_number",
        "not a real date of birth",
    ),
    (
        lambda: {"applicant_identity_number": "850101-00-1234"},
        "applicant_identity_number",
        "place-of-birth code",
    ),
    (
        lambda: {"applicant_identity_type": "passport"},
        "applicant_nationality",
        "required with a passport",
    ),
    (lambda: {"applicant_identity_type": "lesen"}, "applicant_identity_type", "one of"),
    (lambda: {"applicant_phone": ""}, "applicant_phone", "is required"),
    (lambda: {"applicant_phone": "telefon saya"}, "applicant_phone", "9 to 15 digits"),
    (lambda: {"applicant_email": "hidayah@"}, "applicant_email", "e-mail address"),
    (
        lambda: {"respondent_identity_number": ""},
        "respondent_identity_number",
        "is required",
    ),
    (
        lambda: {"respondent_name": "", "respondent_identity_number": mykad()},
        "respondent_name",
        "is required",
    ),
    (lambda: {"confidential": "y"}, "confidential", "not a field"),
]


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    BAD_INPUT,
    ids=[f"{field}-{rule.replace(' ', '_')}" for _c, field, rule in BAD_INPUT],
)
def test_bad_input_is_named_and_nothing_is_written(
    app_ctx, change: Callable[[], dict[str, Any]], field: str, rule: str
) -> None:
    fields = filing_fields(**change())
    before = counts()
    with pytest.raises(CaseError) as refused:
        efiling.submit_efiling(**fields)
    assert refused.value.field == field
    assert rule in refused.value.rule
    assert counts() == before


def test_the_respondent_must_be_someone_else(app_ctx) -> None:
    number = mykad()
    before = counts()
    with pytest.raises(CaseError) as refused:
        efiling.submit_efiling(
            **filing_fields(
                applicant_identity_number=number, respondent_identity_number=number
            )
        )
    assert refused.value.field == "respondent_identity_number"
    assert counts() == before


def test_the_form_names_the_bad_field_and_keeps_what_was_typed(
    app: Flask, client
) -> None:
    with app.app_context():
        form = filing_fields(
            title="Tuntutan hadhanah", applicant_identity_number="850101-11-12"
        )
        before = counts()
    answer = client.post("/efiling/", data=form)
    assert answer.status_code == 422
    assert 'data-field="applicant_identity_number"' in answer.text
    assert "must be 12 digits" in answer.text
    assert 'value="Tuntutan hadhanah"' in answer.text
    assert 'aria-invalid="true"' in answer.text
    with app.app_context():
        assert counts() == before


def _options(html: str, name: str) -> set[str]:
    """The values a ``<select name=...>`` of ``html`` offers."""
    found = re.search(rf'<select id="{name}" name="{name}".*?</select>', html, re.S)
    assert found is not None, name
    return set(re.findall(r'<option value="(\d+)"', found.group()))


def test_the_form_offers_only_what_may_be_filed_online(app: Flask, client) -> None:
    page = client.get("/efiling/")
    assert page.status_code == 200
    courts = _options(page.text, "court_id")
    types = _options(page.text, "case_type_id")
    with app.app_context():
        assert str(court_id("11002")) in courts
        assert str(court_id("11100")) not in courts  # a high court
        assert str(case_type_id("024")) in types
        assert str(case_type_id("143")) not in types  # jenayah
        assert str(case_type_id("055")) not in types  # neither claim nor application
    assert "Nama penuh" in page.text and "Jenis Kes" in page.text


def test_csrf_stays_on_for_the_public_form(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        form = filing_fields()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/efiling/", data=form).status_code == 400
        assert client.post("/status/", data={"number": "x"}).status_code == 400
        page = client.get("/efiling/")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        filed = client.post("/efiling/", data={**form, "csrf_token": token.group(1)})
        assert filed.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_registrars_decide_and_clerks_do_not(app_ctx) -> None:
    sm = app_ctx.appbuilder.sm
    decide = {("EFilingView", "can_accept"), ("EFilingView", "can_return")}
    for role, expected in (
        ("Registrar", True),
        ("Chief Registrar", True),
        ("Clerk", False),
        ("Judge", False),
        ("Public", False),
    ):
        grants = {
            (pv.view_menu.name, pv.permission.name)
            for pv in sm.find_role(role).permissions
        }
        assert (decide <= grants) is expected, role
        assert bool(decide & grants) is expected, role


def test_references_are_random_and_read_back_however_typed() -> None:
    references = {efiling.new_reference() for _ in range(200)}
    assert len(references) == 200
    assert all(REFERENCE.fullmatch(reference) for reference in references)
    reference = references.pop()
    typed = reference.lower().replace("-", " ")
    assert efiling.normalise_reference(typed) == reference
    assert efiling.normalise_reference("11002-024-0001-2026") is None
    assert efiling.normalise_reference("EF-0000-1111") is None  # 0 and 1 unused
