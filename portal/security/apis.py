"""Two of FAB's security REST APIs, mended where generated inputs gave 500s.

- ``PUT /api/v1/security/users/<missing>``: FAB loads the user and uses it
  without checking it was found.
- ``POST/PUT /api/v1/security/permissions-resources/``: FAB's schema lets
  ``permission_id`` / ``view_menu_id`` be left out or point nowhere, and the
  database refuses the row.

Each override keeps FAB's decorators (authentication and permission first),
answers 404 / 400 naming the field, and otherwise hands over to FAB.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_appbuilder.security.sqla.apis import PermissionViewMenuApi, UserApi
from flask_appbuilder.security.sqla.models import Permission, ViewMenu

from portal.extensions import db


class SpkmsUserApi(UserApi):
    """FAB's user API; a missing user answers 404 on PUT."""

    @expose("/<pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def put(self, pk: Any) -> Any:
        if self.datamodel.get(pk, self._base_filters) is None:
            return self.response_404()
        return UserApi.put(self, pk)


def _bad_references(required: bool) -> dict[str, list[str]]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return {"body": ["must be a JSON object"]}
    problems: dict[str, list[str]] = {}
    for field, model in (("permission_id", Permission), ("view_menu_id", ViewMenu)):
        if field not in body:
            if required:
                problems[field] = ["is required"]
            continue
        value = body[field]
        if isinstance(value, bool) or not isinstance(value, int):
            problems[field] = ["must be an integer id"]
        elif not (0 < value < 2**31) or db.session.get(model, value) is None:
            problems[field] = [f"no {model.__tablename__} row with id {value}"]
    return problems


class SpkmsPermissionViewMenuApi(PermissionViewMenuApi):
    """FAB's permission-on-resource API; both references checked first."""

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    def post(self) -> Any:
        problems = _bad_references(required=True)
        if problems:
            return self.response_400(message=problems)
        return PermissionViewMenuApi.post(self)

    @expose("/<pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def put(self, pk: Any) -> Any:
        problems = _bad_references(required=False)
        if problems:
            return self.response_400(message=problems)
        return PermissionViewMenuApi.put(self, pk)
