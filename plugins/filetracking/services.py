"""File tracking rules: volumes, movements, scanning and the where-is queries.

Free of request objects: the screens, jobs and any future API call these
functions. Each movement checks the volume against the one access check, then
the rule, and only then changes anything: a refusal (``FileError`` naming the
field and the rule, or ``access.OutOfScope`` for another court's volume)
leaves the database as it was. Movements commit on success.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import User

from plugins.cases.models import Case
from plugins.filetracking.models import (
    CaseFile,
    FileLocation,
    FileMovement,
    FileState,
    LocationKind,
    MovementKind,
)
from portal.extensions import db
from portal.jobs import emit
from portal.models import Court, utcnow
from portal.security import access

logger = logging.getLogger(__name__)

#: Longest purpose of a loan (the column's width).
MAX_PURPOSE = 300

#: Movements offered next, by the volume's state (see ``next_movements``).
NEXT_MOVEMENTS: dict[str, tuple[str, ...]] = {
    FileState.IN_PLACE: (
        MovementKind.CHECKOUT,
        MovementKind.TRANSFER_LOCATION,
        MovementKind.TRANSFER_COURT,
    ),
    FileState.ON_LOAN: (MovementKind.RETURN,),
    FileState.IN_TRANSIT: (MovementKind.RECEIVE,),
}


class FileError(ValueError):
    """A movement or query refused; ``field`` and ``rule`` say what and why."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


def local_today() -> date:
    """Today in the state's time zone: due dates are court days, not UTC days."""
    from portal.app import spkms

    return datetime.now(ZoneInfo(spkms().profile.timezone)).date()


def make_label(case_number: str, volume: int) -> str:
    """The label code of a volume: the case number and ``/J`` plus the volume."""
    return f"{case_number}/J{volume}"


def normalise_label(code: str | None) -> str:
    """A scanned or typed code as stored: trimmed, upper case, no inner spaces.

    A USB scanner types the code and Enter; people add spaces and lower case.
    """
    return "".join((code or "").split()).upper()


# --- locations ----------------------------------------------------------------


def check_location(location: FileLocation) -> None:
    """Refuse a location whose kind, parent or holder breaks the tree's rules.

    Called by the location screens before a location is added or changed: the
    parent must belong to the same court and be of a kind that may hold this
    one, the tree must not loop, and only a desk names a holder.
    """
    if location.kind not in LocationKind.LABELS:
        raise FileError("kind", f"unknown kind of location {location.kind!r}")
    if not (location.name or "").strip():
        raise FileError("name", "is required")
    with db.session.no_autoflush:
        parent = location.parent
        if parent is None and location.parent_id is not None:
            parent = db.session.get(FileLocation, location.parent_id)
        court_id = location.court_id
        if court_id is None and location.court is not None:
            court_id = location.court.id
        parent_kind = parent.kind if parent is not None else None
        if parent_kind not in LocationKind.PARENTS[location.kind]:
            where = LocationKind.LABELS.get(parent_kind or "", "the top of the tree")
            raise FileError(
                "parent",
                f"a {LocationKind.LABELS[location.kind]} cannot sit under {where}",
            )
        if parent is not None and parent.court_id != court_id:
            raise FileError("parent", "must be a location of the same court")
        node = parent
        while node is not None:
            if location.id is not None and node.id == location.id:
                raise FileError("parent", "a location cannot sit inside itself")
            node = node.parent
    if location.holder_id is not None and location.kind != LocationKind.DESK:
        raise FileError("holder", "only an officer's desk has a holder")


def _location_of_court(location_id: int | None, court_id: int, field: str) -> Any:
    location = db.session.get(FileLocation, location_id) if location_id else None
    if location is None or location.court_id != court_id:
        raise FileError(field, "is not a location of the court keeping the file")
    return location


# --- volumes ------------------------------------------------------------------


def _record(file: CaseFile, kind: str, by_id: int, **values: Any) -> FileMovement:
    now = utcnow()
    movement = FileMovement(file=file, kind=kind, by_id=by_id, at=now, **values)
    db.session.add(movement)
    file.since = now
    db.session.flush()
    emit("file_moved", file_id=file.id, movement_id=movement.id, kind=kind)
    return movement


def _commit() -> None:
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def open_volume(case: Case, location_id: int | None, *, by_id: int) -> CaseFile:
    """Open the next volume of a case at a location of the case's court; commit.

    The first volume is J1; each later one takes the next number. The label
    code is derived from the case number, so it is unique and readable.
    """
    access.check(case, action="open_file")
    allowed = access.allowed_court_ids()
    if allowed is not None and case.court_id not in allowed:
        raise FileError("case", "you may only open files for the courts you serve")
    location = _location_of_court(location_id, case.court_id, "location")
    last = db.session.scalar(
        sa.select(sa.func.max(CaseFile.volume)).where(CaseFile.case_id == case.id)
    )
    volume = (last or 0) + 1
    file = CaseFile(
        case=case,
        court_id=case.court_id,
        volume=volume,
        label=make_label(case.case_number, volume),
        state=FileState.IN_PLACE,
        location=location,
    )
    db.session.add(file)
    _record(file, MovementKind.OPEN, by_id, to_location=location)
    _commit()
    logger.info(
        "file opened: %s file=%s at location=%s by=%s",
        file.label,
        file.id,
        location.id,
        by_id,
    )
    return file


def _writable(file: CaseFile, action: str) -> None:
    """Refuse a movement on a volume the officer may not see, or not move.

    Another court's volume is *not found* (``OutOfScope``, logged); a volume on
    its way to the officer's court is visible but only its receipt is theirs.
    The volume's row is locked and re-read first, so two desks moving the same
    volume at once queue (PostgreSQL row lock; SQLite's write lock is taken
    at BEGIN) and the second sees the first one's state.
    """
    db.session.execute(
        sa.select(CaseFile.id).where(CaseFile.id == file.id).with_for_update()
    )
    db.session.refresh(file)
    access.check(file, action=action)
    allowed = access.allowed_court_ids()
    if action == MovementKind.RECEIVE:
        if allowed is not None and file.transit_court_id not in allowed:
            raise FileError("court", "only the receiving court confirms receipt")
    elif allowed is not None and file.court_id not in allowed:
        raise FileError("court", "the file is kept by another court")


def _require_state(file: CaseFile, wanted: str, rule: str) -> None:
    if file.state != wanted:
        raise FileError("state", f"{file.label} {rule} ({file.state_label})")


def check_out(
    file: CaseFile,
    *,
    borrower_id: int | None,
    purpose: str | None,
    due_on: date | None,
    by_id: int,
    today: date | None = None,
) -> FileMovement:
    """Lend a volume that is in place to a named officer until ``due_on``; commit."""
    _writable(file, MovementKind.CHECKOUT)
    _require_state(file, FileState.IN_PLACE, "is not in place: it cannot be lent")
    borrower = db.session.get(User, borrower_id) if borrower_id else None
    if borrower is None or not borrower.active:
        raise FileError("borrower", "must be an active officer")
    purpose = (purpose or "").strip()
    if not purpose:
        raise FileError("purpose", "is required")
    if len(purpose) > MAX_PURPOSE:
        raise FileError("purpose", f"must be at most {MAX_PURPOSE} characters")
    if due_on is None:
        raise FileError("due_on", "is required")
    if due_on < (today or local_today()):
        raise FileError("due_on", "must not be in the past")
    movement = _record(
        file,
        MovementKind.CHECKOUT,
        by_id,
        from_location_id=file.location_id,
        borrower_id=borrower.id,
        purpose=purpose,
        due_on=due_on,
    )
    file.state = FileState.ON_LOAN
    file.holder_id = borrower.id
    file.due_on = due_on
    _commit()
    logger.info(
        "file lent: %s movement=%s to user=%s due=%s by=%s",
        file.label,
        movement.id,
        borrower.id,
        due_on.isoformat(),
        by_id,
    )
    return movement


def return_file(
    file: CaseFile, *, by_id: int, location_id: int | None = None
) -> FileMovement:
    """Take a lent volume back, to its own place unless another is named; commit."""
    _writable(file, MovementKind.RETURN)
    _require_state(file, FileState.ON_LOAN, "is not on loan: it cannot be returned")
    location = (
        _location_of_court(location_id, file.court_id, "location")
        if location_id
        else file.location
    )
    movement = _record(
        file,
        MovementKind.RETURN,
        by_id,
        borrower_id=file.holder_id,
        to_location=location,
    )
    file.state = FileState.IN_PLACE
    file.location = location
    file.holder_id = None
    file.due_on = None
    _commit()
    logger.info(
        "file returned: %s movement=%s from user=%s by=%s",
        file.label,
        movement.id,
        movement.borrower_id,
        by_id,
    )
    return movement


def transfer_location(
    file: CaseFile, location_id: int | None, *, by_id: int
) -> FileMovement:
    """Move a volume in place to another location of its court; commit."""
    _writable(file, MovementKind.TRANSFER_LOCATION)
    _require_state(file, FileState.IN_PLACE, "is not in place: it cannot be moved")
    location = _location_of_court(location_id, file.court_id, "location")
    if location.id == file.location_id:
        raise FileError("location", "the file is already there")
    movement = _record(
        file,
        MovementKind.TRANSFER_LOCATION,
        by_id,
        from_location_id=file.location_id,
        to_location=location,
    )
    file.location = location
    _commit()
    logger.info(
        "file moved: %s movement=%s to location=%s by=%s",
        file.label,
        movement.id,
        location.id,
        by_id,
    )
    return movement


def transfer_court(
    file: CaseFile, court_id: int | None, *, by_id: int, purpose: str | None = None
) -> FileMovement:
    """Send a volume in place to another court; it is in transit until received."""
    _writable(file, MovementKind.TRANSFER_COURT)
    _require_state(file, FileState.IN_PLACE, "is not in place: it cannot be sent")
    court = db.session.get(Court, court_id) if court_id else None
    if court is None or not court.active:
        raise FileError("court", "is not an active court of this state")
    if court.id == file.court_id:
        raise FileError("court", "the file is already kept by that court")
    movement = _record(
        file,
        MovementKind.TRANSFER_COURT,
        by_id,
        from_location_id=file.location_id,
        from_court_id=file.court_id,
        to_court_id=court.id,
        purpose=(purpose or "").strip()[:MAX_PURPOSE] or None,
    )
    file.state = FileState.IN_TRANSIT
    file.transit_court_id = court.id
    file.location = None
    _commit()
    logger.info(
        "file sent: %s movement=%s to court=%s by=%s",
        file.label,
        movement.id,
        court.code,
        by_id,
    )
    return movement


def receive(file: CaseFile, location_id: int | None, *, by_id: int) -> FileMovement:
    """Confirm a volume sent to the officer's court arrived; it is theirs now."""
    _writable(file, MovementKind.RECEIVE)
    _require_state(
        file, FileState.IN_TRANSIT, "is not in transit: there is nothing to receive"
    )
    court_id = file.transit_court_id
    assert court_id is not None  # every transit names its court
    location = _location_of_court(location_id, court_id, "location")
    sent = db.session.scalar(
        sa.select(FileMovement)
        .where(
            FileMovement.file_id == file.id,
            FileMovement.kind == MovementKind.TRANSFER_COURT,
            FileMovement.received_at.is_(None),
        )
        .order_by(FileMovement.id.desc())
    )
    now = utcnow()
    if sent is not None:
        sent.received_by_id = by_id
        sent.received_at = now
    movement = _record(
        file,
        MovementKind.RECEIVE,
        by_id,
        from_court_id=file.court_id,
        to_court_id=court_id,
        to_location=location,
        received_by_id=by_id,
        received_at=now,
    )
    file.court_id = court_id
    file.transit_court_id = None
    file.location = location
    file.state = FileState.IN_PLACE
    _commit()
    logger.info(
        "file received: %s movement=%s at court=%s location=%s by=%s",
        file.label,
        movement.id,
        court_id,
        location.id,
        by_id,
    )
    return movement


# --- scanning and queries -----------------------------------------------------


@dataclass(frozen=True)
class Scan:
    """A scanned label: the volume and the movements that make sense next."""

    file: CaseFile
    next_movements: tuple[str, ...]


def next_movements(file: CaseFile) -> tuple[str, ...]:
    """The movements the current officer may record next on ``file``.

    In transit, only the receiving court's officers are offered the receipt;
    the sending court waits.
    """
    allowed = access.allowed_court_ids()
    if file.state == FileState.IN_TRANSIT:
        if allowed is None or file.transit_court_id in allowed:
            return NEXT_MOVEMENTS[file.state]
        return ()
    if allowed is not None and file.court_id not in allowed:
        return ()
    return NEXT_MOVEMENTS.get(file.state, ())


def lookup_label(code: str | None) -> Scan:
    """Find the volume with a scanned or typed label code.

    An unknown code and another court's volume get the same refusal, so a scan
    says nothing about files the officer may not see (the latter is logged).
    """
    label = normalise_label(code)
    if not label:
        raise FileError("label", "scan or type a label code")
    file = db.session.scalar(sa.select(CaseFile).where(CaseFile.label == label))
    try:
        if file is None:
            raise access.OutOfScope(CaseFile.__tablename__, label)
        access.check(file, action="scan")
    except access.OutOfScope as exc:
        logger.info("scan of unknown label %r", label)
        raise FileError("label", f"no file has the label {label}") from exc
    return Scan(file, next_movements(file))


def visible_file(file_id: int, action: str = "read") -> CaseFile:
    """The volume ``file_id`` if the officer may see it, else ``OutOfScope``."""
    file = db.session.get(CaseFile, file_id)
    if file is None:
        raise access.OutOfScope(CaseFile.__tablename__, file_id)
    access.check(file, action=action)
    return file


def history(file: CaseFile) -> list[FileMovement]:
    """Every movement of the volume, oldest first (who, when, from, to)."""
    return list(
        db.session.scalars(
            sa.select(FileMovement)
            .where(FileMovement.file_id == file.id)
            .order_by(FileMovement.at, FileMovement.id)
        )
    )


def files_of_case(case: Case) -> list[CaseFile]:
    """The volumes of a case the officer may see, in volume order."""
    return list(
        db.session.scalars(
            access.scoped(
                sa.select(CaseFile)
                .where(CaseFile.case_id == case.id)
                .order_by(CaseFile.volume),
                CaseFile,
            )
        )
    )


def files_held_by(user_id: int) -> list[CaseFile]:
    """Volumes lent to an officer (in the viewer's scope), longest held first."""
    return list(
        db.session.scalars(
            access.scoped(
                sa.select(CaseFile)
                .where(
                    CaseFile.state == FileState.ON_LOAN, CaseFile.holder_id == user_id
                )
                .order_by(CaseFile.since),
                CaseFile,
            )
        )
    )


def overdue_files(today: date | None = None) -> list[CaseFile]:
    """Volumes on loan past their due date, most overdue first.

    The reminder rule in ``plugins.filetracking.reminders`` tells the
    borrowers; this list is the records office's own view of the same loans.
    """
    statement = (
        sa.select(CaseFile)
        .where(
            CaseFile.state == FileState.ON_LOAN,
            CaseFile.due_on < (today or local_today()),
        )
        .order_by(CaseFile.due_on, CaseFile.id)
    )
    return list(db.session.scalars(access.scoped(statement, CaseFile)))


def parse_due_date(value: str | None) -> date | None:
    """A due date from a form (``YYYY-MM-DD``), or ``FileError`` naming it."""
    if not value:
        return None
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError as exc:
        raise FileError("due_on", "expected a date like 2026-12-31") from exc
