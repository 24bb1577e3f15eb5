"""The screens: keying a party, refusals shown, search page, merge, who may what."""

from __future__ import annotations

import html

import sqlalchemy as sa
from flask import Flask

from plugins.parties import services
from plugins.parties.models import Party, PartyMerge
from portal.extensions import db
from tests.conftest import court_id, login, make_officer
from tests.parties.conftest import new_mykad, party_fields


def _form(name: str, number: str, **extra: str) -> dict[str, str]:
    return {
        "full_name": name,
        "identity_type": "mykad",
        "identity_number": number,
        "nationality": "",
        "birth_date": "",
        "gender": "",
        **extra,
    }


def _count(**where: str) -> int:
    statement = sa.select(sa.func.count(Party.id)).filter_by(**where)
    return db.session.scalar(statement)


def test_clerk_keys_a_party_through_the_form(app: Flask) -> None:
    clerk = make_officer(app, "Clerk", ("11001",))
    client = app.test_client()
    login(client, clerk.username)
    form = client.get("/parties/add")
    assert form.status_code == 200
    assert "No. Kad Pengenalan" in form.text and "Nama" in form.text
    number = new_mykad("P")
    response = client.post(
        "/parties/add",
        data=_form("Nurul Huda binti Ismail", number, town="Dungun"),
        follow_redirects=True,
    )
    assert response.status_code == 200
    with app.app_context():
        party = db.session.scalar(
            sa.select(Party).where(Party.identity_number == number.replace("-", ""))
        )
        assert party is not None, response.text[-1500:]
        assert (party.gender, party.nationality, party.town) == ("P", "MYS", "Dungun")
        assert party.keyed_at_court_id == court_id("11001")
        assert party.name_key == "nurulhuda ismail"


def test_a_bad_mykad_shows_the_rule_and_writes_nothing(app: Flask) -> None:
    clerk = make_officer(app, "Clerk", ("11001",))
    client = app.test_client()
    login(client, clerk.username)
    name = "Rohana binti Mamat Tersalah"
    for number, rule in [
        ("900115-17-5124", "identity_number: 17 is not a known place-of-birth code"),
        ("990231-11-5124", "identity_number: 990231 is not a real date of birth"),
        ("90011511512", "identity_number: must be 12 digits"),
    ]:
        response = client.post(
            "/parties/add", data=_form(name, number), follow_redirects=True
        )
        assert response.status_code == 200
        assert rule in html.unescape(response.text)
    response = client.post(
        "/parties/add",
        data=_form("<script>x</script>", new_mykad()),
        follow_redirects=True,
    )
    assert "full_name: must not contain markup" in html.unescape(response.text)
    with app.app_context():
        assert _count(full_name=name) == 0


def test_a_refused_edit_changes_nothing(app: Flask) -> None:
    with app.app_context():
        party = services.create_party(**party_fields("Faridah binti Hussin", "P"))
        db.session.commit()
        party_id, number = party.id, party.identity_display
    registrar = make_officer(app, "Registrar", ("11001",))
    client = app.test_client()
    login(client, registrar.username)
    response = client.post(
        f"/parties/edit/{party_id}",
        data=_form("Faridah binti Hussin", number, gender="L"),
        follow_redirects=True,
    )
    assert "gender: lelaki contradicts the MyKad" in html.unescape(response.text)
    response = client.post(
        f"/parties/edit/{party_id}",
        data=_form("Faridah bt Hussin", number, town="Chukai"),
        follow_redirects=True,
    )
    with app.app_context():
        stored = db.session.get(Party, party_id)
        assert (stored.gender, stored.town) == ("P", "Chukai")
        assert stored.full_name == "Faridah bt Hussin"


def test_search_page_finds_by_number_and_by_name(app: Flask) -> None:
    with app.app_context():
        fields = party_fields("Wan Ahmad Fauzi bin Wan Ismail")
        services.create_party(**fields)
        db.session.commit()
    judge = make_officer(app, "Judge", ("11001",), judge=True)
    client = app.test_client()
    login(client, judge.username)
    by_number = client.get(
        "/parties/search/",
        query_string={"number": fields["identity_number"].replace("-", "")},
    )
    assert by_number.status_code == 200
    assert "Wan Ahmad Fauzi bin Wan Ismail" in by_number.text
    by_name = client.get("/parties/search/", query_string={"q": "wan ahmad fauzi"})
    assert "Wan Ahmad Fauzi bin Wan Ismail" in by_name.text
    bad = client.get("/parties/search/", query_string={"number": "900115-17-5123"})
    assert "17 is not a known place-of-birth code" in html.unescape(bad.text)


def test_registrar_merges_after_seeing_both_profiles(app: Flask) -> None:
    with app.app_context():
        kept = services.create_party(**party_fields("Che Mat bin Che Omar"))
        dup = services.create_party(
            full_name="Che Mat Che Omar",
            identity_type="old_ic",
            identity_number="K7654321",
            phone="09-6221041",
        )
        db.session.commit()
        kept_id, dup_id = kept.id, dup.id
    registrar = make_officer(app, "Registrar", ("11001",))
    client = app.test_client()
    login(client, registrar.username)
    assert client.get("/parties/merge/").status_code == 200
    fields = {"survivor_id": str(kept_id), "duplicate_id": str(dup_id)}
    preview = client.post(
        "/parties/merge/", data={**fields, "reason": "Sama orang", "step": "preview"}
    )
    assert preview.status_code == 200
    assert "Che Mat bin Che Omar" in preview.text and "K7654321" in preview.text
    with app.app_context():
        assert db.session.get(Party, dup_id).merged_into_id is None
    done = client.post(
        "/parties/merge/", data={**fields, "reason": "Sama orang", "step": "confirm"}
    )
    assert done.status_code == 302, done.text[-800:]
    with app.app_context():
        assert db.session.get(Party, dup_id).merged_into_id == kept_id
        merge = db.session.scalar(
            sa.select(PartyMerge).where(PartyMerge.merged_id == dup_id)
        )
        assert merge.merged_by_id == registrar.id
    assert client.get(done.headers["Location"]).status_code == 200
    again = client.post(
        "/parties/merge/", data={**fields, "reason": "lagi", "step": "confirm"}
    )
    assert "already merged into" in html.unescape(again.text)


def test_who_may_do_what(app: Flask) -> None:
    expectations = {
        # role: may (list parties, add a party, use the merge screen)
        "Clerk": (True, True, False),
        "Registrar": (True, True, True),
        "Judge": (True, False, False),
        "Cashier": (True, False, False),
        "Auditor": (False, False, False),
    }
    for role, expected in expectations.items():
        officer = make_officer(app, role, ("11001",))
        client = app.test_client()
        login(client, officer.username)
        statuses = [
            client.get(url).status_code
            for url in ("/parties/list/", "/parties/add", "/parties/merge/")
        ]
        # FAB refuses a screen with a redirect, a plain view with a 403.
        assert set(statuses) <= {200, 302, 403}, (role, statuses)
        found = tuple(status == 200 for status in statuses)
        assert found == expected, role
