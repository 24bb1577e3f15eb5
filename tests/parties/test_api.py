"""The party REST API: declared columns only, exact lookup, ranked search, 422s."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugins.parties import services
from plugins.parties.api import PARTY_COLUMNS
from portal.extensions import db
from tests.conftest import api_headers, make_officer
from tests.parties.conftest import new_mykad, party_fields


@pytest.fixture
def clerk(app: Flask) -> tuple[FlaskClient, dict[str, str]]:
    """A client and token of a clerk (made once per backend)."""
    cached = app.extensions.get("parties_test_clerk")
    if cached is None:
        officer = make_officer(app, "Clerk", ("11001",))
        client = app.test_client()
        cached = app.extensions["parties_test_clerk"] = (
            client,
            api_headers(client, officer.username),
        )
    return cached


def _keyed(app: Flask, name: str, gender: str = "L") -> dict[str, Any]:
    with app.app_context():
        fields = party_fields(name, gender)
        party = services.create_party(**fields)
        db.session.commit()
        return fields | {"id": party.id}


def test_lookup_is_exact(app: Flask, clerk) -> None:
    client, headers = clerk
    keyed = _keyed(app, "Aishah binti Abdul Rahman", "P")
    for number in (keyed["identity_number"], keyed["identity_number"].replace("-", "")):
        response = client.get(
            "/api/v1/party/lookup",
            query_string={"identity_type": "mykad", "number": number},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        assert response.json["id"] == keyed["id"]
        result = response.json["result"]
        assert set(result) == set(PARTY_COLUMNS)
        assert result["full_name"] == "Aishah binti Abdul Rahman"
    missing = client.get(
        "/api/v1/party/lookup", query_string={"number": new_mykad()}, headers=headers
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("query", "field", "rule"),
    [
        ({"number": "900115-17-5123"}, "identity_number", "17 is not a known"),
        ({"number": "990231-11-5123"}, "identity_number", "990231 is not a real"),
        ({"number": "123"}, "identity_number", "must be 12 digits"),
        ({}, "number", "is required"),
        ({"identity_type": "passport", "number": "A12345"}, "nationality", "is req"),
    ],
)
def test_lookup_names_the_broken_rule(clerk, query, field, rule) -> None:
    client, headers = clerk
    response = client.get("/api/v1/party/lookup", query_string=query, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json["message"][field][0].startswith(rule)


def test_search_ranks_by_name(app: Flask, clerk) -> None:
    client, headers = clerk
    target = _keyed(app, "Nik Mohd Azmi bin Nik Hassan")
    other = _keyed(app, "Azmi bin Hassan")
    response = client.get(
        "/api/v1/party/search",
        query_string={"q": "Nik Muhammad Azmi Nik Hassan", "min_score": "0.2"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    ids = [item["party"]["id"] for item in response.json["result"]]
    assert ids.index(target["id"]) < ids.index(other["id"])
    assert response.json["result"][0]["score"] == 1.0
    assert response.json["count"] == len(ids)
    for query, field in [({}, "q"), ({"q": "Ali", "limit": "0"}, "limit")]:
        bad = client.get("/api/v1/party/search", query_string=query, headers=headers)
        assert bad.status_code == 422
        assert field in bad.json["message"]


def test_answers_carry_only_declared_columns(app: Flask, clerk) -> None:
    client, headers = clerk
    keyed = _keyed(app, "Salmah binti Deraman", "P")
    item = client.get(f"/api/v1/party/{keyed['id']}", headers=headers)
    assert item.status_code == 200
    assert set(item.json["result"]) <= set(PARTY_COLUMNS)
    listing = client.get(
        "/api/v1/party/", query_string={"q": "(page_size:100)"}, headers=headers
    )
    assert listing.status_code == 200
    text = listing.text
    for forbidden in ("password", "versions", "transaction_id", 'merged_into"'):
        assert forbidden not in text and forbidden not in item.text
    for row in listing.json["result"]:
        assert set(row) <= set(PARTY_COLUMNS)


def test_adding_through_the_api_is_checked(app: Flask, clerk) -> None:
    client, headers = clerk
    number = new_mykad("P")
    body = {"full_name": "Khadijah binti Ismail", "identity_type": "mykad"}
    bad = client.post(
        "/api/v1/party/",
        json=body | {"identity_number": "900115-17-5124"},
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.json["message"] == {
        "identity_number": ["17 is not a known place-of-birth code"]
    }
    good = client.post(
        "/api/v1/party/", json=body | {"identity_number": number}, headers=headers
    )
    assert good.status_code == 201, good.text
    again = client.post(
        "/api/v1/party/",
        json=body | {"identity_number": number.replace("-", "")},
        headers=headers,
    )
    assert again.status_code == 422
    assert "is already registered" in again.json["message"]["identity_number"][0]
    changed = client.put(
        f"/api/v1/party/{good.json['id']}", json={"gender": "L"}, headers=headers
    )
    assert changed.status_code == 422
    assert "contradicts the MyKad" in changed.json["message"]["gender"][0]


def test_lookup_and_search_are_in_the_openapi_document(app: Flask) -> None:
    admin = make_officer(app, "Admin")
    client = app.test_client()
    document = client.get(
        "/api/v1/_openapi", headers=api_headers(client, admin.username)
    ).json
    for path in ("/api/v1/party/lookup", "/api/v1/party/search"):
        operation = document["paths"][path]["get"]
        required = {p["name"] for p in operation["parameters"] if p.get("required")}
        assert required in ({"number"}, {"q"})
