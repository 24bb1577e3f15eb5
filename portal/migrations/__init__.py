"""The schema's Alembic revisions, and where a plugin's own revisions are found.

The host's revisions live in ``versions/`` and create every table of the shared
metadata, built-in plugins' tables included. A state's own plugin may instead
ship its revisions as a branch that depends on the host's head; it returns the
directories holding them from ``spkms_register_migrations``, and this module
puts them on Alembic's ``version_locations`` so that ``upgrade heads`` runs the
host's revisions and every branch in one revision graph.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from alembic.config import Config
from flask import current_app

logger = logging.getLogger(__name__)

#: The Alembic environment: ``env.py``, ``alembic.ini``, the revision template.
MIGRATIONS_DIR = Path(__file__).parent
#: The host's own revisions.
HOST_VERSIONS_DIR = MIGRATIONS_DIR / "versions"


def version_locations() -> list[str]:
    """Return the host's revision directory, then each enabled plugin's.

    Paths are absolute and listed once each, so Alembic never loads a revision
    twice. A directory a plugin names but that does not exist stops the command:
    Alembic would otherwise skip it silently and leave the plugin's tables
    missing.
    """
    from portal.app import spkms

    locations = [str(HOST_VERSIONS_DIR.resolve())]
    for answer in spkms().hook.spkms_register_migrations():
        for directory in answer or []:
            path = Path(directory).resolve()
            if not path.is_dir():
                raise RuntimeError(
                    f"spkms_register_migrations: {directory} is not a directory "
                    "of Alembic revisions"
                )
            if str(path) not in locations:
                locations.append(str(path))
    if len(locations) > 1:
        logger.info("plugin revision directories: %s", ", ".join(locations[1:]))
    return locations


def alembic_config() -> Config:
    """Flask-Migrate's Alembic config for the current app, with every plugin branch.

    The locations are set before Alembic reads its revisions, so ``heads`` and
    ``base`` mean the host's and every enabled plugin's.
    """
    return with_plugin_branches(current_app.extensions["migrate"].migrate.get_config())


def with_plugin_branches(config: Config) -> Config:
    """Put every plugin's revision directories into ``config``; return it.

    Shaped as a ``Migrate.configure`` callback, so that registering it makes
    every ``spkms db`` command, ``heads`` and ``history`` included, see the
    plugins' branches. Applying it twice changes nothing.
    """
    set_version_locations(config, version_locations())
    return config


def set_version_locations(config: Config, locations: list[str]) -> None:
    """Write ``locations`` into ``config`` as Alembic's ``version_locations``."""
    # alembic.ini sets path_separator = os; "%" is escaped for ConfigParser.
    joined = os.pathsep.join(locations).replace("%", "%%")
    config.set_main_option("version_locations", joined)
