"""``spkms import-legacy``: old cases and their parties move in once, verbatim.

The sample exports in ``data/legacy`` hold 24 case rows (15 good) and 41
party rows (27 good) with a bad row of every kind the import refuses; the
module fixture imports them once per backend: a dry run, a real run and a
second run, counting rows before and after each.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from sqlalchemy_continuum import version_class, versioning_manager

from plugins.cases import services
from plugins.cases.legacy import (
    ImportSummary,
    LegacyError,
    import_legacy,
    read_case_export,
    read_party_export,
    write_rejects,
)
from plugins.cases.models import (
    Case,
    CaseNumberSeries,
    CaseParty,
    CaseStatus,
    PartyRole,
)
from plugins.parties.models import Party
from portal.cli import main
from portal.extensions import db
from tests.cases.conftest import act_as, case_type_id, mykad
from tests.conftest import court_id, make_officer

DATA = Path(__file__).parent / "data" / "legacy"
KES = DATA / "kes.csv"
PIHAK = DATA / "pihak.csv"
BATCH = 4

#: Every rejected row of the sample: (file, line) -> (column, part of the rule).
EXPECTED_REJECTS = {
    ("kes.csv", 13): ("no_kes", "appears again; its first row is at line 3"),
    ("kes.csv", 17): ("tarikh_daftar", "31/02/2016 is not a real date"),
    ("kes.csv", 18): ("tarikh_daftar", "is not a date written dd/mm/yyyy"),
    ("kes.csv", 19): ("tarikh_daftar", "must not be in the future"),
    ("kes.csv", 20): ("kod_mahkamah", "11009 is not a court of this state"),
    ("kes.csv", 21): ("kod_jenis_kes", "066 is not a case type of the old code"),
    ("kes.csv", 22): ("tajuk", "must not contain markup"),
    ("kes.csv", 23): ("status", "'GANTUNG' is not a status of the old system"),
    ("kes.csv", 25): ("row", "has 4 values; the header names 7 columns"),
    ("pihak.csv", 31): ("peranan", "'SAKSI' is not a party role"),
    ("pihak.csv", 32): ("no_pengenalan", "already listed as plaintif of 11001-055"),
    ("pihak.csv", 33): ("no_pengenalan", "17 is not a known place-of-birth code"),
    ("pihak.csv", 34): ("no_pengenalan", "990231 is not a real date of birth"),
    ("pihak.csv", 35): ("no_pengenalan", "must be 12 digits"),
    ("pihak.csv", 36): ("nama", "must not contain markup"),
    ("pihak.csv", 37): ("no_kes", "11001-055-9999-2015 names no case in kes.csv"),
    ("pihak.csv", 38): ("no_kes", "was rejected (kes.csv line 20)"),
    ("pihak.csv", 39): ("warganegara", "is required with a passport"),
    ("pihak.csv", 40): ("tarikh_lahir", "contradicts the MyKad number"),
    ("pihak.csv", 41): ("telefon", "must be 9 to 15 digits"),
    ("pihak.csv", 42): ("jenis_pengenalan", "'SIJIL LAHIR' is not an identity"),
    ("pihak.csv", 43): ("tarikh_lahir", "is not a date written dd/mm/yyyy"),
    ("pihak.csv", 44): ("no_kes", "was rejected (kes.csv line 17)"),
}


#: The case numbers the sample imports.
IMPORTED_BY_SAMPLE = {
    "11003-O55-14/2002",
    "11001-055-0012-2015",
    "11001-024-0007-2015",
    "11002-014-0003-2016",
    "11003-158-0045-2019",
    "11004-028-0021-2018",
    "11005-040-0002-2020",
    "11006-143-0011-2021",
    "11007-017-0004-2017",
    "11100-017-0008-2012",
    "11000-001-019-2019",
    "11002-010-0031-2022",
    "11004-024-0031-2026",
    "11003-O24-7/2003",
    "11007-055-0002-2020",
}


@dataclass(frozen=True)
class Runs:
    """The sample imported three times, with row counts around each run."""

    before: dict[str, int]
    after_dry_run: dict[str, int]
    after_first: dict[str, int]
    after_second: dict[str, int]
    dry_run: ImportSummary
    first: ImportSummary
    second: ImportSummary


def _counts() -> dict[str, int]:
    transaction = versioning_manager.transaction_cls
    tables = {
        "cases": Case.id,
        "parties": Party.id,
        "links": CaseParty.id,
        "series": CaseNumberSeries.id,
        "versioned transactions": transaction.id,
    }
    return {
        name: db.session.scalar(sa.select(sa.func.count(column)))
        for name, column in tables.items()
    }


@pytest.fixture(scope="module")
def runs(app: Flask) -> Runs:
    with app.app_context():
        before = _counts()
        dry_run = import_legacy(KES, PIHAK, dry_run=True, batch_size=BATCH)
        after_dry_run = _counts()
        first = import_legacy(KES, PIHAK, batch_size=BATCH)
        after_first = _counts()
        second = import_legacy(KES, PIHAK, batch_size=BATCH)
        after_second = _counts()
    return Runs(
        before, after_dry_run, after_first, after_second, dry_run, first, second
    )


def _case(number: str) -> Case:
    case = db.session.scalar(sa.select(Case).where(Case.legacy_number == number))
    assert case is not None, number
    return case


def test_the_sample_imports_with_exact_counts(runs: Runs) -> None:
    first = runs.first
    assert first.encodings == {"kes.csv": "UTF-8 with BOM", "pihak.csv": "UTF-8"}
    assert (first.case_rows, first.party_rows) == (24, 41)
    assert (first.cases_imported, first.cases_present, first.cases_rejected) == (
        15,
        0,
        9,
    )
    assert (first.parties_created, first.parties_reused) == (14, 0)
    assert (first.links_created, first.links_present) == (27, 0)
    assert first.party_rows_rejected == 14
    assert first.cases_without_parties == 0
    grew = {name: runs.after_first[name] - runs.before[name] for name in runs.before}
    assert len(IMPORTED_BY_SAMPLE) == 15
    assert grew["cases"] == 15
    assert grew["parties"] == 14
    assert grew["links"] == 27


def test_the_rejects_report_names_line_and_reason(runs: Runs, tmp_path: Path) -> None:
    report = tmp_path / "rejects.csv"
    write_rejects(report, runs.first.rejects)
    with report.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["source_file", "line", "field", "reason", "row"]
    found = {(row["source_file"], int(row["line"])): row for row in rows}
    assert set(found) == set(EXPECTED_REJECTS)
    for where, (column, rule) in EXPECTED_REJECTS.items():
        assert found[where]["field"] == column, where
        assert found[where]["reason"].startswith(f"{column}: "), where
        assert rule in found[where]["reason"], (where, found[where]["reason"])
    # The row is given as read, ready to correct and import again.
    assert found[("kes.csv", 20)]["row"].startswith("11009-055-0001-2015,11009,055,")
    assert found[("pihak.csv", 36)]["row"].split(",")[2] == "<b>Hasnah</b> binti Ghani"


def test_old_numbers_are_kept_verbatim(app: Flask, runs: Runs) -> None:
    with app.app_context():
        case = _case("11003-O55-14/2002")
        assert case.case_number == "11003-O55-14/2002"
        assert case.running_number is None
        assert case.year == 2002
        assert case.court_id == case.registered_from_id == court_id("11003")
        assert case.registered_by_id is None
        # 14/03/2002 at midnight in Malaysia (UTC+8) is 16:00 the day before.
        registered_at = case.registered_at.replace(tzinfo=UTC)
        assert registered_at == datetime(2002, 3, 13, 16, 0, tzinfo=UTC)
        assert case.status == CaseStatus.DECIDED
        assert case.status_reason.endswith("status asal SELESAI")
        assert case.fee_due_sen == 0
        assert _case("11003-O24-7/2003").case_number == "11003-O24-7/2003"
        statuses = {
            "11001-055-0012-2015": (CaseStatus.IN_PROGRESS, False),
            "11002-014-0003-2016": (CaseStatus.WITHDRAWN, True),
            "11004-028-0021-2018": (CaseStatus.REGISTERED, False),
            "11006-143-0011-2021": (CaseStatus.IN_PROGRESS, True),
            "11007-017-0004-2017": (CaseStatus.STRUCK_OUT, False),
            "11100-017-0008-2012": (CaseStatus.TRANSFERRED, False),
        }
        for number, expected in statuses.items():
            imported = _case(number)
            assert (imported.status, imported.confidential) == expected, number
        # "24" in the old export is case type 024.
        assert _case("11001-024-0007-2015").case_type_id == case_type_id("024")
        # Every version the import wrote, in every batch, is signed by the
        # service user.
        service_user_id = app.appbuilder.sm.service_user().id
        version = version_class(Case)
        transaction = versioning_manager.transaction_cls
        authors = db.session.execute(
            sa.select(version.legacy_number, transaction.user_id)
            .join(transaction, version.transaction_id == transaction.id)
            .where(version.legacy_number.in_(IMPORTED_BY_SAMPLE))
        ).all()
        assert {number for number, _ in authors} == IMPORTED_BY_SAMPLE
        assert {user_id for _, user_id in authors} == {service_user_id}


def test_people_in_several_cases_get_one_profile(app: Flask, runs: Runs) -> None:
    with app.app_context():
        zakaria = db.session.scalars(
            sa.select(Party).where(Party.identity_number == "620805465071")
        ).all()
        assert len(zakaria) == 1
        assert zakaria[0].birth_date == date(1962, 8, 5)
        cases = dict(
            db.session.execute(
                sa.select(Case.legacy_number, CaseParty.role)
                .join(CaseParty, CaseParty.case_id == Case.id)
                .where(CaseParty.party_id == zakaria[0].id)
            ).all()
        )
        assert cases == {
            "11003-O55-14/2002": PartyRole.DEFENDANT,
            "11003-158-0045-2019": PartyRole.ACCUSED,
            "11000-001-019-2019": PartyRole.APPLICANT,
            "11003-O24-7/2003": PartyRole.DEFENDANT,
        }
        noraini = db.session.scalar(
            sa.select(Party).where(Party.identity_number == "800217465234")
        )
        # A multi-line address fills the profile's address lines.
        assert noraini.address_line1 == "Lot 12, Jalan Sultan Zainal Abidin"
        assert noraini.address_line3 == "20200 Kuala Terengganu"
        assert noraini.keyed_at_court_id == court_id("11001")
        linked = db.session.scalar(
            sa.select(sa.func.count(CaseParty.id)).where(
                CaseParty.party_id == noraini.id
            )
        )
        assert linked == 3
        passport = db.session.scalar(
            sa.select(Party).where(Party.identity_number == "B7736451")
        )
        assert (passport.identity_type, passport.nationality) == ("passport", "IDN")


def test_a_second_run_adds_nothing(runs: Runs) -> None:
    assert runs.after_second == runs.after_first
    second = runs.second
    assert (second.cases_imported, second.cases_present) == (0, 15)
    assert (second.parties_created, second.parties_reused) == (0, 14)
    assert (second.links_created, second.links_present) == (0, 27)
    # The same bad rows are refused again, for the same reasons.
    assert [(r.source, r.line, r.reason) for r in second.rejects] == [
        (r.source, r.line, r.reason) for r in runs.first.rejects
    ]


def test_a_dry_run_writes_nothing(runs: Runs) -> None:
    assert runs.after_dry_run == runs.before
    dry, first = runs.dry_run, runs.first
    assert dry.dry_run and not first.dry_run
    counted = (
        "cases_imported",
        "cases_present",
        "cases_rejected",
        "parties_created",
        "parties_reused",
        "links_created",
        "links_present",
        "party_rows_rejected",
    )
    assert {name: getattr(dry, name) for name in counted} == {
        name: getattr(first, name) for name in counted
    }


def test_new_numbers_continue_past_imported_ones(app: Flask, runs: Runs) -> None:
    """11004-024-0031-2026 came in from the old system: 2026's series goes on."""
    clerk = make_officer(app, "Clerk", ("11004",))
    with app.app_context():
        act_as(app, clerk)
        case = services.register_case(
            services.Registration(
                court_id=court_id("11004"),
                case_type_id=case_type_id("024"),
                title="Tuntutan nafkah anak",
                parties=[
                    services.PartyInput(
                        role="plaintif",
                        identity_number=mykad(),
                        details={"full_name": "Zawiyah binti Hanafi"},
                    )
                ],
                registered_by_id=clerk.id,
                registered_on=date(2026, 6, 1),
            )
        )
        assert case.running_number > 31
        assert case.case_number != "11004-024-0031-2026"


def test_a_windows_1252_export_is_read(app: Flask) -> None:
    with app.app_context():
        summary = import_legacy(DATA / "kes-cp1252.csv", DATA / "pihak-cp1252.csv")
        assert summary.encodings == {
            "kes-cp1252.csv": "Windows-1252",
            "pihak-cp1252.csv": "Windows-1252",
        }
        assert summary.rejects == []
        assert (summary.cases_imported, summary.links_created) == (1, 2)
        case = _case("11001-016-0003-2014")
        assert case.title.startswith("Muta\u2019ah: Siti Hawa binti Ma\u2019arof")
        names = {link.party.full_name for link in case.parties}
        assert "Siti Hawa binti Ma\u2019arof" in names
        husband = db.session.scalar(
            sa.select(Party).where(Party.identity_number == "710919465481")
        )
        assert husband.address_line1 == "Kampung Caf\u00e9 Lama"


def test_unreadable_and_incomplete_exports_are_refused(tmp_path: Path) -> None:
    garbled = tmp_path / "kes.csv"
    # 0x81 and 0x8D are neither UTF-8 nor defined in Windows-1252.
    garbled.write_bytes(b"no_kes,kod_mahkamah\r\n\x81\x8d,11001\r\n")
    with pytest.raises(LegacyError, match="neither UTF-8 nor Windows-1252"):
        read_case_export(garbled)
    lacking = tmp_path / "pihak.csv"
    lacking.write_text("no_kes,peranan,nama\n", encoding="utf-8")
    with pytest.raises(LegacyError, match="has no column jenis_pengenalan"):
        read_party_export(lacking)


def _identity(year: int, index: int) -> str:
    """A MyKad number of the small exports, unlike any other test's."""
    return f"74{year % 100:02d}{index + 10}-46-6{index:02d}1"


def _small_export(
    folder: Path, year: int, count: int, *, broken: int | None = None
) -> tuple[Path, Path]:
    """``count`` cases of ``year`` with one plaintiff each; case ``broken``'s
    plaintiff carries a MyKad number with an unknown place-of-birth code."""
    kes = ["no_kes,kod_mahkamah,kod_jenis_kes,tarikh_daftar,tajuk,status,sulit"]
    pihak = ["no_kes,peranan,nama,jenis_pengenalan,no_pengenalan"]
    for index in range(1, count + 1):
        number = f"11005-099-{index:04d}-{year}"
        kes.append(f"{number},11005,099,0{index}/06/{year},Kes {index},AKTIF,T")
        identity = _identity(year, index)
        if index == broken:
            identity = identity.replace("-46-", "-17-")
        pihak.append(f"{number},PLAINTIF,Pemohon Ujian {index},KP BARU,{identity}")
    (folder / "kes.csv").write_text("\n".join(kes) + "\n", encoding="utf-8")
    (folder / "pihak.csv").write_text("\n".join(pihak) + "\n", encoding="utf-8")
    return folder / "kes.csv", folder / "pihak.csv"


def test_a_crash_loses_at_most_a_batch_and_a_rerun_resumes(
    app: Flask, tmp_path: Path
) -> None:
    kes, pihak = _small_export(tmp_path, 2010, 5)
    done: list[int] = []

    def crash_after_first_batch(cases: int) -> None:
        done.append(cases)
        raise RuntimeError("power cut")

    with app.app_context():
        with pytest.raises(RuntimeError, match="power cut"):
            import_legacy(kes, pihak, batch_size=2, progress=crash_after_first_batch)
        assert done == [2]
        db.session.rollback()
        resumed = import_legacy(kes, pihak, batch_size=2)
        assert (resumed.cases_present, resumed.cases_imported) == (2, 3)
        assert (resumed.links_present, resumed.links_created) == (2, 3)
        numbers = [f"11005-099-{index:04d}-2010" for index in range(1, 6)]
        imported = db.session.scalar(
            sa.select(sa.func.count(Case.id)).where(Case.legacy_number.in_(numbers))
        )
        assert imported == 5


def test_a_party_row_corrected_after_a_run_is_linked_by_the_next(
    app: Flask, tmp_path: Path
) -> None:
    kes, pihak = _small_export(tmp_path, 2011, 2, broken=2)
    with app.app_context():
        first = import_legacy(kes, pihak)
        assert (first.cases_imported, first.links_created) == (2, 1)
        assert first.cases_without_parties == 1
        assert [(r.line, r.field) for r in first.rejects] == [(3, "no_pengenalan")]
        _small_export(tmp_path, 2011, 2)
        second = import_legacy(kes, pihak)
        assert (second.cases_present, second.cases_imported) == (2, 0)
        assert (second.links_present, second.links_created) == (1, 1)
        assert (second.parties_created, second.parties_reused) == (1, 1)
        case = _case("11005-099-0002-2011")
        assert [link.party.full_name for link in case.parties] == ["Pemohon Ujian 2"]


def test_a_number_the_new_series_already_issued_is_refused(
    app: Flask, tmp_path: Path
) -> None:
    clerk = make_officer(app, "Clerk", ("11006",))
    with app.app_context():
        act_as(app, clerk)
        issued = services.register_case(
            services.Registration(
                court_id=court_id("11006"),
                case_type_id=case_type_id("099"),
                title="Permohonan lain-lain",
                parties=[
                    services.PartyInput(
                        role="pemohon",
                        identity_number=mykad(),
                        details={"full_name": "Kalsom binti Jaafar"},
                    )
                ],
                registered_by_id=clerk.id,
            )
        ).case_number
        kes = tmp_path / "kes.csv"
        kes.write_text(
            "no_kes,kod_mahkamah,kod_jenis_kes,tarikh_daftar,tajuk,status,sulit\n"
            f"{issued},11006,099,01/02/2020,Kes lama bernombor sama,SELESAI,T\n",
            encoding="utf-8",
        )
        pihak = tmp_path / "pihak.csv"
        pihak.write_text(
            "no_kes,peranan,nama,jenis_pengenalan,no_pengenalan\n"
            f"{issued},PEMOHON,Kalsom binti Jaafar,KP BARU,{_identity(2012, 1)}\n",
            encoding="utf-8",
        )
        summary = import_legacy(kes, pihak)
        assert summary.cases_imported == 0
        assert [(r.source, r.line, r.field) for r in summary.rejects] == [
            ("kes.csv", 2, "no_kes"),
            ("pihak.csv", 2, "no_kes"),
        ]
        assert "registered in SPKMS" in summary.rejects[0].rule
        assert "was rejected (kes.csv line 2)" in summary.rejects[1].rule
        assert _count_cases(issued) == 1


def _count_cases(number: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Case.id)).where(Case.case_number == number)
    )


def test_the_command_imports_and_writes_the_report(
    app: Flask, runs: Runs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPKMS_DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    report = tmp_path / "rejects.csv"
    result = CliRunner().invoke(
        main,
        [
            "import-legacy",
            str(KES),
            str(PIHAK),
            "--report",
            str(report),
            "--batch-size",
            "5",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "kes.csv: read as UTF-8 with BOM" in result.output
    assert "pihak.csv: read as UTF-8" in result.output
    assert "Cases: 0 imported, 15 already present, 9 rejected (of 24 rows)" in (
        result.output
    )
    assert "Parties: 0 created, 14 reused; 14 rows rejected (of 41 rows)" in (
        result.output
    )
    assert "Case-party links: 0 made, 27 already present" in result.output
    assert f"Rejected rows written to {report}" in result.output
    with report.open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == len(EXPECTED_REJECTS)
