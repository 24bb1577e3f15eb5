"""Loading the fee schedule: the profile's ``[[fees]]`` plus plugins' fee types.

The profile's list is the base; a plugin adds codes of its own through
``spkms_fee_types`` but may not redefine one the profile (or another plugin)
already gives.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from plugins.collections.models import FeeKind, FeeType
from portal.settings import ConfigError, StateProfile

logger = logging.getLogger(__name__)


def _checked(fee: Any, where: str) -> dict[str, Any]:
    if not isinstance(fee, dict):
        raise ConfigError(where, "must be a table of code, name, revenue_code")
    for key in ("code", "name", "revenue_code"):
        if not isinstance(fee.get(key), str) or not fee[key]:
            raise ConfigError(f"{where}.{key}", "must be a non-empty string")
    amount = fee.get("amount_sen")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise ConfigError(
            f"{where}.amount_sen", "must be a whole, non-negative number of sen"
        )
    kind = fee.get("kind", FeeKind.FEE)
    if kind not in FeeKind.LABELS:
        raise ConfigError(
            f"{where}.kind", f"must be one of {', '.join(FeeKind.LABELS)}"
        )
    return {
        "code": fee["code"],
        "name": fee["name"],
        "revenue_code": fee["revenue_code"],
        "amount_sen": amount,
        "kind": kind,
    }


def schedule(profile: StateProfile) -> list[dict[str, Any]]:
    """The whole fee schedule: the profile's entries, then each plugin's."""
    from portal.app import spkms

    entries: dict[str, dict[str, Any]] = {}
    for index, fee in enumerate(profile.raw.get("fees", [])):
        values = _checked(fee, f"{profile.path.name} fees[{index}]")
        if values["code"] in entries:
            raise ConfigError(
                f"{profile.path.name} fees[{index}].code",
                f"{values['code']} is listed twice",
            )
        entries[values["code"]] = values
    for answer in spkms().hook.spkms_fee_types():
        for index, fee in enumerate(answer or []):
            where = f"spkms_fee_types[{index}]"
            values = _checked(fee, where)
            if values["code"] in entries:
                raise ConfigError(
                    f"{where}.code",
                    f"{values['code']} is already in the fee schedule",
                )
            entries[values["code"]] = values
    return list(entries.values())


def load_fee_types(profile: StateProfile, session: Session) -> int:
    """Insert new fee types and update changed ones; return rows written."""
    existing = {f.code: f for f in session.scalars(sa.select(FeeType))}
    written = 0
    for values in schedule(profile):
        current = existing.get(values["code"])
        if current is None:
            session.add(FeeType(**values))
            written += 1
            continue
        changed = {k: v for k, v in values.items() if getattr(current, k) != v}
        for key, value in changed.items():
            setattr(current, key, value)
        written += bool(changed)
    logger.info("fee types loaded from %s: %d written", profile.path.name, written)
    return written
