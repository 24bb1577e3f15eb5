"""REST API of parties and lawyers, with exact lookup and ranked name search.

Columns are declared for every answer: the models' relationships lead to
users and to Continuum's version history, which no answer may carry.
Writes go through the same service checks as the screens; a refusal is a
422 naming the field and the rule.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import request
from flask_appbuilder import ModelRestApi
from flask_appbuilder.api import expose, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name, protect
from werkzeug.wrappers import Response

from plugins.parties import search, services
from plugins.parties.identity import MYKAD
from plugins.parties.models import Lawyer, Party
from plugins.parties.views import PARTY_EDITABLE, keying_court_id
from portal.extensions import db

logger = logging.getLogger(__name__)

#: What every party answer holds: the profile, never users or versions.
PARTY_COLUMNS = [
    "id",
    *PARTY_EDITABLE,
    "keyed_at_court_id",
    "merged_into_id",
    "created_at",
    "changed_at",
]
LAWYER_COLUMNS = [
    "id",
    "name",
    "certificate_number",
    "firm",
    "address",
    "phone",
    "email",
    "active",
]


class _ServiceCheckedApi(ModelRestApi):
    """Turns a service refusal during POST or PUT into a 422, writing nothing."""

    def post_headless(self) -> Response:
        try:
            return super().post_headless()
        except services.PartyError as exc:
            db.session.rollback()
            return self.response_422(message={exc.field: [exc.rule]})

    def put_headless(self, pk: Any) -> Response:
        try:
            return super().put_headless(pk)
        except services.PartyError as exc:
            db.session.rollback()
            return self.response_422(message={exc.field: [exc.rule]})


class PartyApi(_ServiceCheckedApi):
    """Party profiles: list, read, add and change; look up and search."""

    resource_name = "party"
    datamodel = SQLAInterface(Party)
    allow_browser_login = True
    include_route_methods = {
        "get",
        "get_list",
        "info",
        "post",
        "put",
        "lookup",
        "search",
    }
    list_columns = show_columns = PARTY_COLUMNS
    add_columns = edit_columns = PARTY_EDITABLE
    search_columns = ["full_name", "identity_type", "identity_number", "nationality"]
    order_columns = ["full_name", "birth_date", "created_at"]
    openapi_spec_tag = "Pihak"

    def pre_add(self, item: Party) -> None:
        if item.keyed_at_court_id is None:
            item.keyed_at_court_id = keying_court_id()
        services.accept_party(item)

    def pre_update(self, item: Party) -> None:
        services.accept_party(item)

    def _dump(self, party: Party) -> dict[str, Any]:
        return self.show_model_schema.dump(party, many=False)

    @expose("/lookup", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def lookup(self) -> Response:
        """The profile holding an identity number (exact).
        ---
        get:
          summary: Find a party by identity number
          description: >-
            The number is canonicalised first (a MyKad may carry dashes and
            spaces); a merged profile answers with its survivor.
          parameters:
          - in: query
            name: number
            required: true
            schema:
              type: string
          - in: query
            name: identity_type
            schema:
              type: string
              enum: [mykad, old_ic, police, army, passport]
              default: mykad
          - in: query
            name: nationality
            description: ISO 3166 alpha-3; required with a passport
            schema:
              type: string
          responses:
            200:
              description: The profile
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      result:
                        $ref: '#/components/schemas/{{self.__class__.__name__}}.get'
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        number = request.args.get("number") or ""
        if not number.strip():
            return self.response_422(message={"number": ["is required"]})
        try:
            party = services.find_by_identity(
                request.args.get("identity_type") or MYKAD,
                number,
                request.args.get("nationality"),
            )
        except services.PartyError as exc:
            return self.response_422(message={exc.field: [exc.rule]})
        if party is None:
            return self.response_404()
        return self.response(200, id=party.id, result=self._dump(party))

    @expose("/search", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def search(self) -> Response:
        """Profiles ranked by how closely their name matches (fuzzy).
        ---
        get:
          summary: Search parties by name, best match first
          description: >-
            Malay naming is seen through (bin/binti, Mohd/Muhammad, Abd/Abdul,
            spacing, case and punctuation); merged profiles are left out.
          parameters:
          - in: query
            name: q
            required: true
            schema:
              type: string
          - in: query
            name: limit
            schema:
              type: integer
              default: 20
              maximum: 100
          - in: query
            name: min_score
            schema:
              type: number
              default: 0.3
          responses:
            200:
              description: Ranked profiles with their scores (0 to 1)
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      count:
                        type: integer
                      result:
                        type: array
                        items:
                          type: object
                          properties:
                            score:
                              type: number
                            party:
                              $ref: '#/components/schemas/PartyApi.get'
            401:
              $ref: '#/components/responses/401'
            422:
              $ref: '#/components/responses/422'
        """
        text = (request.args.get("q") or "").strip()
        if not search.name_key(text):
            return self.response_422(message={"q": ["must contain a name"]})
        try:
            limit = int(request.args.get("limit", search.DEFAULT_LIMIT))
            if not 1 <= limit <= search.MAX_LIMIT:
                raise ValueError
        except ValueError:
            return self.response_422(
                message={"limit": [f"must be a whole number 1 to {search.MAX_LIMIT}"]}
            )
        try:
            min_score = float(request.args.get("min_score", search.DEFAULT_MIN_SCORE))
            if not 0.0 <= min_score <= 1.0:
                raise ValueError
        except ValueError:
            return self.response_422(message={"min_score": ["must be 0 to 1"]})
        matches = services.search_by_name(text, limit=limit, min_score=min_score)
        return self.response(
            200,
            count=len(matches),
            result=[
                {"score": match.score, "party": self._dump(match.party)}
                for match in matches
            ],
        )


class LawyerApi(_ServiceCheckedApi):
    """Syariah lawyers: list, read, add and change."""

    resource_name = "lawyer"
    datamodel = SQLAInterface(Lawyer)
    allow_browser_login = True
    include_route_methods = {"get", "get_list", "info", "post", "put"}
    list_columns = show_columns = LAWYER_COLUMNS
    add_columns = edit_columns = LAWYER_COLUMNS[1:]
    search_columns = ["name", "certificate_number", "firm", "active"]
    openapi_spec_tag = "Pihak"

    def pre_add(self, item: Lawyer) -> None:
        services.accept_lawyer(item)

    def pre_update(self, item: Lawyer) -> None:
        services.accept_lawyer(item)
