"""The `spkms` command: plugin commands, the demo, and profile-loaded events."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from portal.cli import main
from portal.extensions import db
from portal.jobs.models import OutboxJob
from portal.provision import load_profile
from tests.databases import drop_database, fresh_database_url


def test_plugin_cli_commands_join_spkms(sample_app, monkeypatch) -> None:
    """spkms_register_cli_commands: the sample plugin's command is reachable."""
    monkeypatch.setenv(
        "SPKMS_DATABASE_URL", sample_app.config["SQLALCHEMY_DATABASE_URI"]
    )
    monkeypatch.setenv("SPKMS_STATES_DIR", sample_app.config["SPKMS_STATES_DIR"])
    result = CliRunner().invoke(main, ["sample-count"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "sealed notes:" in result.output


def test_profile_loaded_event_reaches_plugins(sample_app, caplog) -> None:
    """spkms_on_profile_loaded fires after a load that changed something."""
    with sample_app.app_context():
        profile = sample_app.extensions["spkms"].profile
        from portal.models import Court

        court = db.session.scalar(sa.select(Court).where(Court.code == "11004"))
        court.name = "Nama lama"
        db.session.commit()
        caplog.set_level("INFO")
        assert load_profile(profile) == 1
        # The sample plugin listens, so the event was queued and delivered.
        assert "sample saw profile terengganu loaded with 1 changes" in caplog.text
        events = db.session.scalars(
            sa.select(OutboxJob).where(OutboxJob.name == "portal.event")
        ).all()
        assert any(job.kwargs.get("event") == "profile_loaded" for job in events)
        assert load_profile(profile) == 0


def test_demo_prepares_a_database_and_prints_logins(tmp_path: Path, backend) -> None:
    """spkms demo --no-serve runs init and every plugin's spkms_demo_data.

    Officers of every role are created; a second run adds nothing and works.
    """
    url = fresh_database_url(backend, tmp_path)
    env = {"SPKMS_DATABASE_URL": url, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    try:
        for _attempt in range(2):
            result = subprocess.run(
                [sys.executable, "-m", "portal", "demo", "--no-serve"],
                capture_output=True,
                text=True,
                env=env,
                cwd=tmp_path,
                check=False,
                timeout=300,
            )
            assert result.returncode == 0, result.stderr[-2000:]
            assert "admin / admin-demo / Admin" in result.stdout
            assert "kerani.kt / kerani.kt-demo / Clerk / 11001" in result.stdout
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            users = connection.scalar(sa.text("SELECT count(*) FROM ab_user"))
            roles = set(connection.scalars(sa.text("SELECT name FROM ab_role")))
        engine.dispose()
        assert users >= 15
        assert {"Registrar", "Judge", "Clerk", "Cashier", "Auditor"} <= roles
    finally:
        drop_database(url)


def test_plugins_load_their_profile_sections(app_ctx) -> None:
    """spkms_load_profile: each plugin answers with rows written (0 when unchanged)."""
    from plugins.cases.models import CaseType
    from plugins.collections.models import FeeType
    from portal.app import spkms

    profile = spkms().profile
    answers = spkms().hook.spkms_load_profile(profile=profile, session=db.session)
    assert answers and all(answer == 0 for answer in answers)
    fee = db.session.scalar(sa.select(FeeType).where(FeeType.code == "PERINTAH"))
    fee.amount_sen = 1
    case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == "040"))
    case_type.resolution_days = 999
    db.session.flush()
    answers = spkms().hook.spkms_load_profile(profile=profile, session=db.session)
    assert sorted(answers) == [1, 1]
    assert fee.amount_sen == 5000
    assert case_type.resolution_days == 30
    db.session.commit()
