"""The fee schedule: the profile's ``[[fees]]`` plus ``spkms_fee_types``."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from plugins.collections.models import FeeType
from plugins.collections.profile import load_fee_types
from portal import hookimpl
from portal.app import spkms
from portal.extensions import db
from portal.settings import ConfigError


class ExtraFees:
    """A state's own plugin adding a fee of its own (a mediation fee)."""

    def __init__(self, fees: list[dict[str, Any]]) -> None:
        self.fees = fees

    @hookimpl
    def spkms_fee_types(self) -> list[dict[str, Any]]:
        return self.fees


def _load_with(app: Flask, plugin: ExtraFees) -> int:
    manager = spkms().plugin_manager
    manager.register(plugin, name=f"extra-fees-{id(plugin)}")
    try:
        return load_fee_types(spkms().profile, db.session)
    finally:
        manager.unregister(plugin)


def test_a_plugin_adds_fee_types_and_the_profile_stays_the_base(app: Flask) -> None:
    with app.app_context():
        written = _load_with(
            app,
            ExtraFees(
                [
                    {
                        "code": "SULH_PLUGIN",
                        "name": "Fi sulh",
                        "revenue_code": "71399",
                        "amount_sen": 1500,
                    }
                ]
            ),
        )
        db.session.commit()
        assert written == 1
        added = db.session.scalar(
            sa.select(FeeType).where(FeeType.code == "SULH_PLUGIN")
        )
        assert (added.amount_sen, added.kind) == (1500, "fee")
        with pytest.raises(ConfigError) as refused:
            _load_with(
                app,
                ExtraFees(
                    [
                        {
                            "code": "PERINTAH",
                            "name": "Perintah murah",
                            "revenue_code": "71304",
                            "amount_sen": 1,
                        }
                    ]
                ),
            )
        assert "already in the fee schedule" in str(refused.value)
        db.session.rollback()
        kept = db.session.scalar(sa.select(FeeType).where(FeeType.code == "PERINTAH"))
        assert kept.amount_sen == 5000
        with pytest.raises(ConfigError) as refused:
            _load_with(
                app,
                ExtraFees(
                    [{"code": "X", "name": "X", "revenue_code": "1", "amount_sen": -5}]
                ),
            )
        assert "amount_sen" in str(refused.value)
        db.session.rollback()
