"""Every benchmark of the scale targets in one run: a table and a JSON file.

    python -m benchmarks.run --scale 0.01 --json out.json
    python -m benchmarks.run --database-url URL --json out.json

Without ``--database-url`` a fresh PostgreSQL schema is made, the demo
officers and the scale data set of ``--scale`` are loaded (the load time is
reported too), and the schema is dropped at the end. With it, an existing
database loaded by ``spkms demo --scale N`` is used and kept; the
registration benchmarks add cases to it.

Each figure is the median over ``--repeat`` rounds; each comparison is
measured in the same round, alternating with its baseline. HTTP figures are
taken against gunicorn on loopback (2 workers, 4 threads each).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from benchmarks.common import POSTGRES_URL, table
from benchmarks.server import grant_plain_list
from benchmarks.web import Client, Gunicorn

REGISTRAR = ("pendaftar.kt", "pendaftar.kt-demo")
CLERK = ("kerani.kt", "kerani.kt-demo")
CLIENTS = 8


@dataclass
class Row:
    """One line of the table: a figure, its target and what it was set against."""

    what: str
    figure: float | None
    unit: str
    target: str
    met: bool | None
    compared_with: str = "-"

    def cells(self) -> tuple[str, str, str, str]:
        shown = (
            "not measured" if self.figure is None else f"{self.figure:.2f} {self.unit}"
        )
        verdict = {True: "ok", False: "MISSED", None: "-"}[self.met]
        return (self.what, shown, f"{self.target} [{verdict}]", self.compared_with)


class Rows(list[Row]):
    """The table so far; each row is shown on stderr as soon as it is measured."""

    def append(self, row: Row) -> None:
        super().append(row)
        print("  ".join(row.cells()), file=sys.stderr, flush=True)

    def extend(self, rows: Any) -> None:
        for row in rows:
            self.append(row)


def p95(samples: list[float]) -> float:
    """95th percentile in milliseconds of samples in seconds."""
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000


def rounds(repeat: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(repeat))


# --- in-process -----------------------------------------------------------------


def identity_lookup(repeat: int) -> Row:
    from plugins.parties import services
    from plugins.parties.models import Party
    from portal.extensions import db

    numbers = list(
        db.session.scalars(
            sa.select(Party.identity_number)
            .where(Party.identity_type == "mykad")
            .order_by(sa.func.random())
            .limit(300)
        )
    )
    mine: list[float] = []
    raw: list[float] = []

    def one_round() -> tuple[float, float]:
        mine.clear()
        raw.clear()
        for number in numbers:
            started = time.perf_counter()
            assert services.find_by_identity("mykad", number) is not None
            mine.append(time.perf_counter() - started)
            started = time.perf_counter()
            # The same unique index as the service: (identity_type, number, ...).
            db.session.execute(
                sa.text(
                    "SELECT id FROM party"
                    " WHERE identity_type = 'mykad' AND identity_number = :n"
                ),
                {"n": number},
            ).scalar()
            raw.append(time.perf_counter() - started)
        db.session.rollback()
        return p95(mine), p95(raw)

    results = [one_round() for _ in range(repeat)]
    figure = statistics.median(r[0] for r in results)
    baseline = statistics.median(r[1] for r in results)
    return Row(
        "identity-number lookup, service call, p95",
        figure,
        "ms",
        "under 5 ms",
        figure < 5,
        f"raw SQL by number {baseline:.2f} ms",
    )


def name_search(repeat: int) -> Row:
    from plugins.parties import services
    from plugins.parties.models import Party
    from portal.extensions import db

    rng = random.Random(11)  # noqa: S311
    names = list(
        db.session.scalars(
            sa.select(Party.full_name).order_by(sa.func.random()).limit(60)
        )
    )
    queries = []
    for name in names:
        # As a clerk types it: spellings swapped, the patronymic shortened,
        # a letter lost.
        text = name.replace("Muhammad", "Mohd").replace(" binti ", " bt ")
        position = rng.randrange(1, len(text) - 1)
        queries.append(text[:position] + text[position + 1 :])
    total = db.session.scalar(sa.select(sa.func.count(Party.id)))

    def one_round() -> float:
        times = []
        for query in queries:
            started = time.perf_counter()
            services.search_by_name(query)
            times.append(time.perf_counter() - started)
        db.session.rollback()
        return p95(times)

    figure = rounds(repeat, one_round)
    return Row(
        f"fuzzy name search over {total:,} profiles, p95",
        figure,
        "ms",
        "under 100 ms",
        figure < 100,
    )


def allocation(repeat: int) -> Row:
    from plugins.allocation import services as allocation_services
    from plugins.allocation.models import JudgeCoverage
    from plugins.allocation.strategies import Candidate, DrawContext, least_loaded
    from plugins.cases.models import Case, CaseType
    from portal.extensions import db
    from portal.models import Court, Judge, utcnow

    court = db.session.scalar(sa.select(Court).where(Court.code == "11001"))
    case_type = db.session.scalar(
        sa.select(CaseType).where(CaseType.code == "055", CaseType.level == "rendah")
    )
    judges = list(db.session.scalars(sa.select(Judge).where(Judge.active)))
    covered = set(
        db.session.scalars(
            sa.select(JudgeCoverage.judge_id).where(
                JudgeCoverage.covers_court_id == court.id
            )
        )
    )
    added = [
        JudgeCoverage(judge_id=j.id, covers_court_id=court.id, note="penanda aras")
        for j in judges
        if j.court_id != court.id and j.id not in covered
    ]
    db.session.add_all(added)
    db.session.commit()
    candidates = [Candidate(j.id, i % 7) for i, j in enumerate(judges)]
    context = DrawContext(court.id, "055", 1, 2)
    service: list[float] = []
    choice: list[float] = []
    try:
        for _ in range(repeat * 40):
            savepoint = db.session.begin_nested()
            case = Case(
                case_number=f"BENCH-{uuid.uuid4().hex[:12]}",
                case_type_id=case_type.id,
                year=2026,
                title="Penanda aras peruntukan",
                registered_at=utcnow(),
                registered_from_id=court.id,
                court_id=court.id,
                fee_due_sen=0,
            )
            db.session.add(case)
            db.session.flush()
            started = time.perf_counter()
            judge = allocation_services.allocate(db.session, case)
            service.append(time.perf_counter() - started)
            assert judge is not None
            savepoint.rollback()
            started = time.perf_counter()
            least_loaded(candidates, context)
            choice.append(time.perf_counter() - started)
        db.session.rollback()
    finally:
        for coverage in added:
            db.session.delete(db.session.merge(coverage))
        db.session.commit()
    figure = statistics.median(service) * 1000
    return Row(
        f"one allocation decision among {len(judges)} judges (service, median)",
        figure,
        "ms",
        "under 2 ms",
        figure < 2,
        f"strategy alone {statistics.median(choice) * 1e6:.1f} us;"
        f" service p95 {p95(service):.2f} ms",
    )


#: Rules over open cases (what the reminder target is about); the others
#: watch closed cases and are measured on their own.
OPEN_CASE_RULES = ("cases.unresolved", "cases.no_hearing_date")
#: A rule that takes longer is cancelled and reported, not waited for.
RULE_TIMEOUT_S = 120


def _timed_rule(today: date, name: str) -> tuple[float | None, int]:
    """Seconds and warnings of one rule's run, ``None`` if it timed out."""
    from portal.extensions import db
    from portal.reminders.engine import run_reminders

    db.session.execute(sa.text(f"SET statement_timeout = '{RULE_TIMEOUT_S}s'"))
    started = time.perf_counter()
    report = run_reminders(today, only=name)
    seconds = time.perf_counter() - started
    db.session.execute(sa.text("SET statement_timeout = 0"))
    db.session.commit()
    if seconds >= RULE_TIMEOUT_S:
        return None, report.total
    return seconds, report.total


def reminders(repeat: int) -> list[Row]:
    from plugins.cases.models import Case, CaseStatus
    from portal.extensions import db
    from portal.reminders.engine import current_reminders

    open_cases = db.session.scalar(
        sa.select(sa.func.count(Case.id)).where(
            Case.status.in_(sorted(CaseStatus.OPEN))
        )
    )
    db.session.rollback()
    today = date.today()
    rules = [name for name in current_reminders().rules if name in OPEN_CASE_RULES]
    first_s, warned = 0.0, 0
    for name in rules:
        seconds, total = _timed_rule(today, name)
        first_s += seconds if seconds is not None else RULE_TIMEOUT_S
        warned += total
    again = []
    for _ in range(repeat):
        started = time.perf_counter()
        for name in rules:
            _timed_rule(today, name)
        again.append(time.perf_counter() - started)
    again_s = statistics.median(again)
    rows = [
        Row(
            f"reminder run over {open_cases:,} open cases, first of the day",
            first_s,
            "s",
            "under 5 s",
            first_s < 5,
            f"{warned} warned; rules {', '.join(rules)}",
        ),
        Row(
            "reminder run over the open cases, again the same day",
            again_s,
            "s",
            "under 5 s",
            again_s < 5,
        ),
    ]
    for name in current_reminders().rules:
        if name in OPEN_CASE_RULES:
            continue
        seconds, total = _timed_rule(today, name)
        rows.append(
            Row(
                f"reminder rule {name}, first of the day",
                seconds,
                "s",
                "-",
                None,
                f"{total} warned"
                if seconds is not None
                else f"cancelled after {RULE_TIMEOUT_S} s",
            )
        )
    return rows


# --- over HTTP ------------------------------------------------------------------


def alternate(
    repeat: int, count: int, first: Callable[[], None], second: Callable[[], None]
) -> tuple[float, float]:
    """Median p95 (ms) of ``first`` and of ``second``, interleaved call by call."""
    ours, theirs = [], []
    for _ in range(repeat):
        a, b = [], []
        for _ in range(count):
            started = time.perf_counter()
            first()
            a.append(time.perf_counter() - started)
            started = time.perf_counter()
            second()
            b.append(time.perf_counter() - started)
        ours.append(p95(a))
        theirs.append(p95(b))
    return statistics.median(ours), statistics.median(theirs)


def _get(client: Client, path: str, must_contain: bytes) -> Callable[[], None]:
    def call() -> None:
        status, body = client.request("GET", path)
        if status != 200 or must_contain not in body:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")

    return call


def case_list(server: Gunicorn, repeat: int, total: int) -> Row:
    client = Client(server.port)
    client.login_form(*REGISTRAR)
    portal = _get(client, "/cases/list/?psize_CaseView=20", b"11001-")
    plain = _get(client, "/bench/plain-cases/list/?psize_PlainCaseView=20", b"-20")
    for _ in range(5):
        portal()
        plain()
    ours, theirs = alternate(repeat, 60, portal, plain)
    return Row(
        f"case list screen, 20 rows, court-scoped, {total:,} cases, p95",
        ours,
        "ms",
        "under 50 ms and at most 0.5x plain FAB list",
        ours < 50 and ours <= theirs / 2,
        f"plain FAB ModelView {theirs:.1f} ms (ratio {ours / theirs:.2f})",
    )


def json_endpoint(server: Gunicorn, repeat: int) -> Row:
    client = Client(server.port)
    client.login_api(*REGISTRAR)
    # No rison ``q``: FAB checks its JSON schema on every request (about
    # 20 ms); the API's own order and page size give the same rows.
    portal = _get(client, "/api/v1/case/", b'"result"')
    bare = _get(client, "/bench/bare-cases", b'"result"')
    for _ in range(5):
        portal()
        bare()
    ours, theirs = alternate(repeat, 60, portal, bare)
    return Row(
        "portal JSON endpoint (case API list, 20 rows), p95",
        ours,
        "ms",
        "at most 2x a bare Flask route",
        ours <= 2 * theirs,
        f"bare Flask route {theirs:.1f} ms (ratio {ours / theirs:.2f})",
    )


def _registration_body(court_id: int, type_id: int, serial: int) -> dict[str, Any]:
    # Born 1930-1940, which the loaded profiles never are: always a new person.
    born = date(1930, 1, 1) + timedelta(days=serial // 900 % 4000)
    number = f"{born:%y%m%d}11{serial % 900 + 100:03d}{(serial % 5) * 2 + 1}"
    return {
        "court_id": court_id,
        "case_type_id": type_id,
        "title": "Tuntutan perceraian (penanda aras)",
        "parties": [
            {
                "role": "plaintif",
                "identity_number": number,
                "details": {"full_name": "Penanda Aras bin Ujian"},
            },
            {"role": "defendan", "party_id": 1 + serial % 1000},
        ],
    }


_serials = iter(range(10**9))
_serial_lock = threading.Lock()


def register_burst(server: Gunicorn, count: int, court_id: int, type_id: int) -> float:
    """Registrations per second with ``CLIENTS`` clients sending ``count`` each."""
    clients = []
    for _ in range(CLIENTS):
        client = Client(server.port)
        client.login_api(*CLERK)
        clients.append(client)
    errors: list[str] = []

    def work(client: Client) -> None:
        for _ in range(count):
            with _serial_lock:
                serial = next(_serials) + RUN_SALT
            status, body = client.request(
                "POST",
                "/api/v1/case/register",
                _registration_body(court_id, type_id, serial),
            )
            if status != 201:
                errors.append(f"{status} {body[:200]!r}")

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} registrations failed, first: {errors[0]}")
    return CLIENTS * count / elapsed


#: Serial offset of this run, so two runs on one database key new people.
RUN_SALT = random.SystemRandom().randrange(10**6) * 1000


def registration(
    audited: Gunicorn, unaudited: Gunicorn, repeat: int, count: int
) -> list[Row]:
    from plugins.cases.models import CaseType
    from portal.extensions import db
    from portal.models import Court

    court_id = db.session.scalar(sa.select(Court.id).where(Court.code == "11001"))
    type_id = db.session.scalar(
        sa.select(CaseType.id).where(CaseType.code == "055", CaseType.level == "rendah")
    )
    db.session.rollback()
    register_burst(audited, 2, court_id, type_id)  # warm both servers up
    register_burst(unaudited, 2, court_id, type_id)
    on, off = [], []
    for _ in range(repeat):
        on.append(register_burst(audited, count, court_id, type_id))
        off.append(register_burst(unaudited, count, court_id, type_id))
    rate_on, rate_off = statistics.median(on), statistics.median(off)
    cost = rate_off / rate_on
    return [
        Row(
            f"case registration over the REST API, {CLIENTS} clients",
            rate_on,
            "/s",
            "at least 50/s (audit and outbox on)",
            rate_on >= 50,
            f"versioning off {rate_off:.1f}/s",
        ),
        Row(
            "cost of the audit trail on registration",
            cost,
            "x",
            "at most 1.3x versioning off",
            cost <= 1.3,
            f"time per registration on/off: {1000 / rate_on:.1f} / "
            f"{1000 / rate_off:.1f} ms",
        ),
    ]


# --- the run --------------------------------------------------------------------


def offline_sync(receipts: int) -> Row:
    """A counter's offline receipts synced over HTTP into an empty PostgreSQL
    schema, against plain inserts of the same rows in the same schema."""
    import tempfile
    from pathlib import Path

    from benchmarks.collections_sync import measure
    from tests.databases import drop_database, fresh_database_url

    url = fresh_database_url("postgresql", Path(tempfile.mkdtemp()))
    try:
        found = measure(url, receipts)
    finally:
        drop_database(url)
    return Row(
        f"offline sync of {receipts:,} receipts",
        found.sync_seconds,
        "s",
        f"under {10 * receipts / 10_000:g} s",
        found.sync_seconds < 10 * receipts / 10_000,
        f"plain inserts of the same rows: {found.baseline_seconds:.2f} s"
        f" ({found.sync_seconds / found.baseline_seconds:.0f}x)",
    )


def prepare(scale: float) -> tuple[str, str, float]:
    """A fresh schema with the data set; its URL, name and load seconds."""
    from portal import create_app
    from portal.demo import seed_officers
    from portal.extensions import db
    from portal.provision import init
    from portal.scale.loader import load_scale

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema},public"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SPKMS_REDIS_URL": None})
    with app.app_context():
        db.create_all()
        init(migrate_schema=False)
        seed_officers()
        report = load_scale(db.session, scale)
        db.session.remove()
        db.engine.dispose()
    return url, schema, report.seconds


def empty_queue(redis_url: str, queue: str) -> None:
    """Remove the jobs the servers queued (no worker ran them)."""
    from redis import Redis
    from rq import Queue

    with Redis.from_url(redis_url) as connection:
        Queue(queue, connection=connection).delete(delete_jobs=True)


def drop(schema: str) -> None:
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--database-url", help="a database already loaded")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--registrations", type=int, default=10, help="per client")
    parser.add_argument("--receipts", type=int, default=10_000, help="to sync")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()

    from plugins.cases.models import Case
    from portal import create_app
    from portal.extensions import db

    schema = None
    queue = f"spkms-bench-{uuid.uuid4().hex[:8]}"
    rows = Rows()
    if args.database_url:
        url = args.database_url
    else:
        url, schema, seconds = prepare(args.scale)
        rows.append(
            Row(
                f"load of the data set, scale {args.scale:g}",
                seconds,
                "s",
                f"under {600 * args.scale:.0f} s (600 s at full scale)",
                seconds < 600 * max(args.scale, 0.01),
            )
        )
    servers: list[Gunicorn] = []
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SPKMS_REDIS_URL": None})
        with app.app_context(), app.test_request_context():
            total = db.session.scalar(sa.select(sa.func.count(Case.id)))
            db.session.rollback()
            rows.append(identity_lookup(args.repeat))
            rows.append(name_search(args.repeat))
            rows.append(allocation(args.repeat))
            grant_plain_list(app)
            web = {"redis_url": args.redis_url, "queue": queue}
            audited = Gunicorn(url, versioning=True, **web)
            servers.append(audited)
            unaudited = Gunicorn(url, versioning=False, **web)
            servers.append(unaudited)
            rows.append(case_list(audited, args.repeat, total))
            rows.append(json_endpoint(audited, args.repeat))
            rows.extend(
                registration(audited, unaudited, args.repeat, args.registrations)
            )
            rows.extend(reminders(args.repeat))
            rss = max(audited.worker_rss_mb())
            rows.append(
                Row(
                    "memory of one gunicorn worker after the run (largest)",
                    rss,
                    "MB",
                    "under 200 MB",
                    rss < 200,
                )
            )
            rows.append(offline_sync(args.receipts))
    finally:
        for server in servers:
            server.stop()
        empty_queue(args.redis_url, queue)
        if schema is not None:
            drop(schema)
        header = ("what", "figure", "target", "compared with")
        print(table([header, *(r.cells() for r in rows)]))
        if args.json:
            with open(args.json, "w", encoding="utf-8") as out:
                json.dump([asdict(r) for r in rows], out, indent=2)


if __name__ == "__main__":
    main()
