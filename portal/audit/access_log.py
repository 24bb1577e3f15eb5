"""Writing the access log, and the request hook that feeds it.

Reads of single records through any scoped screen or API (show, edit, get) are
logged after the response is built: a 200 is a read, a 404 for a row that does
exist is a denied attempt. Exports call ``record_access`` themselves.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, has_request_context, request

from portal.audit.models import AccessLog
from portal.extensions import db
from portal.models import utcnow

logger = logging.getLogger(__name__)

#: View methods that read or touch one record, by kind of view.
RECORD_METHODS = {"show", "edit", "delete", "get", "put"}


def _actor() -> tuple[int | None, str | None]:
    user = g.get("user")
    if user is None and has_request_context():
        from flask_login import current_user

        user = (
            current_user if getattr(current_user, "is_authenticated", False) else None
        )
    return getattr(user, "id", None), getattr(user, "username", None)


def record_access(table: str, record_id: Any, *, action: str, allowed: bool) -> None:
    """Append one entry on a connection of its own (survives a rollback)."""
    user_id, username = _actor()
    row = {
        "at": utcnow(),
        "user_id": user_id,
        "username": username,
        "remote_addr": request.remote_addr if has_request_context() else None,
        "request_id": g.get("request_id") if has_request_context() else None,
        "action": action,
        "allowed": allowed,
        "table_name": table,
        "record_id": None if record_id is None else str(record_id),
        "endpoint": request.endpoint if has_request_context() else None,
    }
    with db.engine.begin() as connection:
        connection.execute(sa.insert(AccessLog).values(**row))


def _view_for_endpoint(endpoint: str | None) -> tuple[Any, str] | None:
    if not endpoint or "." not in endpoint:
        return None
    blueprint, method = endpoint.rsplit(".", 1)
    if method not in RECORD_METHODS:
        return None
    views = current_app.extensions.get("spkms_views_by_name")
    if views is None:
        views = {type(v).__name__: v for v in current_app.appbuilder.baseviews}
        current_app.extensions["spkms_views_by_name"] = views
    view = views.get(blueprint)
    if view is None or getattr(view, "datamodel", None) is None:
        return None
    return view, method


def _log_record_access(response: Response) -> Response:
    from portal.security import access

    found = _view_for_endpoint(request.endpoint)
    pk = (request.view_args or {}).get("pk")
    if found is None or pk is None:
        return response
    view, method = found
    model = view.datamodel.obj
    if not access.is_scoped(model):
        return response
    table = model.__tablename__
    action = "read" if method in {"show", "get"} else method
    if response.status_code == 404:
        exists = db.session.get(model, pk) is not None
        if exists:
            logger.warning(
                "out-of-scope attempt: user=%s %s %s=%s", _actor()[0], action, table, pk
            )
            record_access(table, pk, action=action, allowed=False)
    elif response.status_code < 400 and request.method == "GET":
        record_access(table, pk, action=action, allowed=True)
    return response


def init_app(app: Flask) -> None:
    """Log every single-record read and denied attempt of scoped views."""
    app.after_request(_log_record_access)
