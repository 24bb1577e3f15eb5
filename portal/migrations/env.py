"""Alembic environment of the SPKMS schema, run by ``spkms db ...`` and ``spkms init``.

It runs inside the app that ``create_app`` built, whose one metadata already
holds FAB's ``ab_*`` tables, Continuum's ``transaction`` and ``*_version``
tables and every enabled plugin's tables, so autogenerate compares against the
whole schema. The app's own engine is used: on PostgreSQL a URL with
``options=-csearch_path=...`` puts the tables and ``alembic_version`` in that
schema, because nothing here names a schema.
"""

from __future__ import annotations

import logging
from typing import Any

from alembic import context
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from flask import current_app

# Alembic loads this file under a made-up module name, so the name is spelled out.
logger = logging.getLogger("portal.migrations.env")

config = context.config
migrate_state = current_app.extensions["migrate"]
target_metadata = migrate_state.db.metadata


def _skip_empty_autogenerate(
    migration_context: MigrationContext, revision: Any, directives: list[Any]
) -> None:
    """Write no revision when autogenerate finds nothing to change.

    An empty revision file would only add a step to every future upgrade.
    """
    if not getattr(config.cmd_opts, "autogenerate", False):
        return
    script = directives[0]
    if isinstance(script, MigrationScript) and all(
        ops.is_empty() for ops in script.upgrade_ops_list
    ):
        directives[:] = []
        logger.info("no schema changes found; no revision written")


def _context_options() -> dict[str, Any]:
    """Options shared by online and offline runs.

    ``render_as_batch`` is on for every backend: SQLite needs batch mode to
    alter a table, other backends run the same batch block as plain ALTERs,
    so a revision written against either database runs on both.
    """
    options: dict[str, Any] = dict(migrate_state.configure_args)
    options.update(
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,
        process_revision_directives=_skip_empty_autogenerate,
    )
    return options


def run_migrations_offline() -> None:
    """Write the SQL of the migration to standard output (``--sql``)."""
    url = migrate_state.db.engine.url.render_as_string(hide_password=False)
    context.configure(url=url, literal_binds=True, **_context_options())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migration on the app's database in one transaction."""
    # On SQLite too the whole upgrade is one transaction: the app's engine
    # begins every transaction itself (portal.database), so pysqlite no longer
    # commits each DDL statement on its own.
    with migrate_state.db.engine.connect() as connection:
        context.configure(connection=connection, **_context_options())
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
