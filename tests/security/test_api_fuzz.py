"""Generated bad inputs against every operation of the OpenAPI document, and
markup in text fields, on a portal of its own (the fuzzing may change rows).

Inputs are drawn by hypothesis from the document itself: path parameters,
query parameters and JSON bodies with the schema's own field names and
values of every wrong kind. No answer may be a server error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal import create_app
from portal.extensions import db
from tests.conftest import api_headers, app_settings, initialise, login, make_officer
from tests.databases import drop_database, fresh_database_url

#: Examples per backend: enough to reach every operation a few times within
#: a few seconds of the suite's budget.
EXAMPLES = 150

MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SQL = "'; DROP TABLE court; --"

junk_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [MARKUP, SQL, "\x00", "9" * 40, "-1", "1e309", "NaN", "../../etc", "%00"]
    ),
)
junk_scalar = st.one_of(
    junk_text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
junk_value = st.recursive(
    junk_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=8), inner, max_size=3),
    ),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def fuzz_app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = fresh_database_url(backend, tmp_path_factory.mktemp(f"fuzz-{backend}"))
    application = create_app(app_settings(url))
    initialise(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    drop_database(url)


@pytest.fixture(scope="module")
def admin_headers(fuzz_app: Flask) -> dict[str, str]:
    admin = make_officer(fuzz_app, "Admin")
    return api_headers(fuzz_app.test_client(), admin.username)


@pytest.fixture(scope="module")
def operations(fuzz_app: Flask, admin_headers: dict[str, str]) -> list[dict[str, Any]]:
    response = fuzz_app.test_client().get("/api/v1/_openapi", headers=admin_headers)
    assert response.status_code == 200
    spec = response.json
    found = []
    for path, item in spec["paths"].items():
        if "{version}" in path or path.endswith("/security/login"):
            continue
        for method, operation in item.items():
            if method not in {"get", "post", "put", "delete", "patch"}:
                continue
            found.append(
                {
                    "path": path,
                    "method": method,
                    "query": [
                        p["name"]
                        for p in operation.get("parameters", [])
                        if p.get("in") == "query"
                    ],
                    "fields": _body_fields(spec, operation),
                }
            )
    assert len(found) > 30
    return found


def _body_fields(spec: dict[str, Any], operation: dict[str, Any]) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref:
        schema = spec["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
    return sorted(schema.get("properties", {}))


@st.composite
def requests_for(draw: st.DrawFn, operations: list[dict[str, Any]]) -> dict[str, Any]:
    operation = draw(st.sampled_from(operations))
    path = re.sub(
        r"\{[^}]+\}",
        lambda _m: quote(str(draw(st.one_of(st.integers(-5, 10**12), junk_text))), ""),
        operation["path"],
    )
    query = {
        name: str(draw(junk_value))
        for name in operation["query"]
        if draw(st.booleans())
    }
    body = None
    if operation["method"] in {"post", "put", "patch"}:
        fields = operation["fields"] or ["name"]
        body = draw(
            st.dictionaries(
                st.one_of(st.sampled_from(fields), st.text(max_size=6)),
                junk_value,
                max_size=len(fields) + 1,
            )
        )
    return {"method": operation["method"], "path": path, "query": query, "body": body}


def test_generated_bad_inputs_never_cause_a_server_error(
    fuzz_app: Flask, admin_headers: dict[str, str], operations: list[dict[str, Any]]
) -> None:
    client = fuzz_app.test_client()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(requests_for(operations))
    def check(call: dict[str, Any]) -> None:
        response = client.open(
            call["path"],
            method=call["method"].upper(),
            query_string=call["query"],
            data=None
            if call["body"] is None
            else json.dumps(call["body"], default=str),
            content_type="application/json",
            headers=admin_headers,
        )
        assert response.status_code < 500, (call, response.text[:500])

    check()


def test_markup_and_sql_in_text_fields_stay_inert(
    fuzz_app: Flask, admin_headers: dict[str, str]
) -> None:
    client = fuzz_app.test_client()
    created = client.post(
        "/api/v1/lawyer/",
        json={"name": MARKUP + SQL, "firm": SQL, "certificate_number": "PS/1/2026"},
        headers=admin_headers,
    )
    assert created.status_code < 500, created.text
    screens = fuzz_app.test_client()
    admin = make_officer(fuzz_app, "Admin")
    login(screens, admin.username)
    for path in ("/lawyers/list/", "/courts/list/", "/audit/access/list/"):
        page = screens.get(path)
        assert page.status_code in (200, 404), (path, page.status_code)
        assert "<script>alert" not in page.text
        assert "onerror=alert" not in page.text or "&lt;img" in page.text
    if created.status_code == 201:
        listed = screens.get("/lawyers/list/")
        assert "&lt;script&gt;" in listed.text
    with fuzz_app.app_context():
        assert db.session.execute(db.text("SELECT count(*) FROM court")).scalar()
