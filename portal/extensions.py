"""The process-wide extension objects: database, AppBuilder, migrations.

Continuum's ``make_versioned`` runs here, at import, because it must come
before any model class is defined; every plugin imports its base from here.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request
from flask_appbuilder import Model
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate
from sqlalchemy_continuum import make_versioned, versioning_manager
from sqlalchemy_continuum.plugins import FlaskPlugin

from portal.continuum import BatchedInsertValidity


def _current_user_id() -> int | None:
    """The officer behind this write: web login, API token (``g.user``) or a job.

    FAB's JWT login sets only ``g.user``, and jobs set it to the service user,
    so ``g.user`` is read first and Flask-Login's user second.
    """
    user = g.get("user") if _has_g() else None
    if user is None and has_request_context():
        from flask_login import current_user

        user = (
            current_user if getattr(current_user, "is_authenticated", False) else None
        )
    return getattr(user, "id", None)


def _remote_addr() -> str | None:
    """The client address as the trusted proxy reported it (see ``portal.web``)."""
    return request.remote_addr if has_request_context() else None


def _has_g() -> bool:
    from flask import has_app_context

    return has_app_context()


versioning_manager.uow_class = BatchedInsertValidity
make_versioned(
    user_cls="User",
    plugins=[
        FlaskPlugin(
            current_user_id_factory=_current_user_id, remote_addr_factory=_remote_addr
        )
    ],
)

#: One metadata for FAB's security tables and every SPKMS table.
db: Any = get_sqla_class()(model_class=Model)
migrate = Migrate()
# Each app gets its own AppBuilder (see ``portal.create_app``): its view
# registry is per app, and tests build several apps in one process.
