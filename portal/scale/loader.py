"""The scale data set: a state's decade of cases, loaded in bulk.

``load_scale(1.0)`` adds 1,000,000 party profiles and 300,000 cases of the
years 2016 to today, with their parties, hearings and file volumes, to the
profile's courts and 40 judges; ``scale`` shrinks or grows the profiles and
cases (courts and judges stay). Everything goes in one transaction through
``BulkWriter`` (COPY on PostgreSQL, executemany on SQLite) and is drawn from
a seeded random generator, so two loads of the same scale are alike.

What the bulk path must keep true, because services would have:

- every case number series ends at the last number loaded
  (``CaseNumberSeries``), so the next registration continues it;
- ``Party.name_key`` is written with ``search.name_key`` and the trigram
  index is rebuilt after the load (dropping it first is much faster than
  updating a GIN index row by row);
- each id sequence continues after the loaded ids;
- a case whose type has a registration fee has its ``case_fee`` row, as
  registration would have written it; all but the most recent few are paid
  by a receipt at the registering court's counter ``<court>-K1``, numbered
  in the counter's online series as ``issue_receipt`` would have, and each
  series ends at the last number loaded (``portal.scale.receipts``).

History: every loaded row has one insert version (Continuum), holding the
row as loaded. A case's rows (the case, its parties, hearings, volumes and
their movements, its fee and the receipt that paid it with its line) share
one Continuum transaction dated at registration by the registering clerk;
profiles share one transaction per thousand. Status
changes and hearing outcomes are not replayed as later versions: that
would triple the rows for history nobody reads in a demo. No events are
emitted (no notices for past cases) and no allocation records are written:
judges' loads are counted from ``Case.judge_id`` and an empty chain
verifies, so allocation needs none.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from portal.demo import DemoOfficer, seed_officers
from portal.models import Court, Judge
from portal.scale.bulk import BulkWriter
from portal.scale.cases import load_cases
from portal.scale.people import FEMALE, MALE, MyKadMaker, person_name
from portal.scale.receipts import (
    ReceiptBook,
    collections_enabled,
    open_counters,
    receipt_book,
)

logger = logging.getLogger(__name__)

#: The full data set (``scale`` 1.0).
FULL_PARTIES = 1_000_000
FULL_CASES = 300_000
#: Judges of the state, whatever the scale; shares per court level.
JUDGES = 40
JUDGE_SHARE = {"rayuan": 3, "tinggi": 4}
FIRST_YEAR = 2016
#: Rows per COPY / executemany batch.
CHUNK = 10_000
#: Profiles per Continuum transaction.
PROFILES_PER_TRANSACTION = 1_000
MAX_SCALE = 5.0
#: The one password of the officers the data set adds (printed by the demo).
SCALE_PASSWORD = "skala-demo"  # noqa: S105

#: Case types most courts see most, weighted up against the rest.
COMMON_TYPES = {
    "055": 20,
    "018": 10,
    "024": 8,
    "028": 8,
    "010": 12,
    "040": 10,
    "143": 6,
    "001": 10,
}
CLOSED = (("diputuskan", 78), ("ditarik_balik", 12), ("dibatalkan", 7))
TOWNS = (
    ("Kuala Terengganu", "20000"),
    ("Kuala Nerus", "21300"),
    ("Besut", "22200"),
    ("Jerteh", "22000"),
    ("Kuala Berang", "21700"),
    ("Marang", "21600"),
    ("Dungun", "23000"),
    ("Chukai", "24000"),
    ("Kerteh", "24300"),
    ("Permaisuri", "22100"),
)
STREETS = ("Kampung", "Taman", "Jalan", "Lorong", "Felda")


class ScaleError(ValueError):
    """A refused load; ``field`` and ``rule`` say why."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


@dataclass
class LoadReport:
    """What a load wrote and how long it took.

    ``rows`` counts the rows written per table, version tables apart (for
    instance ``receipt`` and ``receipt_version``), so a caller can tell what
    the load brought besides the cases.
    """

    scale: float
    seconds: float = 0.0
    rows: Counter[str] = field(default_factory=Counter)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def planned(scale: float) -> tuple[int, int]:
    """Profiles and cases for ``scale``; refuses a scale out of range."""
    if not 0 < scale <= MAX_SCALE:
        raise ScaleError("scale", f"must be more than 0 and at most {MAX_SCALE:g}")
    return max(10, round(FULL_PARTIES * scale)), max(5, round(FULL_CASES * scale))


def estimated_rows(scale: float) -> int:
    """Roughly how many rows a load writes, for a progress bar's length."""
    parties, cases = planned(scale)
    # base row and version of: profile; case, ~1.8 parties, ~2.5 hearings,
    # ~1.05 volumes, ~2.1 movements, ~0.85 fees, ~0.84 receipts with one
    # line each; plus the transactions.
    return 2 * parties + round(cases * (2 * 10.9 + 1)) + parties // 1000


# --- officers and places ------------------------------------------------------


def _officers(courts: list[Court], session: Session) -> tuple[DemoOfficer, ...]:
    """Judges up to ``JUDGES`` spread over the courts, and a clerk per court."""
    have = Counter(session.scalars(sa.select(Judge.court_id)))
    wanted: dict[int, int] = {}
    district = [c for c in courts if c.level not in JUDGE_SHARE]
    for court in courts:
        wanted[court.id] = JUDGE_SHARE.get(court.level, 0)
    left = JUDGES - sum(wanted.values())
    for index, court in enumerate(district):
        wanted[court.id] = left // len(district) + (index < left % len(district))
    extra: list[DemoOfficer] = []
    users = set(session.scalars(sa.text("SELECT username FROM ab_user")))
    for court in courts:
        missing = wanted[court.id] - have[court.id]
        number = 0
        while missing > 0:
            number += 1
            username = f"hakim.{court.code}.{number}"
            if username in users:
                continue
            extra.append(
                DemoOfficer(
                    username,
                    "Hakim",
                    f"{court.district} {number}",
                    "Judge",
                    (court.code,),
                    judge=True,
                )
            )
            missing -= 1
        clerk = f"kerani.{court.code}"
        if clerk not in users:
            extra.append(
                DemoOfficer(clerk, "Kerani", court.district, "Clerk", (court.code,))
            )
    return tuple(extra)


def _locations(courts: list[Court], session: Session) -> dict[int, tuple[list, list]]:
    """Shelves of each court's records room and archive, created when missing."""
    from plugins.filetracking.models import FileLocation, LocationKind

    shelves: dict[int, tuple[list, list]] = {}
    for court in courts:
        rooms = []
        for room_name in ("Bilik Rekod", "Bilik Arkib"):
            building = session.scalar(
                sa.select(FileLocation).where(
                    FileLocation.court_id == court.id,
                    FileLocation.kind == LocationKind.BUILDING,
                    FileLocation.name == "Bangunan Mahkamah",
                )
            ) or FileLocation(
                court_id=court.id, kind=LocationKind.BUILDING, name="Bangunan Mahkamah"
            )
            room = (
                session.scalar(
                    sa.select(FileLocation).where(
                        FileLocation.parent_id == building.id,
                        FileLocation.name == room_name,
                    )
                )
                if building.id
                else None
            )
            if room is None:
                room = FileLocation(
                    court_id=court.id,
                    kind=LocationKind.ROOM,
                    name=room_name,
                    parent=building,
                )
                for number in range(1, 13):
                    session.add(
                        FileLocation(
                            court_id=court.id,
                            kind=LocationKind.SHELF,
                            name=f"Rak {number}",
                            parent=room,
                        )
                    )
            session.add(room)
            session.flush()
            rooms.append(
                list(
                    session.scalars(
                        sa.select(FileLocation.id).where(
                            FileLocation.parent_id == room.id
                        )
                    )
                )
            )
        shelves[court.id] = (rooms[0], rooms[1])
    return shelves


# --- the load -----------------------------------------------------------------


@dataclass
class _Context:
    """What the case generator draws from."""

    rng: random.Random
    today: date
    now: datetime
    courts: list[Court]
    court_weights: list[float]
    types_by_level: dict[str, list[Any]]
    type_weights: dict[str, list[float]]
    judges: dict[int, list[tuple[int, int]]]
    clerks: dict[int, int]
    shelves: dict[int, tuple[list, list]]
    first_party: int
    parties: int
    lawyers: list[int]
    district_courts: list[Court]
    identities: list[str]
    receipts: ReceiptBook | None


def load_scale(
    session: Session,
    scale: float,
    *,
    seed: int = 2026,
    today: date | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> LoadReport:
    """Add the data set of ``scale`` to the database and commit it.

    Officers, their postings and file locations are created the ordinary way
    (they are few); profiles and cases go by the bulk path. Any failure rolls
    the whole load back.
    """
    from plugins.cases.models import CaseType

    parties, cases = planned(scale)
    started = time.perf_counter()
    report = LoadReport(scale=scale)
    now = datetime.now(UTC)
    today = today or now.date()
    rng = random.Random(seed)  # noqa: S311 (repeatable demo data, not secrets)
    try:
        courts = list(
            session.scalars(sa.select(Court).where(Court.active).order_by(Court.code))
        )
        if not courts:
            raise ScaleError("courts", "none in the database; run spkms init first")
        seed_officers(
            _officers(courts, session),
            password_hash=generate_password_hash(SCALE_PASSWORD),
        )
        shelves = _locations(courts, session)
        if collections_enabled():
            open_counters(session, courts)
        session.commit()

        writer = BulkWriter(session, on_rows)
        writer.defer_indexes(_loaded_tables())
        types = list(session.scalars(sa.select(CaseType).where(CaseType.active)))
        types_by_level: dict[str, list[Any]] = {}
        for case_type in types:
            types_by_level.setdefault(case_type.level, []).append(case_type)
        judges: dict[int, list[tuple[int, int]]] = {}
        for judge_id, user_id, court_id in session.execute(
            sa.select(Judge.id, Judge.user_id, Judge.court_id).where(Judge.active)
        ):
            judges.setdefault(court_id, []).append((judge_id, user_id))
        clerks = dict(
            session.execute(
                sa.text(
                    "SELECT oc.court_id, min(u.id) FROM officer_court oc"
                    " JOIN ab_user u ON u.id = oc.user_id"
                    " WHERE u.username LIKE 'kerani.%' GROUP BY oc.court_id"
                )
            ).all()
        )
        lawyers = _load_lawyers(writer, rng, now)
        first_party, names, identities = _load_parties(
            writer, rng, parties, courts, today, now
        )
        logger.info(
            "scale: %d profiles written at %.1f s",
            parties,
            time.perf_counter() - started,
        )
        # A court whose level has no case type (a high court in a profile that
        # puts every first-instance type at district level) gets no cases.
        weights = [
            _court_weight(c) if c.level in types_by_level else 0.0 for c in courts
        ]
        context = _Context(
            rng=rng,
            today=today,
            now=now,
            courts=courts,
            court_weights=weights,
            types_by_level=types_by_level,
            type_weights={
                level: [COMMON_TYPES.get(t.code, 1) for t in found]
                for level, found in types_by_level.items()
            },
            judges=judges,
            clerks=clerks,
            shelves=shelves,
            first_party=first_party,
            parties=parties,
            lawyers=lawyers,
            district_courts=[c for c in courts if c.level not in JUDGE_SHARE],
            identities=identities,
            receipts=receipt_book(session, rng, courts, clerks),
        )
        load_cases(writer, context, cases, names)
        if context.receipts is not None:
            context.receipts.save_series(writer)
        logger.info(
            "scale: %d cases written at %.1f s", cases, time.perf_counter() - started
        )
        writer.finish()
        session.commit()
    except Exception:
        session.rollback()
        raise
    if writer.postgres:
        # Statistics for the planner; the case table is also vacuumed, which
        # marks its pages all-visible so that counts and judges' loads are
        # answered from its indexes alone.
        with session.get_bind().connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            for name in writer.written:
                command = "VACUUM ANALYZE" if name == "court_case" else "ANALYZE"
                connection.execute(sa.text(f'{command} "{name}"'))
    report.rows = writer.written
    report.seconds = time.perf_counter() - started
    logger.info(
        "scale data set loaded: scale=%s rows=%d seconds=%.1f (%s)",
        scale,
        report.total_rows,
        report.seconds,
        ", ".join(f"{name}={rows}" for name, rows in sorted(report.rows.items())),
    )
    return report


def _loaded_tables() -> list[sa.Table]:
    """The tables that take millions of rows, and their version tables."""
    from sqlalchemy_continuum import version_class, versioning_manager

    from plugins.cases.models import Case, CaseParty, Hearing
    from plugins.filetracking.models import CaseFile, FileMovement
    from plugins.parties.models import Party

    models: tuple[type, ...] = (Party, Case, CaseParty, Hearing, CaseFile, FileMovement)
    if collections_enabled():
        from plugins.collections.models import CaseFee, Receipt, ReceiptLine

        models = (*models, Receipt, ReceiptLine, CaseFee)
    return [
        versioning_manager.transaction_cls.__table__,
        *(model.__table__ for model in models),
        *(version_class(model).__table__ for model in models),
    ]


def _court_weight(court: Court) -> float:
    """Busy district courts take most cases; the appeal court the fewest."""
    if court.level == "rayuan":
        return 0.3
    if court.level == "tinggi":
        return 0.8
    return 3.0 if court.code.endswith("001") else 1.2


def _load_lawyers(writer: BulkWriter, rng: random.Random, now: datetime) -> list[int]:
    """A bar of 150 Syarie lawyers (fewer if some of the numbers exist)."""
    from plugins.parties.models import Lawyer

    table = Lawyer.__table__
    taken = set(writer.connection.scalars(sa.select(table.c.certificate_number)))
    rows = []
    for number in range(1, 151):
        certificate = f"TRG/PS/{2000 + number % 25}/{number:03d}"
        if certificate in taken:
            continue
        gender = MALE if rng.random() < 0.6 else FEMALE
        rows.append(
            (
                person_name(rng, gender),
                certificate,
                f"Tetuan Firma Guaman {number:03d}",
                True,
                now,
                now,
            )
        )
    first = writer.take_ids(table, len(rows))
    ids = list(range(first, first + len(rows)))
    transaction = writer.take_ids(writer.transaction_table(), 1)
    writer.write_transactions([(transaction, now.replace(tzinfo=None), None)])
    writer.write_versioned(
        Lawyer,
        (
            "id",
            "name",
            "certificate_number",
            "firm",
            "active",
            "created_at",
            "changed_at",
        ),
        [(i, *row) for i, row in zip(ids, rows, strict=True)],
        [transaction] * len(rows),
    )
    return ids


PARTY_COLUMNS = (
    "id",
    "full_name",
    "name_key",
    "identity_type",
    "identity_number",
    "nationality",
    "birth_date",
    "gender",
    "address_line1",
    "postcode",
    "town",
    "state",
    "phone",
    "keyed_at_court_id",
    "created_at",
    "changed_at",
)


def _load_parties(
    writer: BulkWriter,
    rng: random.Random,
    count: int,
    courts: list[Court],
    today: date,
    now: datetime,
) -> tuple[int, list[str], list[str]]:
    """``count`` MyKad holders: the first id (ids are consecutive), names, MyKads.

    The names and numbers are kept for the cases: titles and receipts' payers.
    """
    from plugins.parties.models import Party
    from plugins.parties.search import name_key

    table = Party.__table__
    taken = set(
        writer.connection.scalars(
            sa.select(table.c.identity_number).where(table.c.identity_type == "mykad")
        )
    )
    maker = MyKadMaker(rng, today, taken)
    keys: dict[str, str] = {}
    first = writer.take_ids(table, count)
    first_tx = writer.take_ids(
        writer.transaction_table(), -(-count // PROFILES_PER_TRANSACTION)
    )
    court_ids = [c.id for c in courts]
    issued = now.replace(tzinfo=None)
    names: list[str] = []
    identities: list[str] = []
    for start in range(0, count, CHUNK):
        rows = []
        transactions = []
        for n in range(start, min(count, start + CHUNK)):
            gender = MALE if rng.random() < 0.5 else FEMALE
            born = maker.birth_date()
            name = person_name(rng, gender)
            names.append(name)
            key = keys.get(name)
            if key is None:
                key = keys[name] = name_key(name)
            town, postcode = rng.choice(TOWNS)
            identities.append(maker.make(born, gender))
            rows.append(
                (
                    first + n,
                    name,
                    key,
                    "mykad",
                    identities[-1],
                    "MYS",
                    born,
                    gender,
                    f"No. {rng.randint(1, 300)}, {rng.choice(STREETS)} {town}",
                    postcode,
                    town,
                    "Terengganu",
                    f"01{rng.randint(0, 9)}{rng.randint(1000000, 9999999)}",
                    rng.choice(court_ids),
                    now,
                    now,
                )
            )
            transactions.append(first_tx + n // PROFILES_PER_TRANSACTION)
        tx_rows = sorted(set(transactions))
        writer.write_transactions([(t, issued, None) for t in tx_rows])
        writer.write_versioned(Party, PARTY_COLUMNS, rows, transactions)
    return first, names, identities
