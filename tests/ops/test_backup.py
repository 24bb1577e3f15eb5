"""deploy/backup.sh and deploy/restore.sh on the real PostgreSQL.

A filled database is dumped with the backup script, restored with the
restore script into a new database, and the portal starts on the copy with
the case, the schema revision and the audit chain intact.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask, current_app

from plugins.cases import services
from plugins.cases.models import Case
from portal import create_app
from portal.audit.cli import verify_command
from portal.extensions import db
from tests.cases.conftest import act_as, registration
from tests.conftest import app_settings, login, make_officer
from tests.ops.conftest import create_database, drop_database
from tests.ops.processes import ROOT, base_env

BACKUP = ROOT / "deploy" / "backup.sh"
RESTORE = ROOT / "deploy" / "restore.sh"


def run_script(*args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in args],
        env=base_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_backup_restore_and_start_on_the_copy(
    state_app: Flask, state_database: str, tmp_path: Path
) -> None:
    clerk = make_officer(state_app, "Clerk", ("11001", "11002"))
    with state_app.app_context():
        act_as(state_app, clerk)
        case = services.register_case(
            registration("11002", user=clerk, title="Tuntutan harta sepencarian")
        )
        case_id, case_number = case.id, case.case_number
    # Reading the case leaves a chained record in the access log.
    client = state_app.test_client()
    login(client, clerk.username)
    assert client.get(f"/cases/show/{case_id}").status_code == 200

    dumped = run_script(BACKUP, state_database, tmp_path, SPKMS_BACKUP_KEEP="2")
    assert dumped.returncode == 0, dumped.stderr
    dump = Path(dumped.stdout.strip())
    assert dump.parent == tmp_path and dump.suffix == ".dump"
    assert not list(tmp_path.glob("*.partial"))

    target = create_database("spkms_rs")
    restored: Flask | None = None
    try:
        done = run_script(RESTORE, dump, target)
        assert done.returncode == 0, done.stderr

        # A second restore would mix two states of the records: refused,
        # and the copy is left as it was.
        again = run_script(RESTORE, dump, target)
        assert again.returncode == 3
        assert "already has" in again.stderr and "empty database" in again.stderr

        # The portal starts on the copy, its schema is at the code's head and
        # the case is there.
        restored = create_app(app_settings(target))
        with restored.app_context():
            config = current_app.extensions["migrate"].migrate.get_config()
            heads = set(ScriptDirectory.from_config(config).get_heads())
            stamped = set(
                db.session.scalars(sa.text("SELECT version_num FROM alembic_version"))
            )
            assert stamped == heads and heads
            found = db.session.scalar(
                sa.select(Case.title).where(Case.case_number == case_number)
            )
            assert found == "Tuntutan harta sepencarian"
            cases = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
            assert cases == 1 + _other_cases(state_app, case_number)
        ready = restored.test_client().get("/health/ready")
        assert ready.status_code == 200, ready.json
        # The copy's audit trail is whole: every record chained as it was.
        verified = restored.test_cli_runner().invoke(verify_command)
        assert verified.exit_code == 0, verified.output
        chained = re.search(r"audit chain OK: (\d+) records chained", verified.output)
        assert chained is not None and int(chained.group(1)) > 0
    finally:
        if restored is not None:
            with restored.app_context():
                db.session.remove()
                db.engine.dispose()
        drop_database(target)


def _other_cases(app: Flask, case_number: str) -> int:
    """Cases other tests put in the shared source database before the dump."""
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Case)
            .where(Case.case_number != case_number)
        )


def test_backup_refuses_what_it_cannot_dump(tmp_path: Path) -> None:
    missing = run_script(BACKUP)
    assert missing.returncode == 2
    assert "SPKMS_DATABASE_URL" in missing.stderr

    sqlite = run_script(BACKUP, f"sqlite:///{tmp_path / 'x.db'}", tmp_path)
    assert sqlite.returncode == 2
    assert "PostgreSQL" in sqlite.stderr

    keep = run_script(
        BACKUP, "postgresql://postgres@127.0.0.1/test", tmp_path, SPKMS_BACKUP_KEEP="0"
    )
    assert keep.returncode == 2
    assert "SPKMS_BACKUP_KEEP" in keep.stderr
    assert list(tmp_path.iterdir()) == []


def test_restore_refuses_a_file_that_is_no_dump(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-dump.dump"
    bogus.write_text("SELECT 1;\n")
    refused = run_script(RESTORE, bogus, "postgresql://postgres@127.0.0.1/test")
    assert refused.returncode == 2
    assert "not a pg_dump custom-format file" in refused.stderr

    usage = run_script(RESTORE, bogus)
    assert usage.returncode == 2
    assert "usage" in usage.stderr
