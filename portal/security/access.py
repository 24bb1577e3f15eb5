"""The one access check: court scope and confidentiality for every record.

Screens, the REST API, exports, searches and jobs all ask here; nothing else
filters records by court. An out-of-scope record is reported as *not found*
(``OutOfScope`` becomes a 404 with no hint that it exists), and each denied
attempt is written to the access log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_request_context

from portal.extensions import db
from portal.models import Confidential, CourtOwned, OfficerCourt

logger = logging.getLogger(__name__)

REGISTRAR_ROLES = frozenset({"Registrar"})


class OutOfScope(LookupError):
    """The record does not exist for this viewer (it may exist for others)."""

    def __init__(self, table: str, record_id: Any) -> None:
        self.table = table
        self.record_id = record_id
        super().__init__(f"{table} {record_id} not found")


@dataclass(frozen=True)
class Viewer:
    """What the access check needs to know about the person asking."""

    user_id: int | None
    court_ids: frozenset[int]
    registrar_court_ids: frozenset[int]
    statewide: bool

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None


ANONYMOUS = Viewer(None, frozenset(), frozenset(), statewide=False)


def viewer_for(user: Any) -> Viewer:
    """Build the viewer for a FAB user (or ``None`` for an anonymous visitor)."""
    if user is None or not getattr(user, "id", None):
        return ANONYMOUS
    role_names = {role.name for role in getattr(user, "roles", [])}
    statewide = bool(role_names & set(current_app.config["SPKMS_STATEWIDE_ROLES"]))
    court_ids = frozenset(
        db.session.scalars(
            sa.select(OfficerCourt.court_id).where(OfficerCourt.user_id == user.id)
        )
    )
    registrar_courts = court_ids if role_names & REGISTRAR_ROLES else frozenset()
    return Viewer(user.id, court_ids, registrar_courts, statewide)


def current_viewer() -> Viewer:
    """The viewer of this request or job, cached on ``g`` for the request."""
    cached = g.get("spkms_viewer")
    user = g.get("user")
    if user is None and has_request_context():
        from flask_login import current_user

        user = (
            current_user if getattr(current_user, "is_authenticated", False) else None
        )
    if cached is not None and cached.user_id == getattr(user, "id", None):
        return cached
    viewer = viewer_for(user)
    g.spkms_viewer = viewer
    return viewer


def is_scoped(model: type) -> bool:
    """True when the access check narrows queries on ``model``."""
    return issubclass(model, (CourtOwned, Confidential)) or any(
        hasattr(model, name) for name in ("court_scope", "scope_parent")
    )


def scope_clause(model: type, viewer: Viewer) -> sa.ColumnElement[bool] | None:
    """The SQL condition that keeps only rows ``viewer`` may see, or ``None``.

    ``None`` means the table is not court-owned. Anonymous viewers see no
    scoped row at all; the public pages ask their own services, never this.
    """
    if not is_scoped(model):
        return None
    if viewer.is_anonymous:
        return sa.false()
    if hasattr(model, "scope_parent"):
        # A row owned through another (a hearing through its case) is visible
        # exactly when its owner is.
        foreign_key, parent = model.scope_parent()
        parent_key = sa.inspect(parent).primary_key[0]
        parent_clause = scope_clause(parent, viewer)
        return foreign_key.in_(sa.select(parent_key).where(parent_clause))
    conditions: list[sa.ColumnElement[bool]] = []
    if hasattr(model, "court_scope") and not viewer.statewide:
        conditions.append(model.court_scope(viewer.court_ids))
    if issubclass(model, Confidential):
        conditions.append(model.confidential_scope(viewer))
    return sa.and_(sa.true(), *conditions)


def scoped(statement: Any, model: type, viewer: Viewer | None = None) -> Any:
    """Narrow a ``select()`` or legacy ``Query`` on ``model`` to what may be seen."""
    clause = scope_clause(model, viewer or current_viewer())
    if clause is None:
        return statement
    return statement.filter(clause)


def may_see(record: Any, viewer: Viewer | None = None) -> bool:
    """True when ``viewer`` may read ``record`` (asked of the database)."""
    model = type(record)
    clause = scope_clause(model, viewer or current_viewer())
    if clause is None:
        return True
    pk = sa.inspect(model).primary_key[0]
    found = db.session.scalar(
        sa.select(sa.literal(1)).select_from(model).where(pk == record.id, clause)
    )
    return found is not None


def check(record: Any, viewer: Viewer | None = None, *, action: str = "read") -> None:
    """Raise ``OutOfScope`` unless ``viewer`` may see ``record``; log the denial."""
    viewer = viewer or current_viewer()
    if may_see(record, viewer):
        return
    deny(type(record).__tablename__, record.id, viewer, action=action)


def deny(table: str, record_id: Any, viewer: Viewer, *, action: str) -> None:
    """Record a denied attempt and raise ``OutOfScope``."""
    from portal.audit.access_log import record_access

    logger.warning(
        "access denied: user=%s %s %s=%s", viewer.user_id, action, table, record_id
    )
    record_access(table, record_id, action=action, allowed=False)
    raise OutOfScope(table, record_id)


def allowed_court_ids(viewer: Viewer | None = None) -> frozenset[int] | None:
    """Courts the viewer may work in, or ``None`` for every court of the state."""
    viewer = viewer or current_viewer()
    return None if viewer.statewide else viewer.court_ids
