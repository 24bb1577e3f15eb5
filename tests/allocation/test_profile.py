"""The ``[allocation]`` profile section and a state's own strategy plugin."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugins.allocation import services
from plugins.cases import services as cases
from portal import create_app
from portal.extensions import db
from portal.settings import CONFIG_DIR, ConfigError
from tests.allocation.conftest import new_court, new_judge, records_of
from tests.cases.conftest import act_as, registration
from tests.conftest import app_settings, initialise, make_officer
from tests.databases import drop_database, fresh_database_url
from tests.sample import PROFILE, states_dir_enabling


def _with_strategy(states: Path, strategy: str) -> Path:
    """Set ``[allocation].strategy`` of the copied profile to ``strategy``."""
    path = states / PROFILE
    text = path.read_text(encoding="utf-8")
    marker = 'strategy = "balanced_draw"'
    assert marker in text, "the profile's [allocation] strategy line moved"
    path.write_text(text.replace(marker, f'strategy = "{strategy}"', 1), "utf-8")
    return states


def test_the_profile_weights_contested_divorce_above_confirmation(app) -> None:
    with app.app_context():
        config = services.settings()
        assert config.weight("055") == 3
        assert config.weight("010") == 1
        assert config.weight("999") == config.default_weight == 1
        assert config.strategy_for("11000", "055") == "round_robin"
        assert config.strategy_for("11001", "055") == config.strategy


def test_an_unknown_strategy_stops_start_up(backend: str, tmp_path: Path) -> None:
    import shutil

    states = tmp_path / "states"
    shutil.copytree(CONFIG_DIR / "states", states)
    _with_strategy(states, "tiada_begini")
    url = fresh_database_url(backend, tmp_path)
    try:
        with pytest.raises(ConfigError) as stopped:
            create_app(app_settings(url, SPKMS_STATES_DIR=str(states)))
    finally:
        drop_database(url)
    assert stopped.value.setting == "terengganu.toml [allocation].strategy"
    assert "'tiada_begini'" in str(stopped.value)
    assert "least_loaded" in str(stopped.value)


def test_a_states_own_strategy_from_a_plugin_is_selected(
    backend: str, sample_plugin: str, tmp_path: Path
) -> None:
    states = _with_strategy(
        states_dir_enabling(tmp_path, sample_plugin), "sample_lowest_id"
    )
    url = fresh_database_url(backend, tmp_path)
    application = create_app(app_settings(url, SPKMS_STATES_DIR=str(states)))
    try:
        initialise(application)
        court = new_court(application)
        judges = sorted(new_judge(application, court) for _ in range(3))
        clerk = make_officer(application, "Clerk", (court,))
        with application.app_context():
            assert "sample_lowest_id" in services.runtime().strategies
            act_as(application, clerk)
            chosen = []
            for _ in range(3):
                case = cases.register_case(
                    registration(court, user=clerk, from_court=court)
                )
                (record,) = records_of(case.id)
                assert record.strategy == "sample_lowest_id"
                assert services.replay(record) == case.judge_id
                chosen.append(case.judge_id)
            # least_loaded or a draw would spread them; the state's rule does not.
            assert chosen == [judges[0]] * 3
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_database(url)
