"""``spkms init``: the real command, in a subprocess, on an empty database.

It must build the schema, load the state profile, and on a second run change
nothing; a bad profile line must stop it with one line and write nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.settings import CONFIG_DIR, load_profile
from tests.databases import drop_database, fresh_database_url

BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
#: Each test starts ``spkms`` in a subprocess (2-3 s a run on an idle machine).
pytestmark = pytest.mark.slow
SPKMS = Path(sys.executable).with_name("spkms")
REPORT = re.compile(r"init done: (\d+) profile rows written, (\d+) permissions granted")
#: Tables whose row counts a second ``init`` must leave alone.
COUNTED = (
    "court",
    "case_type",
    "fee_type",
    "ab_role",
    "ab_permission_view_role",
    "transaction",
)


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    url = fresh_database_url(backend, tmp_path)
    yield url
    drop_database(url)


def run_init(
    database_url: str, cwd: Path, states_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``spkms init --state terengganu`` as an operator would, without Redis."""
    assert SPKMS.exists(), f"the spkms command is not installed at {SPKMS}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPKMS_")}
    env["SPKMS_DATABASE_URL"] = database_url
    # A fixed key, so the run writes no secret into the instance folder.
    env["SPKMS_SECRET_KEY"] = "test-secret"
    if states_dir is not None:
        env["SPKMS_STATES_DIR"] = str(states_dir)
    return subprocess.run(
        [str(SPKMS), "init", "--state", "terengganu"],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def reported(result: subprocess.CompletedProcess[str]) -> tuple[int, int]:
    """(profile rows written, permissions granted) from a successful run."""
    assert result.returncode == 0, result.stderr[-3000:]
    found = REPORT.search(result.stdout)
    assert found, result.stdout
    return int(found[1]), int(found[2])


def row_counts(database_url: str) -> dict[str, int]:
    """Rows in each ``COUNTED`` table, read on a connection of the test's own."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return {
                table: connection.scalar(
                    sa.select(sa.func.count()).select_from(sa.table(table))
                )
                for table in COUNTED
            }
    finally:
        engine.dispose()


def codes(database_url: str, table: str) -> set[str]:
    """The ``code`` column of ``table``: courts, case types and fee types have one."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return set(
                connection.scalars(
                    sa.select(sa.column("code")).select_from(sa.table(table))
                )
            )
    finally:
        engine.dispose()


@BACKENDS
def test_init_loads_the_profile_and_a_second_run_writes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    profile = load_profile("terengganu", CONFIG_DIR / "states")
    case_types = profile.read_csv("case_types", profile.section("case_types")["file"])
    fees = profile.raw["fees"]
    assert profile.courts and case_types and fees

    rows, grants = reported(run_init(database_url, tmp_path))
    assert grants > 0
    assert rows >= len(profile.courts) + len(case_types) + len(fees)
    assert codes(database_url, "court") == {court.code for court in profile.courts}
    assert codes(database_url, "case_type") == {line["code"] for line in case_types}
    assert codes(database_url, "fee_type") == {fee["code"] for fee in fees}
    before = row_counts(database_url)
    assert before["court"] == len(profile.courts)
    assert before["case_type"] == len(case_types)
    assert before["fee_type"] == len(fees)
    assert before["transaction"] > 0

    assert reported(run_init(database_url, tmp_path)) == (0, 0)
    assert row_counts(database_url) == before


@BACKENDS
def test_bad_case_type_line_is_named_and_nothing_is_loaded(
    database_url: str, tmp_path: Path
) -> None:
    states = tmp_path / "states"
    shutil.copytree(CONFIG_DIR / "states", states)
    csv_path = states / "case_types.csv"
    lines = csv_path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[4].startswith("004,,mal,")
    lines[4] = lines[4].replace(",mal,", ",sivil,", 1)  # line 5 of the file
    csv_path.write_text("".join(lines), encoding="utf-8")

    result = run_init(database_url, tmp_path, states_dir=states)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    named = [
        line
        for line in result.stderr.splitlines()
        if "case_types.csv line 5" in line and "category" in line
    ]
    assert len(named) == 1, result.stderr[-3000:]
    assert "'sivil'" in named[0]
    # The schema was built, but the profile is one transaction: no court, case
    # type or fee type of it was kept.
    counts = row_counts(database_url)
    assert (counts["court"], counts["case_type"], counts["fee_type"]) == (0, 0, 0)
