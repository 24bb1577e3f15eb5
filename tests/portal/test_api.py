"""Every REST endpoint of the OpenAPI document, read as an officer of one court.

The walk starts from ``/api/v1/_openapi``, so an API a plugin registers is
covered the day it lands. Each GET list and item is read by the probing
officer of ``test_scope`` (every permission, court A only), and no answer may
carry a password hash, Continuum's version history, or a record of court B.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask_appbuilder import ModelRestApi

from tests.conftest import PASSWORD, api_headers, make_officer
from tests.portal.test_scope import World, scoped_views, world_for

#: Keys no API answer may hold: a password, or Continuum's history.
FORBIDDEN_KEYS = frozenset({"password", "versions", "transaction_id", "operation_type"})
#: Prefixes of the password hashes werkzeug and bcrypt write.
HASH_MARKERS = ("pbkdf2:", "scrypt:", "$2b$")
#: Item ids read per list; enough to see every kind of row, cheap to run.
ITEMS_PER_LIST = 8
_PARAMETER = re.compile(r"\{(\w+)\}")


@pytest.fixture
def world(sample_app: Flask) -> World:
    return world_for(sample_app)


@pytest.fixture
def openapi(sample_app: Flask) -> dict[str, Any]:
    """The OpenAPI document of every API, as the administrator reads it."""
    cached = sample_app.extensions.get("spkms_test_openapi")
    if cached is None:
        admin = make_officer(sample_app, "Admin")
        client = sample_app.test_client()
        response = client.get(
            "/api/v1/_openapi", headers=api_headers(client, admin.username)
        )
        assert response.status_code == 200, response.text
        cached = sample_app.extensions["spkms_test_openapi"] = response.json
    return cached


def get_paths(document: dict[str, Any]) -> list[str]:
    """Paths with a GET, lists before the items that need their ids."""
    return sorted(
        (path for path, ops in document["paths"].items() if "get" in ops),
        key=lambda path: ("{" in path, path),
    )


def problems(body: Any, court_b: int, where: str = "") -> Iterator[str]:
    """Everything in a JSON answer that must not be there, with where it is."""
    if isinstance(body, dict):
        for key, value in body.items():
            here = f"{where}.{key}"
            if key in FORBIDDEN_KEYS:
                yield f"{here}: forbidden key"
            if key in {"court_id", "court"}:
                court = value.get("id") if isinstance(value, dict) else value
                if court == court_b:
                    yield f"{here}: a record of court B"
            yield from problems(value, court_b, here)
        # _info describes a related field with the choices it offers.
        if body.get("name") in ("court", "court_id") and any(
            choice.get("id") == court_b for choice in body.get("values") or []
        ):
            yield f"{where}: offers court B"
    elif isinstance(body, list):
        for index, value in enumerate(body):
            yield from problems(value, court_b, f"{where}[{index}]")
    elif isinstance(body, str) and any(marker in body for marker in HASH_MARKERS):
        yield f"{where}: a password hash"


def test_openapi_lists_every_registered_api(
    sample_app: Flask, openapi: dict[str, Any]
) -> None:
    apis = [
        view
        for view in sample_app.appbuilder.baseviews
        if isinstance(view, ModelRestApi) and view.version == "v1"
    ]
    assert {"judge", "sealed_note", "court"} <= {api.resource_name for api in apis}
    for api in apis:
        prefix = f"/api/v1/{api.resource_name}/"
        assert any(path.startswith(prefix) for path in openapi["paths"]), prefix


def _ids_for(listed: dict[str, list[Any]], base: str) -> list[Any]:
    """Ids of the nearest list above ``base`` (``/x/`` for ``/x/{pk}/y``)."""
    above = [path for path in listed if base.startswith(path)]
    assert above, f"{base}: no list above it to take ids from"
    return listed[max(above, key=len)]


def _required_query(operation: dict[str, Any]) -> dict[str, str]:
    """A value for each required query parameter: its example, or a placeholder."""
    query: dict[str, str] = {}
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "query" or not parameter.get("required"):
            continue
        schema = parameter.get("schema", {})
        example = parameter.get("example", schema.get("example"))
        if example is None:
            example = 1 if schema.get("type") in {"integer", "number"} else "x"
        query[parameter["name"]] = str(example)
    return query


def test_every_get_endpoint_is_clean_for_an_officer_of_one_court(
    world: World, openapi: dict[str, Any]
) -> None:
    # The court B row of each scoped API is asked for by id as well.
    out_of_scope = {
        f"/api/v1/{view.resource_name}/": world.in_b[view.datamodel.obj.__tablename__]
        for view in scoped_views(world.app)
        if isinstance(view, ModelRestApi)
    }
    listed: dict[str, list[Any]] = {}
    failures: list[str] = []
    read = 0
    for template in get_paths(openapi):
        if template.endswith("/_openapi"):
            continue  # the schema document, not data (its schemas name fields)
        operation = openapi["paths"][template]["get"]
        names = _PARAMETER.findall(template)
        base = template.split("{", 1)[0]
        if not names:
            urls = [(template, 200)]
        elif names == ["version"]:
            continue
        else:
            ids = _ids_for(listed, base)
            urls = [(_PARAMETER.sub(str(pk), template), 200) for pk in ids]
            if base in out_of_scope and len(names) == 1:
                urls.append((_PARAMETER.sub(str(out_of_scope[base]), template), 404))
        query = _required_query(operation)
        for url, expected in urls:
            args = {**query, "q": "(page_size:100)"} if url == base else query
            response = world.client.get(url, query_string=args, headers=world.headers)
            status = response.status_code
            if query and not names and expected == 200:
                # Placeholder arguments may well be refused; never with a crash
                # or a permission error, and never with a leak in the answer.
                assert status not in {401, 403} and status < 500, f"GET {url}"
            else:
                assert status == expected, f"GET {url}: {response.text[:300]}"
            failures.extend(
                f"GET {url}: {found}"
                for found in problems(response.json, world.court_b)
            )
            if url == base and "ids" in response.json:
                listed[base] = response.json["ids"][:ITEMS_PER_LIST]
                if base in out_of_scope:
                    assert out_of_scope[base] not in response.json["ids"], url
            read += 1
    assert not failures, "\n".join(failures)
    assert read >= 40, f"only {read} answers read"
    for base in out_of_scope:
        assert listed.get(base), f"{base} listed nothing for court A"


def test_lists_filtered_to_another_court_are_empty(world: World) -> None:
    for view in scoped_views(world.app):
        if not isinstance(view, ModelRestApi) or "court" not in view.search_columns:
            continue
        query = f"(filters:!((col:court,opr:rel_o_m,value:{world.court_b})))"
        response = world.client.get(
            f"/api/v1/{view.resource_name}/",
            query_string={"q": query},
            headers=world.headers,
        )
        assert response.status_code == 200, response.text
        assert response.json["count"] == 0, response.json


def test_login_gives_tokens_and_no_token_gets_401(
    sample_app: Flask, world: World, openapi: dict[str, Any]
) -> None:
    client = sample_app.test_client()
    username = world.officer.username
    response = client.post(
        "/api/v1/security/login",
        json={"username": username, "password": PASSWORD, "provider": "db"},
    )
    assert response.status_code == 200, response.text
    assert response.json["access_token"]
    wrong = client.post(
        "/api/v1/security/login",
        json={"username": username, "password": "bukan-ini", "provider": "db"},
    )
    assert wrong.status_code == 401, wrong.text
    assert "access_token" not in (wrong.json or {})
    # A client with neither token nor login cookie is turned away everywhere.
    anonymous = sample_app.test_client()
    for template in get_paths(openapi):
        url = _PARAMETER.sub(lambda m: "v1" if m[1] == "version" else "1", template)
        response = anonymous.get(url)
        assert response.status_code == 401, f"GET {url}: {response.status_code}"
        assert not list(problems(response.json, world.court_b)), url
