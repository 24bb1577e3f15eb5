"""FAB's REST query check answers as before, checking each schema only once."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from portal.rison_schemas import _ValidatorCache
from tests.conftest import api_headers, make_officer

SCHEMA = {
    "type": "object",
    "properties": {"page": {"type": "integer"}, "page_size": {"type": "integer"}},
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    "query", [{"page": "dua"}, {"page_size": 1.5}, {"halaman": 1}, {"page": None}]
)
def test_a_bad_query_is_refused_with_jsonschemas_own_message(query: Any) -> None:
    with pytest.raises(jsonschema.ValidationError) as plain:
        jsonschema.validate(query, SCHEMA)
    with pytest.raises(jsonschema.ValidationError) as cached:
        _ValidatorCache().validate(instance=query, schema=SCHEMA)
    assert str(cached.value) == str(plain.value)


def test_a_good_query_passes_and_a_bad_schema_still_fails() -> None:
    cache = _ValidatorCache()
    cache.validate(instance={"page": 2}, schema=SCHEMA)
    with pytest.raises(jsonschema.SchemaError):
        cache.validate(instance={}, schema={"type": "angka"})


def test_the_api_checks_each_schema_once(
    app: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clerk = make_officer(app, "Clerk", ("11001",))
    headers = api_headers(client, clerk.username)
    assert client.get("/api/v1/case/", headers=headers).status_code == 200
    checked: list[Any] = []
    kind = jsonschema.validators.validator_for({})  # FAB's schemas name no draft
    real = kind.check_schema

    def counting(schema: Any, *args: Any, **kwargs: Any) -> Any:
        checked.append(schema)
        return real(schema, *args, **kwargs)

    monkeypatch.setattr(kind, "check_schema", counting)
    for _ in range(3):
        assert client.get("/api/v1/case/", headers=headers).status_code == 200
    refused = client.get("/api/v1/case/?q=(page_size:dua)", headers=headers)
    assert refused.status_code == 400
    assert "Not a valid rison schema" in refused.json["message"]
    assert checked == []
