"""Start-up: settings in order, and one clear line for each wrong setting."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from portal import create_app
from portal.settings import CONFIG_DIR, ConfigError
from tests.conftest import app_settings


@pytest.fixture
def states_dir(tmp_path: Path) -> Path:
    target = tmp_path / "states"
    shutil.copytree(CONFIG_DIR / "states", target)
    return target


def _sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'x.db'}"


def test_profile_and_env_are_read_in_order(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SPKMS_SECRET_KEY", "from-env")
    app = create_app(app_settings(_sqlite(tmp_path), SPKMS_QUEUE_NAME="q-override"))
    profile = app.extensions["spkms"].profile
    assert profile.name == "Terengganu"
    assert {c.code for c in profile.courts} >= {"11000", "11100", "11003"}
    # app_settings sets SECRET_KEY explicitly, so the override beats the env.
    assert app.config["SECRET_KEY"] == "test-secret-key-of-at-least-32-bytes-long"
    assert app.config["SPKMS_QUEUE_NAME"] == "q-override"
    monkeypatch.setenv("SPKMS_QUEUE_NAME", "q-env")
    config = app_settings(_sqlite(tmp_path))
    del config["SECRET_KEY"]
    app = create_app(config)
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SPKMS_QUEUE_NAME"] == "q-env"


def test_unknown_state_names_the_setting(tmp_path) -> None:
    with pytest.raises(ConfigError) as caught:
        create_app(app_settings(_sqlite(tmp_path), SPKMS_STATE="atlantis"))
    assert caught.value.setting == "SPKMS_STATE"
    assert "atlantis.toml" in str(caught.value)


def test_unknown_plugin_names_the_setting(tmp_path, states_dir) -> None:
    profile = states_dir / "terengganu.toml"
    text = profile.read_text().replace('"links"]', '"links", "nosuch"]')
    profile.write_text(text)
    with pytest.raises(ConfigError) as caught:
        create_app(app_settings(_sqlite(tmp_path), SPKMS_STATES_DIR=str(states_dir)))
    assert "[plugins].enabled" in caught.value.setting
    assert "'nosuch'" in caught.value.problem


def test_broken_profile_names_the_file(tmp_path, states_dir) -> None:
    (states_dir / "terengganu.toml").write_text("[state\ncode = 11")
    with pytest.raises(ConfigError) as caught:
        create_app(app_settings(_sqlite(tmp_path), SPKMS_STATES_DIR=str(states_dir)))
    assert "terengganu.toml" in caught.value.setting
    assert "TOML" in caught.value.problem


def test_court_with_unknown_level_is_refused(tmp_path, states_dir) -> None:
    profile = states_dir / "terengganu.toml"
    profile.write_text(
        profile.read_text().replace('level = "rendah"', 'level = "utama"', 1)
    )
    with pytest.raises(ConfigError) as caught:
        create_app(app_settings(_sqlite(tmp_path), SPKMS_STATES_DIR=str(states_dir)))
    assert caught.value.setting.endswith(".level")
    assert "'utama'" in caught.value.problem


def test_unreachable_database_names_the_setting(tmp_path) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/nodb"
    with pytest.raises(ConfigError) as caught:
        create_app(app_settings(url))
    assert caught.value.setting == "SPKMS_DATABASE_URL"
    assert "127.0.0.1:1" in caught.value.problem


def test_cli_prints_one_line_for_a_wrong_setting(tmp_path) -> None:
    env = {"SPKMS_STATE": "atlantis", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "portal", "routes"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode != 0
    assert "SPKMS_STATE: no state profile" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_key_on_a_plain_screen_is_a_404(app, client) -> None:
    """FAB's own screens take any text as a key; PostgreSQL refuses 'abc'."""
    from tests.conftest import login, make_officer

    admin = make_officer(app, "Admin")
    login(client, admin.username)
    assert client.get("/courts/show/abc").status_code == 404
    assert client.get("/courts/list/").status_code == 200
