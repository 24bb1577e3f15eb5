"""Writing the access log, and the request hook that feeds it.

Reads of single records through any scoped screen or API (show, edit, get) are
logged after the response is built: a 200 is a read, a 404 for a row that does
exist is a denied attempt. Exports call ``record_access`` themselves.

Entries are held on ``g`` and written when the app context ends (the end of a
request or of a job), on a connection of their own and after the context's
session has let go of the database: on SQLite every transaction takes the
write lock at ``BEGIN``, so writing while the request still holds its session
would wait for the request itself. Written apart from the caller's
transaction, an entry survives its rollback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy.exc import SQLAlchemyError

from portal.audit import chain
from portal.extensions import db
from portal.models import utcnow

logger = logging.getLogger(__name__)

#: View methods that read or touch one record, by kind of view.
RECORD_METHODS = {"show", "edit", "delete", "get", "put"}

#: ``g`` keys: entries waiting for the end of the context, and what they cover.
_PENDING = "spkms_access_pending"
_LOGGED = "spkms_access_logged"


@dataclass(frozen=True)
class _Entry:
    """An access log row waiting to be written.

    ``if_exists_in`` makes it conditional: a 404 is a denied attempt only when
    the record exists, which is asked at writing time, on the log's own
    connection.
    """

    row: dict[str, Any]
    if_exists_in: type | None = None


def _actor() -> tuple[int | None, str | None]:
    user = g.get("user")
    if user is None and has_request_context():
        from flask_login import current_user

        user = (
            current_user if getattr(current_user, "is_authenticated", False) else None
        )
    return getattr(user, "id", None), getattr(user, "username", None)


def _row(
    table: str,
    record_id: Any,
    action: str,
    allowed: bool,
    *,
    detail: str | None = None,
    actor: tuple[int | None, str | None] | None = None,
) -> dict[str, Any]:
    user_id, username = actor or _actor()
    in_request = has_request_context()
    return {
        "at": utcnow(),
        "user_id": user_id,
        "username": username,
        "remote_addr": request.remote_addr if in_request else None,
        "request_id": g.get("request_id") if in_request else None,
        "action": action,
        "allowed": allowed,
        "table_name": table,
        "record_id": None if record_id is None else str(record_id),
        "endpoint": request.endpoint if in_request else None,
        "detail": detail[:500] if detail else None,
    }


def _hold(entry: _Entry) -> None:
    g.setdefault(_PENDING, []).append(entry)
    row = entry.row
    g.setdefault(_LOGGED, set()).add(
        (row["table_name"], row["record_id"], row["allowed"])
    )


def record_access(table: str, record_id: Any, *, action: str, allowed: bool) -> None:
    """Log one read, export or denied attempt when the app context ends."""
    _hold(_Entry(_row(table, record_id, action, allowed)))


def record_security_event(
    action: str,
    *,
    user_id: int | None,
    username: str | None,
    allowed: bool,
    detail: str | None = None,
) -> None:
    """Log a login, logout, refused login or refused certificate.

    The person is named explicitly: at a failed login nobody is logged in, and
    at a logout the user is already gone from the request.
    """
    row = _row(
        "ab_user",
        user_id,
        action,
        allowed,
        detail=detail,
        actor=(user_id, username[:100] if username else None),
    )
    _hold(_Entry(row))
    log = logger.info if allowed else logger.warning
    log("security event: %s user=%s id=%s %s", action, username, user_id, detail or "")


def _exists(connection: sa.Connection, model: type, pk: Any) -> bool:
    """True when row ``pk`` of ``model`` exists, whoever may see it.

    A key that is not even of the primary key's type, or an integer beyond
    64 bits, names no row (asking PostgreSQL would fail the transaction, and
    SQLite cannot even bind the number).
    """
    columns = sa.inspect(model).primary_key
    if len(columns) != 1:
        return False
    column = columns[0]
    try:
        key = column.type.python_type(pk)
    except (NotImplementedError, TypeError, ValueError):
        return False
    if isinstance(key, int) and not -(2**63) <= key < 2**63:
        return False
    statement = sa.select(sa.literal(1)).select_from(model).where(column == key)
    return connection.execute(statement).first() is not None


def write_pending(_exc: BaseException | None = None) -> None:
    """Write the entries held in this app context (``teardown_appcontext``)."""
    pending: list[_Entry] = g.pop(_PENDING, None) or []
    g.pop(_LOGGED, None)
    if not pending:
        return
    # Flask-SQLAlchemy removes the session right after this; doing it first
    # releases SQLite's write lock for the log's own connection.
    db.session.remove()
    rows: list[dict[str, Any]] = []  # the entries that stand, checked
    try:
        with db.engine.begin() as connection:
            for entry in pending:
                model = entry.if_exists_in
                row = entry.row
                if model is not None:
                    if not _exists(connection, model, row["record_id"]):
                        continue
                    logger.warning(
                        "out-of-scope attempt: user=%s %s %s=%s",
                        row["user_id"],
                        row["action"],
                        row["table_name"],
                        row["record_id"],
                    )
                rows.append(row)
            if rows:
                chain.append(connection, rows)
    except SQLAlchemyError:
        # The response has gone out; keep every entry in the log for support.
        held = [entry.row for entry in pending]
        logger.exception("access log not written, %d entries: %r", len(held), held)


def _view_for_endpoint(endpoint: str | None) -> tuple[Any, str] | None:
    if not endpoint or "." not in endpoint:
        return None
    blueprint, method = endpoint.rsplit(".", 1)
    if method not in RECORD_METHODS:
        return None
    views = current_app.extensions.get("spkms_views_by_name")
    if views is None:
        # Keyed by blueprint name: that is what ``request.endpoint`` carries.
        views = {
            v.blueprint.name: v
            for v in current_app.appbuilder.baseviews
            if getattr(v, "blueprint", None) is not None
        }
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
        if (table, str(pk), False) in g.get(_LOGGED, ()):
            return response  # the access check logged this denial already
        _hold(_Entry(_row(table, pk, action, False), if_exists_in=model))
    elif response.status_code < 400 and request.method == "GET":
        record_access(table, pk, action=action, allowed=True)
    return response


def init_app(app: Flask) -> None:
    """Log every single-record read and denied attempt of scoped views."""
    app.after_request(_log_record_access)
    app.teardown_appcontext(write_pending)
