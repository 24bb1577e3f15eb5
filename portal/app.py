"""``create_app``: configuration, plugins, database, AppBuilder, jobs, in order.

Start-up fails fast: a wrong setting raises ``ConfigError`` naming it before
any request is served.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy
import sqlalchemy as sa
from flask import Flask, current_app
from flask_appbuilder import AppBuilder
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import configure_mappers

from portal import database, reminders, rison_schemas
from portal.extensions import db, migrate
from portal.migrations import with_plugin_branches
from portal.plugins import PluginInfo, build_manager
from portal.settings import ConfigError, StateProfile, configure

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
INSTANCE_DIR = Path(__file__).parent.parent / "instance"


@dataclass
class Spkms:
    """Per-app state the host keeps in ``app.extensions['spkms']``."""

    profile: StateProfile
    plugin_manager: pluggy.PluginManager
    plugins: list[PluginInfo]
    models: list[type] = field(default_factory=list)

    @property
    def hook(self) -> Any:
        return self.plugin_manager.hook


def spkms() -> Spkms:
    """The running app's SPKMS state."""
    return current_app.extensions["spkms"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the portal: defaults, state profile, env vars, then ``config``."""
    app = Flask("portal", instance_path=str(INSTANCE_DIR))
    rison_schemas.install()
    profile = configure(app, config)
    manager, plugins = build_manager(profile)
    state = Spkms(profile=profile, plugin_manager=manager, plugins=plugins)
    app.extensions["spkms"] = state

    state.models = _collect_models(manager)
    reminders.init_app(app)
    db.init_app(app)
    with app.app_context():
        database.configure_engine(db.engine)
    _check_database(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    if with_plugin_branches not in migrate.configure_callbacks:
        migrate.configure(with_plugin_branches)

    from portal import audit, health, i18n, jobs, metrics, notifications, web

    # Every form POST (FAB's deletes included) is checked; FAB exempts its
    # token-authenticated APIs when it registers them, so this comes first.
    CSRFProtect(app)
    i18n.configure(app)
    with app.app_context():
        appbuilder = AppBuilder(
            update_perms=False, security_manager_class=_security_manager_class()
        )
        appbuilder.init_app(app, db.session)
        from portal import views as host_views

        host_views.register(appbuilder)
        audit.register_views(appbuilder)
        notifications.register_views(appbuilder)
        manager.hook.spkms_register_views(appbuilder=appbuilder)
    i18n.init_app(app)
    web.init_app(app)
    audit.init_app(app)
    from portal.security import certlogin, hardening

    hardening.init_app(app)
    certlogin.init_app(app)
    jobs.init_app(app)
    health.init_app(app)
    metrics.init_app(app)
    logger.info(
        "SPKMS ready: state=%s plugins=%s database=%s",
        profile.key,
        ",".join(p.name for p in plugins),
        sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(),
    )
    return app


def _security_manager_class() -> type:
    from portal.security.manager import SpkmsSecurityManager

    return SpkmsSecurityManager


def _collect_models(manager: pluggy.PluginManager) -> list[type]:
    """Import every model, host's and plugins', then let Continuum finish."""
    from portal import models
    from portal.audit import models as audit_models
    from portal.i18n import UserPreference
    from portal.jobs import models as job_models
    from portal.notifications import Notification, NotificationDelivery
    from portal.security import models as security_models

    collected: list[type] = [
        models.Court,
        models.OfficerCourt,
        models.Judge,
        models.AccessGrant,
        audit_models.AccessLog,
        audit_models.AuditChainHead,
        security_models.OfficerIdentity,
        security_models.OfficerCertificate,
        job_models.OutboxJob,
        Notification,
        NotificationDelivery,
        UserPreference,
    ]
    for answer in manager.hook.spkms_register_models():
        collected.extend(answer or [])
    configure_mappers()
    return collected


def _check_database(app: Flask) -> None:
    """Connect once so a wrong URL stops start-up with one clear line."""
    try:
        with app.app_context(), db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:
        url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        raise ConfigError(
            "SPKMS_DATABASE_URL",
            f"cannot connect to {url.render_as_string(hide_password=True)}: {reason}",
        ) from exc
