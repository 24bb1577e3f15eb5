"""Physical case files (fail kes), where they are kept, and how they moved.

A case's paper file is kept in one or more volumes (jilid). Each volume has a
label printed with its code and a QR code, sits somewhere in its court's
location tree (building, room, shelf, or an officer's desk) and moves only
through recorded movements, so the portal can say at any moment where a file
is, who holds it and since when.

Scope: ``CaseFile`` is court-owned by the court that keeps the volume now, not
scoped through its case. A volume sent to another court (a transferred case)
goes on under that court's records officer, while the case row stays with the
court that registered it; scoping the volume through its case would hide it
from the very officer who must receive and keep it. While a volume is in
transit, both the sending and the receiving court see it (``court_scope``).
``FileMovement`` is owned through its volume, so a volume's history travels
with it.

TODO(sealed cases): a volume of a confidential case is visible to every
officer of the court keeping it (its label shows the case number, nothing
else); narrowing it like its case needs a viewer-aware ``court_scope``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugins.cases.models import Case
from portal.models import Court, CourtOwned, Timestamped, utcnow


class LocationKind:
    """Levels of a court's location tree, outermost first, and an officer's desk.

    A building holds rooms, a room holds shelves; a desk (meja pegawai, a
    judge's chambers) may hang anywhere in the tree or stand alone.
    """

    BUILDING = "bangunan"
    ROOM = "bilik"
    SHELF = "rak"
    DESK = "meja"
    LABELS = {BUILDING: "Bangunan", ROOM: "Bilik", SHELF: "Rak", DESK: "Meja Pegawai"}
    #: What each kind may sit under (``None``: the top of the tree).
    PARENTS: dict[str, frozenset[str | None]] = {
        BUILDING: frozenset({None}),
        ROOM: frozenset({BUILDING}),
        SHELF: frozenset({ROOM}),
        DESK: frozenset({None, BUILDING, ROOM}),
    }


class FileState:
    """Where a volume stands: in its place, lent out, or on its way to a court."""

    IN_PLACE = "ada"
    ON_LOAN = "dipinjam"
    IN_TRANSIT = "dalam_transit"
    LABELS = {
        IN_PLACE: "Di Lokasi",
        ON_LOAN: "Dipinjam",
        IN_TRANSIT: "Dalam Transit",
    }


class MovementKind:
    """What a movement did to a volume.

    ``open`` records the volume's first place; ``transfer_court`` sends it to
    another court and ``receive`` is that court confirming it arrived.
    """

    OPEN = "open"
    CHECKOUT = "checkout"
    RETURN = "return"
    TRANSFER_LOCATION = "transfer_location"
    TRANSFER_COURT = "transfer_court"
    RECEIVE = "receive"
    LABELS = {
        OPEN: "Buka Jilid",
        CHECKOUT: "Pinjaman",
        RETURN: "Pulang",
        TRANSFER_LOCATION: "Pindah Lokasi",
        TRANSFER_COURT: "Pindah Mahkamah",
        RECEIVE: "Terima",
    }


class FileLocation(CourtOwned, Timestamped, Model):
    """A place of one court where volumes are kept (lokasi).

    ``holder`` names the officer whose desk it is; other kinds have none.
    """

    __tablename__ = "file_location"
    __versioned__: dict[str, Any] = {}
    __table_args__ = (sa.UniqueConstraint("court_id", "parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("file_location.id"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    holder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    note: Mapped[str | None] = mapped_column(sa.String(300))

    parent: Mapped[FileLocation | None] = relationship(remote_side=[id])
    holder: Mapped[Any] = relationship("User")

    @property
    def kind_label(self) -> str:
        return LocationKind.LABELS.get(self.kind, self.kind)

    @property
    def path(self) -> str:
        """The place from the top of the tree, e.g. ``Blok A > Bilik Rekod > Rak 3``."""
        names: list[str] = []
        node: FileLocation | None = self
        seen: set[int | None] = set()
        while node is not None and node.id not in seen:
            seen.add(node.id)
            names.append(node.name)
            node = node.parent
        return " > ".join(reversed(names))

    def __repr__(self) -> str:
        return self.path


class CaseFile(CourtOwned, Timestamped, Model):
    """One physical volume (jilid) of a case's file, with its label code.

    ``court`` keeps the volume now (see the module docstring).
    ``location`` is where it sits when in place and where it goes back to
    after a loan; ``holder`` and ``due_on`` describe a loan in progress;
    ``transit_court`` is the court it was sent to until that court receives
    it. ``since`` is the time of its last movement.
    """

    __tablename__ = "case_file"
    __versioned__: dict[str, Any] = {}
    __table_args__ = (sa.UniqueConstraint("case_id", "volume"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("court_case.id"), nullable=False, index=True
    )
    volume: Mapped[int] = mapped_column(nullable=False)
    label: Mapped[str] = mapped_column(sa.String(60), unique=True, nullable=False)
    state: Mapped[str] = mapped_column(
        sa.String(15), nullable=False, default=FileState.IN_PLACE, index=True
    )
    location_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("file_location.id"), index=True
    )
    holder_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ab_user.id"), index=True
    )
    due_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    transit_court_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("court.id"), index=True
    )
    since: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow
    )

    case: Mapped[Case] = relationship()
    location: Mapped[FileLocation | None] = relationship()
    holder: Mapped[Any] = relationship("User", foreign_keys=[holder_id])
    transit_court: Mapped[Court | None] = relationship(foreign_keys=[transit_court_id])
    movements: Mapped[list[FileMovement]] = relationship(
        back_populates="file", order_by="FileMovement.id"
    )

    @classmethod
    def court_scope(cls, court_ids: frozenset[int]) -> sa.ColumnElement[bool]:
        """SQL condition: kept by, or on its way to, one of ``court_ids``."""
        ids = sorted(court_ids)
        return sa.or_(cls.court_id.in_(ids), cls.transit_court_id.in_(ids))

    @property
    def state_label(self) -> str:
        return FileState.LABELS.get(self.state, self.state)

    @property
    def case_number(self) -> str:
        return self.case.case_number

    @property
    def whereabouts(self) -> str:
        """Where the volume is, in words for the screen."""
        if self.state == FileState.ON_LOAN:
            return f"Dipinjam oleh {self.holder}"
        if self.state == FileState.IN_TRANSIT and self.transit_court is not None:
            return f"Dalam perjalanan ke {self.transit_court.name}"
        return str(self.location) if self.location is not None else "-"

    def __repr__(self) -> str:
        return self.label


class FileMovement(Model):
    """One recorded movement of a volume (pergerakan fail); never changed after.

    The one exception is a transfer to another court, whose ``received_by`` /
    ``received_at`` are filled when the receiving court confirms it; that
    confirmation is also a movement of its own (``receive``).
    """

    __tablename__ = "file_movement"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_file.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    from_location_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("file_location.id")
    )
    to_location_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("file_location.id")
    )
    from_court_id: Mapped[int | None] = mapped_column(sa.ForeignKey("court.id"))
    to_court_id: Mapped[int | None] = mapped_column(sa.ForeignKey("court.id"))
    borrower_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ab_user.id"), index=True
    )
    purpose: Mapped[str | None] = mapped_column(sa.String(300))
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("ab_user.id"), nullable=False)
    at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )
    received_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    received_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    file: Mapped[CaseFile] = relationship(back_populates="movements")
    from_location: Mapped[FileLocation | None] = relationship(
        foreign_keys=[from_location_id]
    )
    to_location: Mapped[FileLocation | None] = relationship(
        foreign_keys=[to_location_id]
    )
    from_court: Mapped[Court | None] = relationship(foreign_keys=[from_court_id])
    to_court: Mapped[Court | None] = relationship(foreign_keys=[to_court_id])
    borrower: Mapped[Any] = relationship("User", foreign_keys=[borrower_id])
    by: Mapped[Any] = relationship("User", foreign_keys=[by_id])
    received_by: Mapped[Any] = relationship("User", foreign_keys=[received_by_id])

    @classmethod
    def scope_parent(cls) -> tuple[Any, type]:
        return cls.file_id, CaseFile

    @property
    def kind_label(self) -> str:
        return MovementKind.LABELS.get(self.kind, self.kind)

    def __repr__(self) -> str:
        return f"{self.kind_label} {self.at:%d/%m/%Y %H:%M}"
