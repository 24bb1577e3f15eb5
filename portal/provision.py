"""``spkms init``: schema, permissions, roles, service user, state profile.

Every step is idempotent, so running ``init`` again after a profile change
applies just the change, and on an unchanged profile writes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_appbuilder.security.manager import BaseSecurityManager
from sqlalchemy.orm import Session

from portal.app import spkms
from portal.extensions import db
from portal.models import Court
from portal.security.permissions import ensure_permissions
from portal.security.roles import merge_roles, sync_roles
from portal.settings import StateProfile

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InitReport:
    """What one ``init`` run changed."""

    grants_added: int
    profile_rows: int


def upgrade_schema() -> None:
    """Bring the schema to the newest revision of the host and of every plugin.

    The target is ``heads``, not ``head``: a state's own plugin may ship its
    tables as a branch of revisions, and that branch must be applied too.
    Alembic's command is called directly because Flask-Migrate's ``upgrade``
    turns a failure into a log line and ``sys.exit``; ``init`` wants the
    exception, so a failed upgrade stops before anything else is written.
    """
    from alembic import command

    from portal.migrations import alembic_config

    command.upgrade(alembic_config(), "heads")


def load_courts(profile: StateProfile, session: Session) -> int:
    """Insert or update the profile's courts; return rows written."""
    existing = {court.code: court for court in session.scalars(sa.select(Court))}
    written = 0
    for spec in profile.courts:
        values = {"name": spec.name, "level": spec.level, "district": spec.district}
        court = existing.get(spec.code)
        if court is None:
            court = Court(code=spec.code, **values)
            session.add(court)
            existing[spec.code] = court
            written += 1
        else:
            changed = {k: v for k, v in values.items() if getattr(court, k) != v}
            for key, value in changed.items():
                setattr(court, key, value)
            written += bool(changed)
    session.flush()
    for spec in profile.courts:
        parent = existing[spec.parent] if spec.parent else None
        court = existing[spec.code]
        if court.parent_id != (parent.id if parent else None):
            court.parent = parent
            written += 1
    return written


def load_profile(profile: StateProfile) -> int:
    """Courts, then every plugin's section, in one transaction."""
    session = db.session
    try:
        written = load_courts(profile, session)
        answers = spkms().hook.spkms_load_profile(profile=profile, session=session)
        written += sum(answer or 0 for answer in answers)
        if written:
            from portal.jobs import emit

            emit("profile_loaded", state=profile.key, changes=written)
        session.commit()
    except Exception:
        session.rollback()
        raise
    logger.info("state profile %s loaded: %d rows written", profile.key, written)
    return written


def sync_permissions() -> int:
    """Create FAB's permissions for every view, then the code-declared roles."""
    appbuilder = current_app.appbuilder
    sm = appbuilder.sm
    # FAB's own create_db is switched off (FAB_CREATE_DB = False: Alembic owns
    # the schema); its role-creating half is still wanted.
    BaseSecurityManager.create_db(sm)
    ensure_permissions(appbuilder)
    roles = merge_roles(spkms().hook.spkms_register_roles())
    return sync_roles(sm, roles)


def init(*, migrate_schema: bool = True) -> InitReport:
    """Run every step of ``spkms init`` in the current app context."""
    if migrate_schema:
        upgrade_schema()
    grants = sync_permissions()
    current_app.appbuilder.sm.service_user()
    rows = load_profile(spkms().profile)
    return InitReport(grants_added=grants, profile_rows=rows)
