"""Cases of the scale data set and what hangs off them, generated in batches.

Each case is drawn as a court, a case type heard at that court's level and a
registration moment on a working day (Terengganu rests on Friday and
Saturday) between 2016 and yesterday. Cases are numbered in registration
order per court, type and year, exactly as ``take_running_number`` would
have, and the number series are left at the last number used. How far a
case got depends on its age against the type's charter period: old cases
are mostly decided, withdrawn or struck out, recent ones still open.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from portal.scale.bulk import BulkWriter
from portal.scale.receipts import (
    FEE_COLUMNS,
    LINE_COLUMNS,
    RECEIPT_COLUMNS,
    UNPAID_SHARE,
)

if TYPE_CHECKING:
    from portal.scale.loader import _Context

logger = logging.getLogger(__name__)

CASE_COLUMNS = (
    "id", "case_number", "case_type_id", "year", "running_number", "title",
    "status", "status_reason", "registered_at", "registered_by_id",
    "registered_from_id", "judge_id", "claim_amount_sen", "fee_due_sen",
    "closed_at", "court_id", "confidential", "created_at", "changed_at",
)  # fmt: skip
PARTY_COLUMNS = (
    "id", "case_id", "party_id", "role", "lawyer_id", "created_at", "changed_at"
)  # fmt: skip
HEARING_COLUMNS = (
    "id", "case_id", "kind", "starts_at", "courtroom", "outcome", "created_at",
    "changed_at",
)  # fmt: skip
FILE_COLUMNS = (
    "id", "case_id", "volume", "label", "state", "location_id", "holder_id",
    "due_on", "court_id", "since", "created_at", "changed_at",
)  # fmt: skip
MOVEMENT_COLUMNS = (
    "id", "file_id", "kind", "from_location_id", "to_location_id", "borrower_id",
    "purpose", "due_on", "by_id", "at",
)  # fmt: skip
#: The columns of each table of a batch.
COLUMNS = {
    "case": CASE_COLUMNS,
    "party": PARTY_COLUMNS,
    "hearing": HEARING_COLUMNS,
    "file": FILE_COLUMNS,
    "movement": MOVEMENT_COLUMNS,
    "receipt": RECEIPT_COLUMNS,
    "line": LINE_COLUMNS,
    "fee": FEE_COLUMNS,
}
#: Rows that point at a row of the same batch: the parent table and the
#: position (after the id) of the column holding the parent's batch index.
PARENTS = {"movement": ("file", 1), "line": ("receipt", 1), "fee": ("receipt", 3)}
#: Ending statuses of closed cases with their shares, and why each ended.
ENDINGS = (
    ("diputuskan", 78, None),
    ("ditarik_balik", 12, "Ditarik balik oleh plaintif/pemohon"),
    ("dibatalkan", 7, "Dibatalkan kerana tidak hadir"),
    ("dipindahkan", 3, "Dipindahkan ke mahkamah lain"),
)
#: Working days in Terengganu: Sunday to Thursday (Monday is 0).
WEEKEND = frozenset({4, 5})
#: 08:00 to 16:30 Malaysia time, in minutes after midnight UTC.
OFFICE_MINUTES = (0, 8 * 60 + 30)


def _working_day(rng: random.Random, first: date, last: date) -> date:
    span = (last - first).days
    while True:
        day = first + timedelta(days=rng.randint(0, max(span, 0)))
        if day.weekday() not in WEEKEND:
            return day


def _at(day: date, rng: random.Random, minutes: tuple[int, int]) -> datetime:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start + timedelta(minutes=rng.randint(*minutes), seconds=rng.randint(0, 59))


def _draw_specs(context: _Context, count: int) -> list[tuple[datetime, Any, Any]]:
    """``count`` (registered_at, court, case type) in registration order."""
    rng = context.rng
    yesterday = context.today - timedelta(days=1)
    years = list(range(2016, yesterday.year + 1))
    year_weights = [1 + 0.06 * (year - years[0]) for year in years]
    # The current year is still under way.
    year_weights[-1] *= yesterday.timetuple().tm_yday / 365
    specs = []
    for _ in range(count):
        court = rng.choices(context.courts, context.court_weights)[0]
        found = context.types_by_level[court.level]
        case_type = rng.choices(found, context.type_weights[court.level])[0]
        year = rng.choices(years, year_weights)[0]
        last = min(date(year, 12, 31), yesterday)
        day = _working_day(rng, date(year, 1, 1), last)
        specs.append((_at(day, rng, OFFICE_MINUTES), court, case_type))
    specs.sort(key=lambda spec: spec[0])
    return specs


def load_cases(
    writer: BulkWriter, context: _Context, count: int, names: list[str]
) -> None:
    """Generate ``count`` cases with parties, hearings, volumes; write them."""
    from plugins.cases.models import Case, CaseNumberSeries, CaseParty, Hearing
    from plugins.cases.services import format_case_number
    from plugins.filetracking.models import CaseFile, FileMovement

    series_table = CaseNumberSeries.__table__
    known = {
        (row.court_id, row.case_type_id, row.year): row.last_number
        for row in writer.connection.execute(
            sa.select(
                series_table.c.court_id,
                series_table.c.case_type_id,
                series_table.c.year,
                series_table.c.last_number,
            )
        )
    }
    series: Counter[tuple[int, int, int]] = Counter(known)
    specs = _draw_specs(context, count)
    models: dict[str, type] = {
        "case": Case,
        "party": CaseParty,
        "hearing": Hearing,
        "file": CaseFile,
        "movement": FileMovement,
    }
    book = context.receipts
    if book is not None:
        from plugins.collections.models import CaseFee, Receipt, ReceiptLine

        models.update(receipt=Receipt, line=ReceiptLine, fee=CaseFee)
        with_fee = sum(1 for _at, _court, case_type in specs if case_type.fee_sen)
        book.paid_until = with_fee - round(with_fee * UNPAID_SHARE)
    first_case = writer.take_ids(Case.__table__, len(specs))
    first_tx = writer.take_ids(writer.transaction_table(), len(specs))
    for start in range(0, len(specs), 2_000):
        batch = _Batch()
        for offset, (registered_at, court, case_type) in enumerate(
            specs[start : start + 2_000], start=start
        ):
            key = (court.id, case_type.id, registered_at.year)
            series[key] += 1
            number = format_case_number(
                court.code, case_type.code, series[key], registered_at.year
            )
            _one_case(
                batch,
                context,
                names,
                case_id=first_case + offset,
                transaction_id=first_tx + offset,
                number=number,
                running=series[key],
                registered_at=registered_at,
                court=court,
                case_type=case_type,
            )
        batch.flush(writer, models)
    _save_series(writer, series_table, known, series)


def _save_series(
    writer: BulkWriter,
    table: sa.Table,
    known: dict[tuple[int, int, int], int],
    series: Counter[tuple[int, int, int]],
) -> None:
    """Leave every series at its last number, so registration continues it."""
    new = [key for key in series if key not in known]
    first = writer.take_ids(table, len(new))
    writer.write(
        table,
        ("id", "court_id", "case_type_id", "year", "last_number"),
        [(first + i, *key, series[key]) for i, key in enumerate(new)],
    )
    for key, last in known.items():
        if series[key] != last:
            writer.connection.execute(
                sa.update(table)
                .where(
                    table.c.court_id == key[0],
                    table.c.case_type_id == key[1],
                    table.c.year == key[2],
                )
                .values(last_number=series[key])
            )


class _Batch:
    """Rows of a few thousand cases, written table by table.

    Rows that point at a row of the same batch (a movement at its volume, a
    receipt line or a fee at its receipt) hold the row's index in the batch
    until ``flush`` hands out the ids.
    """

    def __init__(self) -> None:
        self.transactions: list[tuple[Any, ...]] = []
        self.tables: dict[str, tuple[list[tuple[Any, ...]], list[int]]] = {
            name: ([], []) for name in COLUMNS
        }

    def add(self, name: str, row: tuple[Any, ...], transaction_id: int) -> None:
        rows, transactions = self.tables[name]
        rows.append(row)
        transactions.append(transaction_id)

    def flush(self, writer: BulkWriter, models: dict[str, type]) -> None:
        """Write the batch, parents before the rows that point at them.

        ``models`` maps each table of the batch to its model, in the order
        of writing; a table without a model (receipts when the collections
        plugin is not loaded) has no rows.
        """
        writer.write_transactions(self.transactions)
        first_ids: dict[str, int] = {}
        for name, model in models.items():
            rows, transactions = self.tables[name]
            if name != "case":
                first = writer.take_ids(model.__table__, len(rows))  # type: ignore[attr-defined]
                first_ids[name] = first
                rows = [(first + i, *row) for i, row in enumerate(rows)]
            parent = PARENTS.get(name)
            if parent is not None:
                base = first_ids.get(parent[0], 0)
                at = parent[1]
                rows = [
                    (
                        *row[:at],
                        None if row[at] is None else base + row[at],
                        *row[at + 1 :],
                    )
                    for row in rows
                ]
            writer.write_versioned(model, COLUMNS[name], rows, transactions)


def _one_case(
    batch: _Batch,
    context: _Context,
    names: list[str],
    *,
    case_id: int,
    transaction_id: int,
    number: str,
    running: int,
    registered_at: datetime,
    court: Any,
    case_type: Any,
) -> None:
    rng = context.rng
    today = context.today
    age = (today - registered_at.date()).days
    charter = case_type.resolution_days or 180
    if age > 2 * charter:
        closed_share = 0.97
    elif age > charter:
        closed_share = 0.85
    elif age > 60:
        closed_share = 0.35
    else:
        closed_share = 0.03
    closed_at = None
    reason = None
    if rng.random() < closed_share:
        status, _share, reason = rng.choices(ENDINGS, [e[1] for e in ENDINGS])[0]
        longest = max(1, min(age, int(charter * 1.5)))
        lasted = rng.randint(min(20, longest), longest)
        closed_at = min(
            registered_at + timedelta(days=lasted, hours=rng.randint(0, 6)),
            context.now - timedelta(minutes=5),
        )
    else:
        status = "didaftar"

    # Parties, in the roles the case type opens with.
    picks = rng.sample(range(context.parties), 2)
    if case_type.category == "jenayah":
        roles = ["tertuduh"]
        title = f"Pendakwa Syarie lwn {names[picks[0]]}"
    elif case_type.started_by == "permohonan":
        roles = ["pemohon"] + (["responden"] if rng.random() < 0.5 else [])
        title = f"Permohonan {case_type.name} oleh {names[picks[0]]}"
    else:
        roles = ["plaintif", "defendan"]
        title = f"{names[picks[0]]} lwn {names[picks[1]]}"
    for role, pick in zip(roles, picks, strict=False):
        lawyer = rng.choice(context.lawyers) if rng.random() < 0.3 else None
        batch.add(
            "party",
            (
                case_id,
                context.first_party + pick,
                role,
                lawyer,
                registered_at,
                registered_at,
            ),
            transaction_id,
        )

    # Hearings: a mention, then trials or sulh, a decision at the end.
    hearings: list[tuple[str, datetime, str | None]] = []
    moment = registered_at + timedelta(days=rng.randint(14, 45))
    end = closed_at or (context.now + timedelta(days=rng.randint(7, 60)))
    planned = rng.randint(1, 4)
    while moment < end and len(hearings) < planned:
        kind = "sebutan" if not hearings else rng.choice(("bicara", "sulh", "bicara"))
        past = moment < context.now
        outcome = (
            ("Ditangguhkan" if rng.random() < 0.4 else "Selesai") if past else None
        )
        hearings.append((kind, moment, outcome))
        moment += timedelta(days=rng.randint(21, 75))
    if status == "diputuskan":
        hearings.append(("keputusan", closed_at, "Keputusan diberikan"))
    for kind, moment, outcome in hearings:
        sitting = _at(moment.date(), rng, (60, 210))  # 09:00-11:30 Malaysia time
        batch.add(
            "hearing",
            (
                case_id,
                kind,
                sitting,
                f"Bilik Bicara {rng.randint(1, 3)}",
                outcome,
                registered_at,
                registered_at,
            ),
            transaction_id,
        )
    if status == "didaftar" and any(
        moment < context.now for _k, moment, _o in hearings
    ):
        status = "dalam_proses"

    judges = context.judges.get(court.id) or [(None, None)]
    judge_id, judge_user = rng.choice(judges)
    registered_from = court
    if court.level not in ("rayuan", "tinggi") and rng.random() < 0.05:
        registered_from = rng.choice(context.district_courts)
    clerk = context.clerks.get(registered_from.id)
    claim = (
        rng.randint(50, 5000) * 10_000
        if case_type.started_by == "tuntutan" and rng.random() < 0.5
        else None
    )
    changed = closed_at or registered_at
    batch.add(
        "case",
        (
            case_id,
            number,
            case_type.id,
            registered_at.year,
            running,
            title[:300],
            status,
            reason,
            registered_at,
            clerk,
            registered_from.id,
            judge_id,
            claim,
            case_type.fee_sen,
            closed_at,
            court.id,
            rng.random() < 0.03,
            registered_at,
            changed,
        ),
        transaction_id,
    )
    batch.transactions.append(
        (transaction_id, registered_at.replace(tzinfo=None), clerk)
    )
    if context.receipts is not None and case_type.fee_sen:
        # Paid where the case was keyed, by its first party.
        context.receipts.settle(
            batch,
            case_id=case_id,
            transaction_id=transaction_id,
            amount_sen=case_type.fee_sen,
            registered_at=registered_at,
            court_id=registered_from.id,
            payer=(names[picks[0]], context.identities[picks[0]]),
        )

    # File volumes: opened in the records room, archived when the case ends.
    records, archive = context.shelves[court.id]
    court_clerk = context.clerks.get(court.id) or clerk
    volumes = 2 if len(hearings) >= 4 and rng.random() < 0.3 else 1
    for volume in range(1, volumes + 1):
        shelf = rng.choice(records)
        index = len(batch.tables["file"][0])
        place, holder, due, state, since = shelf, None, None, "ada", registered_at
        batch.add(
            "movement",
            (
                index,
                "open",
                None,
                shelf,
                None,
                None,
                None,
                court_clerk,
                registered_at,
            ),
            transaction_id,
        )
        if closed_at is not None:
            place = rng.choice(archive)
            since = closed_at
            batch.add(
                "movement",
                (
                    index,
                    "transfer_location",
                    shelf,
                    place,
                    None,
                    None,
                    None,
                    court_clerk,
                    closed_at,
                ),
                transaction_id,
            )
        elif judge_user is not None and rng.random() < 0.03:
            state, holder = "dipinjam", judge_user
            since = context.now - timedelta(days=rng.randint(1, 30))
            due = (since + timedelta(days=14)).date()
            batch.add(
                "movement",
                (
                    index,
                    "checkout",
                    shelf,
                    None,
                    judge_user,
                    "Untuk rujukan hakim",
                    due,
                    court_clerk,
                    since,
                ),
                transaction_id,
            )
        batch.add(
            "file",
            (
                case_id,
                volume,
                f"{number}/J{volume}",
                state,
                place,
                holder,
                due,
                court.id,
                since,
                registered_at,
                since,
            ),
            transaction_id,
        )
