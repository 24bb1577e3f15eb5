"""Remote registration, finding people by identity number, and bad input."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from plugins.cases import services
from plugins.cases.models import Case, CaseParty, CaseStatus
from portal.audit.models import AccessLog
from portal.extensions import db
from portal.notifications import Notification
from tests.cases.conftest import act_as, case_type_id, mykad, registration
from tests.conftest import api_headers, court_id, login, make_officer


def _form(
    court: str, from_court: str, parties: list[dict[str, str]], **extra: str
) -> dict:
    data = {
        "court_id": str(court_id(court)),
        "registered_from_id": str(court_id(from_court)),
        "case_type_id": str(case_type_id(extra.pop("type_code", "055"))),
        "title": extra.pop("title", "Tuntutan perceraian"),
        **extra,
    }
    for index, party in enumerate(parties):
        for key, value in party.items():
            data[f"parties-{index}-{key}"] = value
    return data


def test_clerk_registers_for_another_court_through_the_screen(app, client) -> None:
    """The 'done when' walk: remote registration reusing a known person."""
    clerk = make_officer(app, "Clerk", ("11001",))
    registrar_y = make_officer(app, "Registrar", ("11002",))
    known = mykad()
    with app.app_context():
        act_as(app, clerk)
        earlier = services.register_case(
            registration(
                "11001",
                user=clerk,
                from_court="11001",
                parties=[
                    services.PartyInput(
                        role="plaintif",
                        identity_number=known,
                        details={"full_name": "Rahimah binti Yusof"},
                    ),
                    services.PartyInput(
                        role="defendan",
                        identity_number=mykad(),
                        details={"full_name": "Zulkifli bin Omar"},
                    ),
                ],
            )
        )
        party_id = earlier.parties[0].party_id
    login(client, clerk.username)
    # Typing the identity number finds the profile and the earlier case.
    found = client.get(f"/api/v1/party/lookup?identity_type=mykad&number={known}")
    assert found.status_code == 200, found.text
    assert found.json["result"]["id"] == party_id
    history = client.get(f"/registration/earlier/{party_id}").json
    assert [h["case_number"] for h in history] == [earlier.case_number]

    with app.app_context():
        data = _form(
            "11002",
            "11001",
            [
                {
                    "role": "plaintif",
                    "party_id": str(party_id),
                    "identity_number": known,
                },
                {
                    "role": "defendan",
                    "identity_number": mykad(),
                    "full_name": "Kamal bin Ali",
                },
            ],
        )
    response = client.post("/registration/", data=data)
    assert response.status_code == 200, response.text[:3000]
    assert "Kes didaftarkan" in response.text
    with app.app_context():
        case = db.session.scalar(
            sa.select(Case)
            .where(Case.court_id == court_id("11002"))
            .order_by(Case.id.desc())
        )
        assert case.case_number in response.text
        assert case.case_number.startswith("11002-055-")
        assert case.registered_from_id == court_id("11001")
        assert case.registered_by_id == clerk.id
        assert case.status == CaseStatus.REGISTERED
        # The person was not keyed twice.
        assert case.parties[0].party_id == party_id
        # Y's registrar was told, with a link to the case.
        notice = db.session.scalar(
            sa.select(Notification).where(Notification.user_id == registrar_y.id)
        )
        assert notice is not None
        assert case.case_number in notice.subject
        assert notice.link == f"/cases/show/{case.id}"
        case_id = case.id
    # The case belongs to Y: X's clerk cannot open it afterwards ...
    assert client.get(f"/cases/show/{case_id}").status_code == 404
    # ... and Y's registrar can.
    other = app.test_client()
    login(other, registrar_y.username)
    page = other.get(f"/cases/show/{case_id}")
    assert page.status_code == 200
    assert "Kuala Terengganu" in page.text  # registered from
    with app.app_context():
        denied = db.session.scalar(
            sa.select(AccessLog).where(
                AccessLog.user_id == clerk.id,
                AccessLog.record_id == str(case_id),
                AccessLog.allowed.is_(False),
            )
        )
        assert denied is not None


def test_confidential_cases_show_only_where_they_are(app_ctx) -> None:
    clerk_a = make_officer(app_ctx, "Clerk", ("11001",))
    clerk_b = make_officer(app_ctx, "Clerk", ("11004",))
    act_as(app_ctx, clerk_a)
    sealed = services.register_case(
        registration("11001", user=clerk_a, from_court="11001", confidential=True)
    )
    open_case = services.register_case(
        registration(
            "11004",
            user=clerk_a,
            from_court="11001",
            parties=[
                services.PartyInput(
                    role="plaintif", party_id=sealed.parties[0].party_id
                ),
                services.PartyInput(
                    role="defendan",
                    identity_number=mykad(),
                    details={"full_name": "Hamid bin Said"},
                ),
            ],
        )
    )
    plain = services.register_case(
        registration(
            "11005",
            user=clerk_a,
            from_court="11001",
            parties=[
                services.PartyInput(
                    role="plaintif", party_id=sealed.parties[0].party_id
                ),
                services.PartyInput(
                    role="defendan",
                    identity_number=mykad(),
                    details={"full_name": "Yusri bin Daud"},
                ),
            ],
        )
    )
    act_as(app_ctx, clerk_b)
    found = services.earlier_cases(sealed.parties[0].party_id)
    by_court = {f.court_code: f for f in found}
    assert (
        by_court["11004"].visible
        and by_court["11004"].case_number == open_case.case_number
    )
    # Another court's ordinary case shows its essentials to any clerk.
    assert (
        by_court["11005"].visible and by_court["11005"].case_number == plain.case_number
    )
    assert not by_court["11001"].visible
    assert by_court["11001"].case_number is None
    assert by_court["11001"].court_name.endswith("Kuala Terengganu")


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"court_id": 999999}, "court", "not an active court"),
        ({"case_type_id": 999999}, "case_type", "not a known"),
        ({"title": "<script>x</script>"}, "title", "markup"),
        ({"title": "  "}, "title", "required"),
        ({"claim_amount_sen": -5}, "claim_amount_sen", "negative"),
        ({"parties": []}, "parties", "plaintiff or an applicant"),
    ],
)
def test_bad_registrations_are_refused_by_field(app_ctx, change, field, rule) -> None:
    clerk = make_officer(app_ctx, "Clerk", ("11001",))
    act_as(app_ctx, clerk)
    before = db.session.scalar(sa.select(sa.func.count(Case.id)))
    parties_before = db.session.scalar(sa.select(sa.func.count(CaseParty.id)))
    request = registration("11002", user=clerk, from_court="11001")
    for key, value in change.items():
        setattr(request, key, value)
    with pytest.raises(services.CaseError) as refused:
        services.register_case(request)
    assert refused.value.field == field
    assert rule in refused.value.rule
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == before
    assert db.session.scalar(sa.select(sa.func.count(CaseParty.id))) == parties_before


def test_case_type_of_another_level_is_refused(app_ctx) -> None:
    clerk = make_officer(app_ctx, "Clerk", ("11001",))
    act_as(app_ctx, clerk)
    with pytest.raises(services.CaseError) as refused:
        services.register_case(registration("11100", user=clerk, from_court="11001"))
    assert refused.value.field == "case_type"
    assert "rendah" in refused.value.rule


def test_registering_from_a_court_you_are_not_posted_to_is_refused(app_ctx) -> None:
    clerk = make_officer(app_ctx, "Clerk", ("11001",))
    act_as(app_ctx, clerk)
    with pytest.raises(services.CaseError) as refused:
        services.register_case(registration("11002", user=clerk, from_court="11005"))
    assert refused.value.field == "registered_from"


def test_the_screen_names_the_bad_field_and_keeps_what_was_typed(app, client) -> None:
    clerk = make_officer(app, "Clerk", ("11001",))
    login(client, clerk.username)
    with app.app_context():
        data = _form(
            "11002",
            "11001",
            [
                {
                    "role": "plaintif",
                    "identity_number": "850101-11-12",
                    "full_name": "Ali bin Abu",
                },
                {
                    "role": "defendan",
                    "identity_number": mykad(),
                    "full_name": "Abu bin Ali",
                },
            ],
            title="Tuntutan nafkah",
        )
    response = client.post("/registration/", data=data)
    assert response.status_code == 422
    assert "parties[0].identity_number" in response.text
    assert "Tuntutan nafkah" in response.text


def test_register_through_the_api(app, client) -> None:
    clerk = make_officer(app, "Clerk", ("11003",))
    headers = api_headers(client, clerk.username)
    with app.app_context():
        body = {
            "court_id": court_id("11003"),
            "case_type_id": case_type_id("024"),
            "title": "Tuntutan nafkah anak",
            "parties": [
                {
                    "role": "pemohon",
                    "identity_number": mykad(),
                    "details": {"full_name": "Noraini binti Jusoh"},
                },
                {
                    "role": "responden",
                    "identity_number": mykad(),
                    "details": {"full_name": "Rosli bin Awang"},
                },
            ],
        }
    created = client.post("/api/v1/case/register", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json["case_number"].startswith("11003-024-")
    shown = client.get(f"/api/v1/case/{created.json['id']}", headers=headers)
    assert shown.status_code == 200
    assert shown.json["result"]["case_number"] == created.json["case_number"]
    body["case_type_id"] = 999999
    refused = client.post("/api/v1/case/register", json=body, headers=headers)
    assert refused.status_code == 422
    assert "case_type" in refused.json["message"]
