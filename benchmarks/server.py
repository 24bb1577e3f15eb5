"""The portal as gunicorn serves it, plus the baselines the benchmarks need.

``create()`` is a gunicorn app factory (``benchmarks.server:create()``): the
real portal on the database named by ``SPKMS_DATABASE_URL``, and beside it,
in the same process,

- ``/bench/plain-cases/list/``: a plain Flask-AppBuilder ``ModelView`` of the
  case table with the same columns, page size and order as the portal's case
  list, but without the portal's court scope, access log or count override;
- ``/bench/bare-cases``: a bare Flask route that answers the same 20 rows as
  the portal's case API list, with one SQL query and ``jsonify``.

The database, Redis and the queue come from ``SPKMS_DATABASE_URL``,
``SPKMS_REDIS_URL`` and ``SPKMS_QUEUE_NAME``, as in a deployment.
``SPKMS_BENCH_VERSIONING=0`` switches Continuum off for the whole process, so
the cost of the audit trail on registration can be measured against it.
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, jsonify
from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_jwt_extended import current_user, jwt_required

PLAIN_VIEW = "PlainCaseView"
#: The roles that may open the plain list (the registrar whose screen is timed).
PLAIN_ROLES = ("Registrar", "Admin")


def grant_plain_list(app: Flask) -> None:
    """Let ``PLAIN_ROLES`` open the plain list (once, before the workers start)."""
    from portal.extensions import db

    with app.app_context():
        sm = app.appbuilder.sm
        permission = sm.add_permission_view_menu("can_list", PLAIN_VIEW)
        for name in PLAIN_ROLES:
            role = sm.find_role(name)
            if role is not None and permission not in role.permissions:
                sm.add_permission_role(role, permission)
        db.session.commit()


def create() -> Flask:
    """The portal plus the two baselines (see the module docstring)."""
    from sqlalchemy_continuum import versioning_manager

    from plugins.cases.models import Case
    from portal import create_app
    from portal.extensions import db
    from portal.security import access

    if os.environ.get("SPKMS_BENCH_VERSIONING", "1") == "0":
        versioning_manager.options["versioning"] = False
    app = create_app()  # database, Redis and queue from the environment

    class PlainCaseView(ModelView):
        """The case list as Flask-AppBuilder gives it, nothing of the portal."""

        datamodel = SQLAInterface(Case)
        route_base = "/bench/plain-cases"
        base_permissions = ["can_list"]
        list_columns = [
            "case_number",
            "court",
            "case_type",
            "title",
            "status",
            "judge",
            "registered_at",
        ]
        # The portal's search fields: FAB's default offers every relation,
        # and renders each related row (every hearing, every party) into the
        # search form of every list page, which is no fair baseline.
        search_columns = [
            "case_number",
            "legacy_number",
            "title",
            "status",
            "court",
            "case_type",
            "year",
        ]
        base_order = ("registered_at", "desc")
        page_size = 20

    with app.app_context():
        app.appbuilder.add_view_no_menu(PlainCaseView)

    @app.route("/bench/bare-cases")
    @jwt_required()
    def bare_cases() -> Any:
        """The rows of the portal's case API list page, by hand."""
        g.user = current_user
        columns = [
            Case.id,
            Case.case_number,
            Case.legacy_number,
            Case.court_id,
            Case.case_type_id,
            Case.title,
            Case.status,
            Case.judge_id,
            Case.registered_at,
            Case.registered_from_id,
            Case.confidential,
            Case.fee_due_sen,
        ]
        query = sa.select(*columns).order_by(Case.registered_at.desc()).limit(20)
        clause = access.scope_clause(Case, access.current_viewer())
        if clause is not None:
            query = query.where(clause)
        rows = [
            {column.key: value for column, value in zip(columns, row, strict=True)}
            for row in db.session.execute(query)
        ]
        for row in rows:
            row["registered_at"] = row["registered_at"].isoformat()
        return jsonify(result=rows, user=g.user.username)

    return app
