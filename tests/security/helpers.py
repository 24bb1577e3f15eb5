"""Small helpers shared by the security tests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, g

from portal.audit.models import AccessLog
from portal.extensions import db
from portal.security import registry
from portal.security.pki import Issued


def register(app: Flask, user: Any, issued: Issued) -> int:
    """Register ``issued`` to ``user`` as the administrator would; return its id."""
    with app.app_context():
        g.user = app.appbuilder.sm.service_user()
        return registry.register(user.id, issued.cert.read_text()).id


def security_events(app: Flask, **where: Any) -> list[AccessLog]:
    """Access log rows of table ab_user matching ``where``, oldest first."""
    with app.app_context():
        query = sa.select(AccessLog).where(AccessLog.table_name == "ab_user")
        for column, value in where.items():
            query = query.where(getattr(AccessLog, column) == value)
        rows = list(db.session.scalars(query.order_by(AccessLog.id)))
        for row in rows:
            db.session.expunge(row)
        return rows
