"""Loading the profile's fee schedule (``[[fees]]``)."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from plugins.collections.models import FeeType
from portal.settings import ConfigError, StateProfile

logger = logging.getLogger(__name__)


def load_fee_types(profile: StateProfile, session: Session) -> int:
    """Insert new fee types and update changed ones; return rows written."""
    existing = {f.code: f for f in session.scalars(sa.select(FeeType))}
    written = 0
    for index, fee in enumerate(profile.raw.get("fees", [])):
        where = f"{profile.path.name} fees[{index}]"
        for key in ("code", "name", "revenue_code"):
            if not isinstance(fee.get(key), str) or not fee[key]:
                raise ConfigError(f"{where}.{key}", "must be a non-empty string")
        amount = fee.get("amount_sen")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise ConfigError(
                f"{where}.amount_sen", "must be a whole, non-negative number of sen"
            )
        values = {
            "code": fee["code"],
            "name": fee["name"],
            "revenue_code": fee["revenue_code"],
            "amount_sen": amount,
        }
        current = existing.get(fee["code"])
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
