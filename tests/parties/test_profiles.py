"""Party profiles through the service: checks, one profile per identity, lookup."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from plugins.parties import services
from plugins.parties.models import Lawyer, Party
from portal.extensions import db
from tests.parties.conftest import new_mykad, party_fields


def test_a_profile_is_stored_canonical_with_derived_facts(app_ctx) -> None:
    number = new_mykad("P")
    party = services.create_party(
        full_name="  Siti  Aminah binti Abdullah ",
        identity_type="mykad",
        identity_number=number,
        email="Siti@Contoh.MY",
        phone="013-987 6543",
        postcode="21000",
    )
    db.session.commit()
    stored = db.session.get(Party, party.id)
    assert stored.full_name == "Siti Aminah binti Abdullah"
    assert stored.identity_number == number.replace("-", "")
    assert stored.identity_display == number
    assert (stored.nationality, stored.gender) == ("MYS", "P")
    assert stored.birth_date is not None
    assert stored.name_key == "siti aminah abdullah"
    assert (stored.email, stored.phone) == ("Siti@contoh.my", "0139876543")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"identity_number": "900115-17-5123"}, "identity_number: 17 is not a known"),
        ({"identity_number": "990231-11-5123"}, "identity_number: 990231 is not a re"),
        ({"identity_number": "12345"}, "identity_number: must be 12 digits"),
        ({"full_name": "<b>Ali</b>"}, "full_name: must not contain markup"),
        ({"full_name": "Ali\x00 bin Abu"}, "full_name: must not contain control"),
        ({"full_name": "   "}, "full_name: is required"),
        ({"full_name": "12345"}, "full_name: must contain letters"),
        ({"address_line1": "Jalan <script>"}, "address_line1: must not contain mark"),
        ({"town": "Kuala\u200bTerengganu"}, "town: must not contain control"),
        ({"email": "ali@"}, "email: must be an e-mail address"),
        ({"phone": "12-34"}, "phone: must be 9 to 15 digits"),
        ({"postcode": "2100"}, "postcode: must be 5 digits"),
        ({"gender": "X"}, "gender: must be L (lelaki) or P (perempuan)"),
        ({"gender": "P"}, "gender: perempuan contradicts the MyKad"),
        ({"birth_date": "1990-13-01"}, "birth_date: must be a date (YYYY-MM-DD)"),
        ({"nickname": "Ali"}, "nickname: is not a field of a party profile"),
    ],
)
def test_bad_input_names_field_and_rule_and_writes_nothing(
    app_ctx, fields: dict, message: str
) -> None:
    values = party_fields("Ali bin Abu", "L") | fields
    before = db.session.scalar(sa.select(sa.func.count(Party.id)))
    with pytest.raises(services.PartyError) as caught:
        services.create_party(**values)
    assert str(caught.value).startswith(message)
    assert caught.value.field == message.split(":")[0]
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Party.id))) == before


def test_future_birth_date_is_refused(app_ctx) -> None:
    tomorrow = services.today() + timedelta(days=1)
    with pytest.raises(services.PartyError, match=r"^birth_date: must not be in the"):
        services.create_party(
            full_name="Somchai Abdullah",
            identity_type="passport",
            identity_number="AA7654321",
            nationality="THA",
            birth_date=tomorrow,
        )


def test_the_database_refuses_a_second_profile_for_one_number(app_ctx) -> None:
    """The unique constraint holds even for writes that skip the service."""
    number = new_mykad(dashes=False)
    db.session.add(
        Party(
            full_name="Ahmad bin Ismail",
            name_key="ahmad ismail",
            identity_type="mykad",
            identity_number=number,
            nationality="MYS",
        )
    )
    db.session.commit()
    db.session.add(
        Party(
            full_name="Ahmad Ismail",
            name_key="ahmad ismail",
            identity_type="mykad",
            identity_number=number,
            nationality="MYS",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_service_refuses_a_duplicate_naming_the_profile(app_ctx) -> None:
    fields = party_fields("Zulkifli bin Daud")
    first = services.create_party(**fields)
    db.session.commit()
    spaced = fields["identity_number"].replace("-", " ")
    with pytest.raises(services.PartyError) as caught:
        services.create_party(**(fields | {"identity_number": spaced}))
    assert caught.value.field == "identity_number"
    assert f"is already registered (profile {first.id})" in caught.value.rule


def test_a_clash_the_check_missed_is_caught_from_the_constraint(
    app_ctx, monkeypatch
) -> None:
    """Two officers keying one person at once: both checks pass, one insert fails."""
    fields = party_fields("Rosli bin Jusoh")
    services.create_party(**fields)
    db.session.commit()
    monkeypatch.setattr(services, "_holder_of", lambda *a, **k: None)
    with pytest.raises(services.PartyError) as caught:
        services.create_party(**(fields | {"full_name": "Rosli Jusoh"}))
    assert caught.value.field == "identity_number"
    assert "at the same moment" in caught.value.rule
    # The session was rolled back and is usable again.
    assert db.session.scalar(sa.select(sa.func.count(Party.id))) >= 1


def test_get_or_create_never_keys_a_person_twice(app_ctx) -> None:
    fields = party_fields("Mohd Shukri bin Mamat")
    party = services.get_or_create_party(**fields)
    db.session.commit()
    undashed = fields["identity_number"].replace("-", "")
    again = services.get_or_create_party(
        **(fields | {"identity_number": undashed, "full_name": "Muhd Shukri Mamat"})
    )
    assert again.id == party.id
    assert again.full_name == "Mohd Shukri bin Mamat"
    assert services.get_party(party.id).id == party.id


def test_update_rechecks_and_rederives(app_ctx) -> None:
    party = services.create_party(**party_fields("Hasnah binti Ibrahim", "P"))
    db.session.commit()
    services.update_party(party, town="Marang", full_name="Hasnah bt. Ibrahim")
    assert (party.town, party.name_key) == ("Marang", "hasnah ibrahim")
    new_number = new_mykad("P")
    services.update_party(party, identity_number=new_number)
    assert party.identity_display == new_number
    assert party.birth_date.strftime("%y%m%d") == new_number[:6]
    with pytest.raises(services.PartyError, match=r"^gender: lelaki contradicts"):
        services.update_party(party, gender="L")
    db.session.rollback()


def test_lookup_is_exact_and_instant(app_ctx) -> None:
    fields = party_fields("Kamarulzaman bin Embong")
    party = services.create_party(**fields)
    db.session.commit()
    number = fields["identity_number"]
    for typed in (number, number.replace("-", ""), f" {number.replace('-', ' ')} "):
        assert services.find_by_identity("mykad", typed).id == party.id
    assert services.find_by_identity("mykad", new_mykad()) is None
    with pytest.raises(services.PartyError, match="17 is not a known place"):
        services.find_by_identity("mykad", "900115-17-5123")
    # The lookup is one equality on the unique constraint's index.
    if db.engine.dialect.name == "sqlite":
        plan = db.session.execute(
            sa.text(
                "EXPLAIN QUERY PLAN SELECT id FROM party WHERE identity_type = 'mykad'"
                " AND identity_number = :n AND nationality = 'MYS'"
            ),
            {"n": number.replace("-", "")},
        ).all()
        assert "INDEX" in " ".join(str(row[-1]) for row in plan)


def test_lawyers_are_checked_and_unique_by_certificate(app_ctx) -> None:
    lawyer = services.create_lawyer(
        name="Zainal Abidin bin Said", certificate_number="trg/ps/2009/914"
    )
    db.session.commit()
    assert db.session.get(Lawyer, lawyer.id).certificate_number == "TRG/PS/2009/914"
    with pytest.raises(services.PartyError, match=r"^certificate_number: TRG/PS/2009"):
        services.create_lawyer(name="Orang Lain", certificate_number="TRG/PS/2009/914")
    with pytest.raises(services.PartyError, match=r"^name: must not contain markup"):
        services.create_lawyer(name="<i>x</i>", certificate_number="TRG/PS/1/1")


def test_birth_date_given_for_a_passport_holder_is_kept(app_ctx) -> None:
    party = services.create_party(
        full_name="Siti Rahmah binti Sulaiman",
        identity_type="passport",
        identity_number=f"B{new_mykad(dashes=False)[:7]}",
        nationality="idn",
        birth_date="1990-09-09",
        gender="p",
    )
    assert (party.birth_date, party.gender) == (date(1990, 9, 9), "P")
    assert party.nationality == "IDN"
    db.session.rollback()
