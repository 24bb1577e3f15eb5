"""Reading the version history Continuum keeps, and restoring deleted rows.

Continuum writes one version row per change with the transaction that made it;
the transaction carries the user and client address (see ``portal.extensions``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy_continuum import version_class, versioning_manager

from portal.extensions import db

logger = logging.getLogger(__name__)

OPERATIONS = {0: "tambah", 1: "ubah", 2: "padam"}


@dataclass(frozen=True)
class Change:
    """One versioned change, flattened for screens and CSV."""

    table: str
    record_id: Any
    operation: str
    transaction_id: int
    issued_at: datetime | None
    user_id: int | None
    username: str | None
    remote_addr: str | None
    values: dict[str, Any]


def versioned_models() -> dict[str, type]:
    """Every versioned model of this app's enabled plugins, by table name.

    Continuum's own map holds every model imported in the process, including
    those of plugins this app did not enable; the app's list is the truth.
    """
    from portal.app import spkms

    enabled = set(spkms().models)
    return {
        model.__tablename__: model
        for model in versioning_manager.version_class_map
        if model in enabled
    }


def changes(
    *,
    table: str | None = None,
    record_id: str | None = None,
    user_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 500,
) -> list[Change]:
    """The newest changes across versioned tables, filtered, newest first."""
    from flask_appbuilder.security.sqla.models import User

    transaction_cls = versioning_manager.transaction_cls
    found: list[Change] = []
    models = versioned_models()
    for name, model in sorted(models.items()):
        if table and name != table:
            continue
        version = version_class(model)
        columns = [c.key for c in sa.inspect(model).column_attrs]
        query = (
            sa.select(version, transaction_cls, User.username)
            .join(transaction_cls, version.transaction_id == transaction_cls.id)
            .outerjoin(User, User.id == transaction_cls.user_id)
            .order_by(version.transaction_id.desc())
            .limit(limit)
        )
        if record_id:
            query = query.where(version.id == int(record_id))
        if user_id:
            query = query.where(transaction_cls.user_id == user_id)
        if since:
            query = query.where(transaction_cls.issued_at >= since)
        if until:
            query = query.where(transaction_cls.issued_at < until)
        for row, transaction, username in db.session.execute(query):
            found.append(
                Change(
                    table=name,
                    record_id=row.id,
                    operation=OPERATIONS.get(
                        row.operation_type, str(row.operation_type)
                    ),
                    transaction_id=transaction.id,
                    issued_at=transaction.issued_at,
                    user_id=transaction.user_id,
                    username=username,
                    remote_addr=transaction.remote_addr,
                    values={c: getattr(row, c, None) for c in columns},
                )
            )
    found.sort(key=lambda c: c.transaction_id, reverse=True)
    return found[:limit]


class NotRestorable(ValueError):
    """The record is not deleted, or no earlier version exists."""


def restore(table: str, record_id: int) -> Any:
    """Bring back a deleted row as its last version before the delete.

    The restore is itself a change in the trail (an insert by the restoring
    user), so the history shows the delete and the restore.
    """
    model = versioned_models().get(table)
    if model is None:
        raise NotRestorable(f"table: {table!r} is not versioned")
    if db.session.get(model, record_id) is not None:
        raise NotRestorable(f"record_id: {table} {record_id} is not deleted")
    version = version_class(model)
    last = db.session.scalars(
        sa.select(version)
        .where(version.id == record_id, version.operation_type != 2)
        .order_by(version.transaction_id.desc())
        .limit(1)
    ).first()
    if last is None:
        raise NotRestorable(f"record_id: no earlier version of {table} {record_id}")
    columns = [c.key for c in sa.inspect(model).column_attrs]
    restored = model(**{c: getattr(last, c) for c in columns})
    db.session.add(restored)
    db.session.commit()
    logger.info(
        "record restored: %s id=%s from transaction %s",
        table,
        record_id,
        last.transaction_id,
    )
    return restored
