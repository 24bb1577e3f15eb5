"""FAB's security REST APIs, answering 404 for a record that does not exist.

FAB's user API loads the record and uses it without checking it was found, so
``PUT /api/v1/security/users/<missing>`` ended in a server error; the
generated-input tests found it. A before-request hook answers 404 first.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_appbuilder.hooks import before_request
from flask_appbuilder.security.sqla.apis import GroupApi, RoleApi, UserApi


class _RecordMustExist:
    """Answer 404 before an item method runs on a record that is not there."""

    datamodel: Any
    _base_filters: Any

    @before_request(only=["put", "delete", "get"])
    def _missing_record(self) -> Any:
        pk = (request.view_args or {}).get("pk")
        if pk is None:
            return None
        if self.datamodel.get(pk, self._base_filters) is None:
            return self.response_404()  # type: ignore[attr-defined]
        return None


class SpkmsUserApi(_RecordMustExist, UserApi):
    """FAB's user API, with the 404 check."""


class SpkmsRoleApi(_RecordMustExist, RoleApi):
    """FAB's role API, with the 404 check."""


class SpkmsGroupApi(_RecordMustExist, GroupApi):
    """FAB's group API, with the 404 check."""
