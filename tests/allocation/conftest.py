"""Helpers for allocation tests: a court of the test's own, its judges, cases.

Each test makes a fresh court (codes 119xx, which no profile declares), so the
judges and cases other tests add to the profile's courts never join its draws.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from plugins.allocation import services
from plugins.cases.models import Case, CaseParty, CaseType
from portal.extensions import db
from portal.models import Court, Judge
from tests.conftest import court_id, make_officer

_court_serial = itertools.count(10)
#: (court id, case type id) by database, court code and type code.
_ids: dict[str, tuple[int, int]] = {}


def new_court(app: Flask, level: str = "rendah") -> str:
    """Add a court of the state that only this test uses; return its code."""
    code = f"119{next(_court_serial):02d}"
    with app.app_context():
        db.session.add(
            Court(
                code=code,
                name=f"Mahkamah Ujian Peruntukan {code}",
                level=level,
                district="Ujian",
            )
        )
        db.session.commit()
    return code


def new_judge(app: Flask, court: str) -> int:
    """A judge whose home court is ``court``; return the judge's id."""
    user = make_officer(app, "Judge", (court,), judge=True)
    with app.app_context():
        return db.session.scalar(sa.select(Judge.id).where(Judge.user_id == user.id))


def type_id(code: str) -> int:
    found = db.session.scalar(sa.select(CaseType.id).where(CaseType.code == code))
    assert found is not None, code
    return found


def add_case(
    court: str,
    type_code: str = "055",
    *,
    registered_at: datetime | None = None,
    party_ids: tuple[int, ...] = (),
) -> Case:
    """A flushed, unassigned case of ``court`` (no registration rules)."""
    key = f"{db.engine.url}/{court}/{type_code}"
    if key not in _ids:
        _ids[key] = (court_id(court), type_id(type_code))
    court_pk, type_pk = _ids[key]
    case = Case(
        court_id=court_pk,
        case_type_id=type_pk,
        year=2026,
        case_number=f"UJI-{uuid.uuid4().hex[:12]}",
        title="Kes ujian peruntukan",
        registered_at=registered_at or datetime.now(UTC),
        registered_from_id=court_pk,
    )
    for party_id in party_ids:
        case.parties.append(CaseParty(party_id=party_id, role="plaintif"))
    db.session.add(case)
    db.session.flush()
    return case


def new_party() -> int:
    """A fresh party profile (in the current transaction)."""
    from plugins.parties import services as parties

    serial = uuid.uuid4().int % 10000
    party = parties.create_party(
        identity_type="passport",
        identity_number=f"A{uuid.uuid4().hex[:8].upper()}",
        nationality="IDN",
        full_name=f"Pihak Ujian {serial}",
    )
    db.session.flush()
    return party.id


@contextlib.contextmanager
def allocation_settings(
    app: Flask, strategies: dict[str, Any] | None = None, **changes: Any
) -> Iterator[services.Runtime]:
    """Run with changed ``[allocation]`` settings (and extra strategies)."""
    with app.app_context():
        before = services.runtime()
    changed = services.Runtime(
        dataclasses.replace(before.settings, **changes),
        {**before.strategies, **(strategies or {})},
    )
    app.extensions[services.EXTENSION_KEY] = changed
    try:
        yield changed
    finally:
        app.extensions[services.EXTENSION_KEY] = before


def records_of(case_id: int) -> list[Any]:
    from plugins.allocation.models import AllocationRecord

    return list(
        db.session.scalars(
            sa.select(AllocationRecord)
            .where(AllocationRecord.case_id == case_id)
            .order_by(AllocationRecord.id)
        )
    )
