"""Flask-AppBuilder's REST query check, without re-checking its schemas.

Every REST list, item and info call passes its ``?q=`` argument (Rison)
through ``jsonschema.validate``, which first validates the *schema itself*
against the JSON Schema metaschema and only then the query. FAB's schemas
are fixed when the app starts, yet that metaschema check ran on every
request and took about 40 % of a 20-row case list (measured with py-spy:
19 ms a request, the portal's JSON list at 3 times a bare Flask route).

``install`` gives FAB's API module a stand-in for ``jsonschema`` whose
``validate`` checks each schema once, keeps a validator for it, and reports
the same error ``jsonschema.validate`` would (its best match), so FAB's 400
answers read as before. Everything else is jsonschema's own.
"""

from __future__ import annotations

import threading
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match


class _ValidatorCache:
    """The parts of the ``jsonschema`` module FAB's API uses, with a cache."""

    ValidationError = jsonschema.ValidationError

    def __init__(self) -> None:
        # Keyed by id(); the schema is kept in the entry so the id stays its own.
        self._validators: dict[int, tuple[Any, Any]] = {}
        self._lock = threading.Lock()

    def _validator_for(self, schema: Any) -> Any:
        entry = self._validators.get(id(schema))
        if entry is None or entry[0] is not schema:
            kind = jsonschema.validators.validator_for(schema)
            kind.check_schema(schema)
            entry = (schema, kind(schema))
            with self._lock:
                self._validators[id(schema)] = entry
        return entry[1]

    def validate(self, instance: Any, schema: Any, *args: Any, **kwargs: Any) -> None:
        """``jsonschema.validate`` with the schema checked only the first time."""
        if args or kwargs:
            jsonschema.validate(instance, schema, *args, **kwargs)
            return
        error = best_match(self._validator_for(schema).iter_errors(instance))
        if error is not None:
            raise error

    def __getattr__(self, name: str) -> Any:
        return getattr(jsonschema, name)


def install() -> None:
    """Point FAB's API module at the cached validation (idempotent)."""
    import flask_appbuilder.api as fab_api

    if not isinstance(fab_api.jsonschema, _ValidatorCache):
        fab_api.jsonschema = _ValidatorCache()  # type: ignore[assignment]
