"""Loading the profile's case types (``[case_types]`` and its CSV file)."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from plugins.cases.models import CaseType
from portal.settings import ConfigError, StateProfile

logger = logging.getLogger(__name__)

CATEGORIES = {"mal", "jenayah"}
STARTED_BY = {"tuntutan", "permohonan", ""}


def case_type_rows(profile: StateProfile) -> list[dict[str, Any]]:
    """The case types the profile declares, checked, as column values."""
    section = profile.section("case_types")
    where = f"{profile.path.name} [case_types]"
    if not section.get("file"):
        raise ConfigError(f"{where}.file", "names no CSV file of case types")
    scheme = section.get("scheme", "old")
    default_level = section.get("default_level", "rendah")
    default_days = section.get("default_resolution_days")
    fees = section.get("fee_sen", {})
    overrides = section.get("overrides", {})
    if not isinstance(default_days, int) or default_days <= 0:
        raise ConfigError(
            f"{where}.default_resolution_days", "must be a positive number of days"
        )
    rows: list[dict[str, Any]] = []
    for line_no, line in enumerate(
        profile.read_csv(f"{where}.file", section["file"]), start=2
    ):
        here = f"{section['file']} line {line_no}"
        code = (line.get("code") or "").strip()
        if len(code) != 3 or not code.isdigit():
            raise ConfigError(f"{here} code", f"{code!r} is not a three-digit code")
        category = (line.get("category") or "").strip()
        if category not in CATEGORIES:
            raise ConfigError(f"{here} category", f"{category!r} is not mal or jenayah")
        started_by = (line.get("started_by") or "").strip()
        if started_by not in STARTED_BY:
            raise ConfigError(
                f"{here} started_by", f"{started_by!r} is not tuntutan or permohonan"
            )
        extra = overrides.get(code, {})
        level = extra.get("level", default_level)
        if level not in profile.levels:
            raise ConfigError(
                f"{where}.overrides.{code}.level", f"unknown level {level!r}"
            )
        fee_key = started_by or ("jenayah" if category == "jenayah" else "tuntutan")
        fee = extra.get("fee_sen", fees.get(fee_key, 0))
        days = extra.get("resolution_days", default_days)
        if not isinstance(fee, int) or fee < 0:
            raise ConfigError(
                f"{where} fee for {code}", "must be a whole, non-negative sen amount"
            )
        if not isinstance(days, int) or days <= 0:
            raise ConfigError(
                f"{where}.overrides.{code}.resolution_days",
                "must be a positive number of days",
            )
        rows.append(
            {
                "scheme": scheme,
                "code": code,
                "new_code": (line.get("new_code") or "").strip() or None,
                "name": line["name_ms"].strip(),
                "gloss_en": (line.get("gloss_en") or "").strip() or None,
                "category": category,
                "level": level,
                "started_by": started_by or None,
                "fee_sen": fee,
                "resolution_days": days,
            }
        )
    return rows


def load_case_types(profile: StateProfile, session: Session) -> int:
    """Insert new case types and update changed ones; return rows written."""
    existing = {(t.scheme, t.code): t for t in session.scalars(sa.select(CaseType))}
    written = 0
    for row in case_type_rows(profile):
        current = existing.get((row["scheme"], row["code"]))
        if current is None:
            session.add(CaseType(**row))
            written += 1
            continue
        changed = {k: v for k, v in row.items() if getattr(current, k) != v}
        for key, value in changed.items():
            setattr(current, key, value)
        written += bool(changed)
    logger.info("case types loaded from %s: %d written", profile.path.name, written)
    return written
