"""The reminder engine's contract: checked rules, isolated failures, a command."""

from __future__ import annotations

import dataclasses
import logging
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from portal import create_app, hookimpl
from portal.extensions import db
from portal.notifications import Notification
from portal.reminders.cli import reminders
from portal.reminders.engine import current_reminders, run_reminders
from portal.reminders.rules import ReminderRule, settle_rules
from portal.settings import CONFIG_DIR, ConfigError, load_profile
from tests.conftest import app_settings


def _rule(name: str = "test.watch", **extra: Any) -> ReminderRule:
    def query() -> sa.Select[Any]:
        raise RuntimeError("the watched table is gone")

    return ReminderRule(name=name, title="Ujian", query=query, days=5, **extra)


def _tuned(entry: dict[str, Any]) -> Any:
    profile = load_profile("terengganu")
    raw = {**profile.raw, "reminders": {"rules": {"cases.unresolved": entry}}}
    return dataclasses.replace(profile, raw=raw)


def _cases_rules() -> list[ReminderRule]:
    from plugins.cases.reminders import rules

    return rules()


@pytest.mark.parametrize(
    ("entry", "key", "rule"),
    [
        ({"days": -1}, 'cases.unresolved".days', "0 or more"),
        ({"warn_before_days": "30"}, ".warn_before_days", "whole number"),
        ({"unit": "weeks"}, ".unit", "calendar, working"),
        ({"by_case_type": {"999": 30}}, ".by_case_type.999", "not a case type"),
        ({"by_case_type": {"040": -7}}, ".by_case_type.040", "0 or more"),
        ({"by_level": {"syariah": 90}}, ".by_level.syariah", "not a court level"),
        ({"notify": {"overdue": ["imam"]}}, ".notify.overdue", "unknown audience"),
        ({"notify": {"later": ["judge"]}}, ".notify.later", "is not a level"),
    ],
)
def test_a_bad_rule_setting_is_refused_naming_key_and_rule(
    entry: dict[str, Any], key: str, rule: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        settle_rules(_tuned(entry), [_cases_rules()])
    assert key in refused.value.setting
    assert rule in refused.value.problem


def test_profile_entries_must_name_a_registered_rule_once() -> None:
    profile = load_profile("terengganu")
    without_files = dataclasses.replace(
        profile,
        enabled_plugins=tuple(
            p for p in profile.enabled_plugins if p != "filetracking"
        ),
    )
    kept = settle_rules(without_files, [_cases_rules()])  # its settings may stay
    assert "filetracking.file_overdue" not in kept
    with pytest.raises(ConfigError, match="no plugin registers this rule"):
        settle_rules(
            dataclasses.replace(
                profile,
                raw={
                    **profile.raw,
                    "reminders": {"rules": {"cases.nosuch": {}}},
                },
            ),
            [_cases_rules()],
        )
    with pytest.raises(ConfigError, match="registered twice"):
        settle_rules(profile, [[_rule()], [_rule()]])
    settled = settle_rules(
        dataclasses.replace(
            profile,
            raw={
                **profile.raw,
                "reminders": {
                    "warn_before_days": 10,
                    "rules": {"cases.unresolved": {"enabled": False}},
                },
            },
        ),
        [_cases_rules()],
    )
    assert "cases.unresolved" not in settled  # switched off by the state
    assert settled["cases.order_not_extracted"].warn_before_days == 10


def test_a_bad_reminder_profile_stops_start_up(tmp_path: Path) -> None:
    states = tmp_path / "states"
    states.mkdir()
    text = (CONFIG_DIR / "states" / "terengganu.toml").read_text()
    (states / "terengganu.toml").write_text(
        text.replace("escalate_after_days = 7", "escalate_after_days = -7")
    )
    for extra in ("case_types.csv",):
        (states / extra).write_text((CONFIG_DIR / "states" / extra).read_text())
    with pytest.raises(ConfigError) as refused:
        create_app(
            app_settings(f"sqlite:///{tmp_path / 'x.db'}", SPKMS_STATES_DIR=str(states))
        )
    assert 'rules."filetracking.file_overdue".escalate_after_days' in str(refused.value)


def test_a_rule_that_raises_is_logged_and_the_others_still_run(
    app: Flask, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        registry = current_reminders()
        profile = app.extensions["spkms"].profile
        bare = dataclasses.replace(profile, raw={**profile.raw, "reminders": {}})
        broken = settle_rules(bare, [[_rule("aaa.broken")]])["aaa.broken"]
        monkeypatch.setitem(registry.rules, "aaa.broken", broken)
        with caplog.at_level(logging.ERROR, logger="portal.reminders.engine"):
            report = run_reminders(date(2026, 12, 3))
    assert "the watched table is gone" in report.failed["aaa.broken"]
    assert set(report.sent) == set(registry.rules) - {"aaa.broken"}
    assert "rule=aaa.broken" in caplog.text


def test_the_command_runs_one_rule_for_a_given_date(app: Flask) -> None:
    runner = app.test_cli_runner()
    ran = runner.invoke(
        reminders,
        ["run", "--date", "2030-01-01", "--rule", "cases.order_not_extracted"],
    )
    assert ran.exit_code == 0, ran.output
    assert "2030-01-01:" in ran.output and "cases.order_not_extracted" in ran.output
    unknown = runner.invoke(reminders, ["run", "--rule", "cases.nosuch"])
    assert unknown.exit_code == 2 and "unknown rule 'cases.nosuch'" in unknown.output
    listed = runner.invoke(reminders, ["rules"])
    assert "cases.no_hearing_date" in listed.output and "working" in listed.output


class _Watcher:
    """A state's own plugin: a rule of its own and an SMS channel."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    @hookimpl
    def spkms_reminder_rules(self) -> list[ReminderRule]:
        from portal.models import Court

        def courts_as_records() -> sa.Select[Any]:
            return sa.select(
                Court.id.label("subject_id"),
                Court.id.label("court_id"),
                sa.literal(date(2026, 1, 1), sa.Date()).label("anchor"),
                Court.code.label("label"),
                sa.literal("/courts/").label("link"),
            ).where(Court.code == "11000")

        return [
            ReminderRule(
                name="negeri.court_review",
                title="Semakan tahunan mahkamah",
                query=courts_as_records,
                anchor_is_date=True,
                days=30,
                notify={"overdue": ("chief_registrar",)},
            )
        ]

    @hookimpl
    def spkms_notification_channels(self) -> dict[str, Any]:
        def sms(notification: Any, user: Any) -> None:
            self.texts.append((user.username, notification.subject))

        return {"sms": sms}


def test_a_plugin_adds_its_own_rule_and_channel(app: Flask) -> None:
    """``spkms_reminder_rules`` and ``spkms_notification_channels`` from a plugin."""
    from portal import reminders as engine_setup
    from portal.notifications import NotificationDelivery
    from tests.conftest import make_officer

    chief = make_officer(app, "Chief Registrar", ("11000",))
    watcher = _Watcher()
    manager = app.extensions["spkms"].plugin_manager
    manager.register(watcher, name="negeri-test")
    try:
        engine_setup.init_app(app)
        with app.app_context():
            report = run_reminders(date(2026, 2, 1), only="negeri.court_review")
            assert report.sent["negeri.court_review"] == {"overdue": 1}
            delivered = db.session.scalars(
                sa.select(NotificationDelivery.channel)
                .join(Notification)
                .where(Notification.user_id == chief.id)
            ).all()
        assert (chief.username, "Lewat tempoh: Semakan tahunan mahkamah - 11000") in (
            watcher.texts
        )
        assert delivered == ["sms"]
    finally:
        manager.unregister(watcher)
        engine_setup.init_app(app)
