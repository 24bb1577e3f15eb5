"""Helpers for file-tracking tests: records offices of two courts and a case.

Court 11002 opens and lends the volumes; court 11001 receives one by
transfer. Officers are made once per backend (password hashing is slow);
every test opens volumes of a case of its own.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from plugins.cases import services as cases
from plugins.filetracking.models import CaseFile, FileLocation, FileMovement
from portal.extensions import db
from tests.cases.conftest import act_as, registration
from tests.conftest import court_id, make_officer

HOME = "11002"
OTHER = "11001"

_serial = itertools.count(1)


@dataclass
class Office:
    """The officers of both courts and the shelves the tests use."""

    officer: Any  # records officer of HOME
    receiver: Any  # records officer of OTHER
    clerk: Any  # clerk of HOME: registers the cases
    judge: Any  # judge of HOME: borrows volumes
    shelf: int  # a shelf of HOME (Blok > Bilik Rekod > Rak 1)
    shelf_2: int  # another shelf of HOME, same room
    other_shelf: int  # a shelf of OTHER


def _tree(court: int, tag: str) -> tuple[int, int]:
    """Building > room > two shelves of ``court``; return the shelves' ids."""
    building = FileLocation(court_id=court, kind="bangunan", name=f"Blok {tag}")
    room = FileLocation(
        court_id=court, kind="bilik", name="Bilik Rekod", parent=building
    )
    shelves = [
        FileLocation(court_id=court, kind="rak", name=f"Rak {n}", parent=room)
        for n in (1, 2)
    ]
    db.session.add_all([building, room, *shelves])
    db.session.flush()
    return shelves[0].id, shelves[1].id


@pytest.fixture(scope="session")
def office(app: Flask) -> Office:
    officer = make_officer(app, "Records Officer", (HOME,))
    receiver = make_officer(app, "Records Officer", (OTHER,))
    clerk = make_officer(app, "Clerk", (HOME,))
    judge = make_officer(app, "Judge", (HOME,), judge=True)
    with app.app_context():
        shelf, shelf_2 = _tree(court_id(HOME), "A")
        other_shelf, _ = _tree(court_id(OTHER), "B")
        db.session.commit()
    return Office(officer, receiver, clerk, judge, shelf, shelf_2, other_shelf)


def new_case(app: Flask, office: Office) -> int:
    """Register a case of HOME as its clerk, in a context of its own."""
    with app.app_context():
        act_as(app, office.clerk)
        request = registration(
            HOME, user=office.clerk, from_court=HOME, title=f"Tuntutan {next(_serial)}"
        )
        return cases.register_case(request).id


def file_row(app: Flask, file_id: int) -> dict[str, Any]:
    """The volume's stored columns, read in a context of its own."""
    with app.app_context():
        row = db.session.execute(
            sa.select(CaseFile.__table__).where(CaseFile.__table__.c.id == file_id)
        ).one()
        return dict(row._mapping)


def movement_count(app: Flask, file_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count(FileMovement.id)).where(
                FileMovement.file_id == file_id
            )
        )
