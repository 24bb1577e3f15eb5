"""Migrations: the revisions build exactly the models' schema, and undo it.

Each test builds its own app on an empty database of each backend, so the
schema comes from Alembic alone (the shared ``app`` fixture uses
``create_all``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_appbuilder import Model
from sqlalchemy_continuum import version_class

from portal import create_app, hookimpl
from portal.extensions import db
from portal.migrations import HOST_VERSIONS_DIR, MIGRATIONS_DIR, alembic_config
from portal.plugins import installed_plugins
from portal.provision import upgrade_schema
from tests.conftest import app_settings
from tests.databases import drop_database, fresh_database_url, schema_of

BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgresql"])

#: A plugin's own branch of revisions: one table, depending on the host's head.
BRANCH_REVISION = '''\
"""Sample plugin's table, shipped as its own branch."""

import sqlalchemy as sa
from alembic import op

revision = "b1a2c3d4e5f6"
down_revision = None
branch_labels = ("branch_sample",)
depends_on = {host_head!r}


def upgrade() -> None:
    op.create_table(
        "branch_sample_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("branch_sample_note")
'''


@pytest.fixture
def empty_app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    """An app whose database has no tables at all."""
    url = fresh_database_url(backend, tmp_path)
    app = create_app(app_settings(url))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop_database(url)


def host_head() -> str:
    """The newest revision of the host's own line."""
    script = ScriptDirectory(
        str(MIGRATIONS_DIR), version_locations=[str(HOST_VERSIONS_DIR)]
    )
    head = script.get_current_head()
    assert head is not None
    return head


def table_names() -> set[str]:
    """Tables in the app's schema (the search_path schema on PostgreSQL)."""
    return set(sa.inspect(db.engine).get_table_names())


def applied_revisions() -> set[str]:
    """The revisions ``alembic_version`` records as current."""
    with db.engine.connect() as connection:
        return set(
            connection.scalars(sa.text("SELECT version_num FROM alembic_version"))
        )


def schemas_holding(*tables: str) -> set[str]:
    """PostgreSQL schemas of this database that have a table named in ``tables``."""
    with db.engine.connect() as connection:
        return set(
            connection.scalars(
                sa.text(
                    "SELECT table_schema FROM information_schema.tables"
                    " WHERE table_name IN :tables"
                ).bindparams(sa.bindparam("tables", expanding=True)),
                {"tables": list(tables)},
            )
        )


def foreign_tables(app: Flask) -> set[str]:
    """Tables of installed plugins that ``app`` does not enable.

    A process has one metadata. An app that another test built earlier in the
    session with such a plugin (the sample plugin) left that plugin's tables in
    it, version tables included; this app's revisions rightly know nothing of
    them. In a deployment only enabled plugins are imported, so this is empty.
    """
    enabled = set(app.extensions["spkms"].profile.enabled_plugins)
    packages = tuple(
        (entry_point.module.rpartition(".")[0] or entry_point.module) + "."
        for name, entry_point in installed_plugins().items()
        if name not in enabled
    )
    tables: set[str] = set()
    for mapper in Model.registry.mappers:
        model = mapper.class_
        if not model.__module__.startswith(packages):
            continue
        tables.add(mapper.local_table.name)
        if hasattr(model, "__versioned__"):
            tables.add(version_class(model).__table__.name)
    return tables


def app_tables(app: Flask) -> set[str]:
    """The tables the app's models declare: what the revisions must build."""
    return set(db.metadata.tables) - foreign_tables(app)


def schema_differences(app: Flask) -> list[Any]:
    """What autogenerate would still change between the database and the models."""
    foreign = foreign_tables(app)

    def include_object(
        obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        # The one filter: tables other apps of this test session added to the
        # shared metadata (see foreign_tables). Nothing else is filtered: the
        # revisions must match the models exactly, FAB's, Continuum's and the
        # plugins' tables included. A difference means a model changed without
        # a revision (run `spkms db migrate`).
        return not (type_ == "table" and name in foreign)

    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "target_metadata": db.metadata,
                "include_object": include_object,
            },
        )
        return compare_metadata(context, db.metadata)


@BACKENDS
def test_upgrade_builds_exactly_the_models_schema(
    backend: str, empty_app: Flask
) -> None:
    with empty_app.app_context():
        assert table_names() == set()
        upgrade_schema()
        assert table_names() == {*app_tables(empty_app), "alembic_version"}
        assert schema_differences(empty_app) == []
        assert applied_revisions() == {host_head()}
        if backend == "postgresql":
            schema = schema_of(empty_app.config["SQLALCHEMY_DATABASE_URI"])
            assert schemas_holding("alembic_version") >= {schema}
            assert schemas_holding("court") >= {schema}
            assert "public" not in schemas_holding("alembic_version", "court")


@BACKENDS
def test_downgrade_to_base_leaves_only_the_version_table(
    backend: str, empty_app: Flask
) -> None:
    with empty_app.app_context():
        upgrade_schema()
        command.downgrade(alembic_config(), "base")
        assert table_names() == {"alembic_version"}
        assert applied_revisions() == set()
        if backend == "postgresql":
            with db.engine.connect() as connection:
                leftovers = connection.scalars(
                    sa.text(
                        "SELECT sequencename FROM pg_sequences"
                        " WHERE schemaname = current_schema()"
                    )
                ).all()
            assert leftovers == []

        upgrade_schema()
        assert table_names() == {*app_tables(empty_app), "alembic_version"}
        assert applied_revisions() == {host_head()}


class BranchPlugin:
    """A state's own plugin that ships its table as a branch of revisions."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @hookimpl
    def spkms_register_migrations(self) -> list[str]:
        return [str(self.directory)]


@BACKENDS
def test_plugin_branch_is_upgraded_with_the_host(
    empty_app: Flask, tmp_path: Path
) -> None:
    versions = tmp_path / "branch_versions"
    versions.mkdir()
    (versions / "b1a2c3d4e5f6_branch_sample.py").write_text(
        BRANCH_REVISION.format(host_head=host_head())
    )
    empty_app.extensions["spkms"].plugin_manager.register(
        BranchPlugin(versions), name="branch_sample"
    )
    with empty_app.app_context():
        # `spkms db upgrade heads`: Flask-Migrate's own config, which knows only
        # the host's directory until env.py adds the plugin's.
        flask_migrate.upgrade(revision="heads")
        assert {"branch_sample_note", "court"} <= table_names()
        # The branch depends on the host's head, so Alembic records only the
        # branch's revision as current: it implies the host's.
        assert applied_revisions() == {"b1a2c3d4e5f6"}

        command.downgrade(alembic_config(), "base")
        assert table_names() == {"alembic_version"}

        # `spkms init`: the config carries the plugin's directory from the start.
        upgrade_schema()
        assert {"branch_sample_note", "court"} <= table_names()
        assert applied_revisions() == {"b1a2c3d4e5f6"}


def test_plugin_naming_a_missing_directory_stops_the_upgrade(
    tmp_path: Path,
) -> None:
    app = create_app(app_settings(f"sqlite:///{tmp_path / 'x.db'}"))
    app.extensions["spkms"].plugin_manager.register(
        BranchPlugin(tmp_path / "nowhere"), name="branch_missing"
    )
    with app.app_context(), pytest.raises(RuntimeError, match="nowhere"):
        upgrade_schema()
