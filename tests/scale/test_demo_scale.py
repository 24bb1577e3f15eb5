"""The scale data set: a tiny load is complete, consistent and usable.

One load per backend (scale 0.001: 1,000 profiles, 300 cases) is shared by
the module; each test checks what a service would have kept true. The tests
that add to the load (a registration, a receipt) only add what the checks
before them can tell apart: rows of today, after the loaded ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask, g
from sqlalchemy.orm import aliased
from sqlalchemy_continuum import version_class

from plugins.cases import services
from plugins.cases.models import (
    Case,
    CaseNumberSeries,
    CaseParty,
    CaseType,
    Hearing,
)
from plugins.collections import services as collections
from plugins.collections.models import (
    CaseFee,
    Counter,
    FeeKind,
    FeeType,
    Receipt,
    ReceiptLine,
    ReceiptNumberSeries,
)
from plugins.collections.money import cash_rounding
from plugins.filetracking.models import CaseFile, FileMovement
from plugins.parties.identity import parse_mykad
from plugins.parties.models import Party
from plugins.parties.search import name_key, rank_by_name
from portal import create_app
from portal.extensions import db
from portal.models import Court, Judge
from portal.scale.loader import ScaleError, load_scale, planned
from portal.scale.receipts import UNPAID_SHARE
from portal.timezone import local_date
from tests.cases.conftest import act_as
from tests.conftest import app_settings, initialise, make_officer
from tests.databases import BACKENDS, drop_database, fresh_database_url

SCALE = 0.001


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    url = fresh_database_url(request.param, tmp_path_factory.mktemp("scale"))
    app = create_app(app_settings(url))
    initialise(app)
    with app.app_context():
        report = load_scale(db.session, SCALE)
        assert report.rows["party"] == 1_000
        assert report.rows["receipt"] == report.rows["receipt_version"] > 0
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop_database(url)


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_counts_match_the_plan(loaded: Flask) -> None:
    parties, cases = planned(SCALE)
    with loaded.app_context():
        assert count(Party) == parties
        assert count(Case) == cases
        assert count(Judge) == 40
        assert count(Court) == 10
        assert count(CaseParty) >= cases
        assert count(Hearing) > 0
        assert count(CaseFile) >= cases
        # Every case has its insert version, in its registration transaction.
        versions = db.session.execute(
            sa.text(
                "SELECT count(*), count(DISTINCT transaction_id)"
                " FROM court_case_version"
            )
        ).one()
        assert tuple(versions) == (cases, cases)


def test_every_mykad_is_valid_and_unique(loaded: Flask) -> None:
    with loaded.app_context():
        rows = db.session.execute(
            sa.select(
                Party.identity_number,
                Party.birth_date,
                Party.gender,
                Party.full_name,
                Party.name_key,
            )
        ).all()
        numbers = [row[0] for row in rows]
        assert len(set(numbers)) == len(numbers)
        for number, born, gender, full_name, key in rows:
            identity = parse_mykad(number)
            assert identity.gender == gender
            assert born is not None and born.strftime("%y%m%d") == number[:6]
            assert key == name_key(full_name)
            assert (
                " bin " in full_name
                or " binti " in full_name
                or " b. " in full_name
                or " bt " in full_name
            )


def test_references_point_at_loaded_rows(loaded: Flask) -> None:
    with loaded.app_context():
        orphans = {
            "case_party.party": sa.select(sa.func.count())
            .select_from(CaseParty)
            .outerjoin(Party, Party.id == CaseParty.party_id)
            .where(Party.id.is_(None)),
            "hearing.case": sa.select(sa.func.count())
            .select_from(Hearing)
            .outerjoin(Case, Case.id == Hearing.case_id)
            .where(Case.id.is_(None)),
            "movement.file": sa.select(sa.func.count())
            .select_from(FileMovement)
            .outerjoin(CaseFile, CaseFile.id == FileMovement.file_id)
            .where(CaseFile.id.is_(None)),
            "case.judge": sa.select(sa.func.count())
            .select_from(Case)
            .outerjoin(Judge, Judge.id == Case.judge_id)
            .where(Case.judge_id.is_not(None), Judge.id.is_(None)),
        }
        assert {
            name: db.session.scalar(query) for name, query in orphans.items()
        } == dict.fromkeys(orphans, 0)
        # A case's volume sits at one of its court's locations.
        misplaced = db.session.scalar(
            sa.text(
                "SELECT count(*) FROM case_file f JOIN file_location l"
                " ON l.id = f.location_id WHERE l.court_id <> f.court_id"
            )
        )
        assert misplaced == 0


def test_a_new_registration_continues_the_series(loaded: Flask) -> None:
    with loaded.app_context():
        this_year = db.session.scalar(sa.select(sa.func.max(Case.year)))
        series = db.session.scalars(
            sa.select(CaseNumberSeries)
            .join(Court, Court.id == CaseNumberSeries.court_id)
            .join(CaseType, CaseType.id == CaseNumberSeries.case_type_id)
            .where(
                CaseNumberSeries.year == this_year,
                Court.code == "11001",
                CaseType.category == "mal",
            )
            .order_by(CaseNumberSeries.last_number.desc())
        ).first()
        assert series is not None and series.last_number > 0
        highest = db.session.scalar(
            sa.select(sa.func.max(Case.running_number)).where(
                Case.court_id == series.court_id,
                Case.case_type_id == series.case_type_id,
                Case.year == series.year,
            )
        )
        assert highest == series.last_number
        clerk = loaded.appbuilder.sm.find_user(username="kerani.11001")
        g.user = clerk
        party_ids = db.session.scalars(sa.select(Party.id).limit(2)).all()
        case = services.register_case(
            services.Registration(
                court_id=series.court_id,
                case_type_id=series.case_type_id,
                title="Kes baharu selepas muatan",
                parties=[
                    services.PartyInput(role="plaintif", party_id=party_ids[0]),
                    services.PartyInput(role="defendan", party_id=party_ids[1]),
                ],
                registered_by_id=clerk.id,
            )
        )
        assert case.running_number == highest + 1
        assert case.case_number.endswith(f"-{highest + 1:04d}-{this_year}")
        g.pop("user")


def _before_today() -> datetime:
    """Midnight UTC of today: every loaded case and receipt is older."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def test_fees_are_paid_but_the_most_recent(loaded: Flask) -> None:
    with loaded.app_context():
        loaded_cases = Case.registered_at < _before_today()
        with_fee = db.session.scalar(
            sa.select(sa.func.count()).where(loaded_cases, Case.fee_due_sen > 0)
        )
        fees = db.session.execute(
            sa.select(CaseFee.amount_sen, Case.fee_due_sen, CaseFee.receipt_id, Case)
            .join(Case, Case.id == CaseFee.case_id)
            .where(loaded_cases)
        ).all()
        assert with_fee > 0 and len(fees) == with_fee
        assert all(amount == due for amount, due, _r, _c in fees)
        unpaid = [case for _a, _d, receipt, case in fees if receipt is None]
        assert len(unpaid) == round(with_fee * UNPAID_SHARE) > 0
        paid = [case for _a, _d, receipt, case in fees if receipt is not None]
        assert max(c.registered_at for c in paid) <= min(
            c.registered_at for c in unpaid
        )
        receipts = db.session.scalar(
            sa.select(sa.func.count(Receipt.id)).where(
                Receipt.issued_at < _before_today()
            )
        )
        assert receipts == with_fee - len(unpaid)


def test_receipt_totals_follow_cash_rounding(loaded: Flask) -> None:
    with loaded.app_context():
        registration = db.session.scalar(
            sa.select(FeeType.id).where(FeeType.kind == FeeKind.REGISTRATION)
        )
        rows = db.session.execute(
            sa.select(Receipt, ReceiptLine, Case)
            .join(ReceiptLine, ReceiptLine.receipt_id == Receipt.id)
            .join(Case, Case.id == Receipt.case_id)
        ).all()
        assert len(rows) == count(Receipt)
        methods = set()
        for receipt, line, case in rows:
            methods.add(receipt.method)
            expected = cash_rounding(receipt.subtotal_sen)
            assert receipt.rounding_sen == (
                expected if receipt.method == "tunai" else 0
            )
            assert receipt.total_sen == receipt.subtotal_sen + receipt.rounding_sen
            assert line.fee_type_id == registration
            assert line.amount_sen == receipt.subtotal_sen == case.fee_due_sen
            assert (receipt.reference is None) == (receipt.method == "tunai")
            # Issued shortly after registration, on the registration day.
            assert case.registered_at < receipt.issued_at
            assert receipt.business_date == local_date(case.registered_at)
        assert "tunai" in methods and len(methods) > 1


def test_receipt_numbers_are_gap_free_per_counter(loaded: Flask) -> None:
    with loaded.app_context():
        counters = db.session.execute(
            sa.select(Counter.id, Counter.code, ReceiptNumberSeries.last_number)
            .join(ReceiptNumberSeries, ReceiptNumberSeries.counter_id == Counter.id)
            .where(ReceiptNumberSeries.series == "online")
        ).all()
        assert counters
        for counter_id, code, last_number in counters:
            receipts = db.session.execute(
                sa.select(Receipt.running_number, Receipt.number, Receipt.issued_at)
                .where(Receipt.counter_id == counter_id)
                .order_by(Receipt.running_number)
            ).all()
            assert [r.running_number for r in receipts] == list(
                range(1, len(receipts) + 1)
            )
            assert last_number == len(receipts)
            for running, number, _issued in receipts:
                assert number == collections.format_receipt_number(
                    code, "online", running
                )
            issued = [r.issued_at for r in receipts]
            assert issued == sorted(issued), f"{code} numbers out of issue order"


def test_paid_fees_point_at_a_receipt_of_their_case(loaded: Flask) -> None:
    with loaded.app_context():
        other = aliased(CaseParty)
        first_party = (
            sa.select(sa.func.min(other.id))
            .where(other.case_id == Case.id)
            .correlate(Case)
            .scalar_subquery()
        )
        rows = db.session.execute(
            sa.select(CaseFee, Receipt, Case, Party, Counter)
            .join(Receipt, Receipt.id == CaseFee.receipt_id)
            .join(Case, Case.id == CaseFee.case_id)
            .join(CaseParty, CaseParty.id == first_party)
            .join(Party, Party.id == CaseParty.party_id)
            .join(Counter, Counter.id == Receipt.counter_id)
        ).all()
        assert len(rows) == count(Receipt)
        clerks = dict(
            db.session.execute(
                sa.text("SELECT username, id FROM ab_user WHERE username LIKE 'ker%'")
            ).all()
        )
        for fee, receipt, case, party, counter in rows:
            assert receipt.case_id == fee.case_id
            assert (receipt.payer_name, receipt.payer_identity) == (
                party.full_name,
                party.identity_number,
            )
            # At the counter of the court that keyed the case, by its clerk.
            assert counter.court_id == case.registered_from_id == receipt.court_id
            assert receipt.cashier_id == case.registered_by_id
            assert clerks[f"kerani.{counter.code.split('-')[0]}"] == receipt.cashier_id


def test_receipts_have_their_insert_version(loaded: Flask) -> None:
    case_version = version_class(Case)
    with loaded.app_context():
        for model in (Receipt, ReceiptLine, CaseFee):
            version = version_class(model)
            rows = sa.select(sa.func.count()).select_from(model)
            versions = sa.select(
                sa.func.count(), sa.func.count(case_version.transaction_id)
            ).select_from(version)
            if model is ReceiptLine:
                # A line reaches its case through its receipt.
                rows = rows.join(Receipt, Receipt.id == ReceiptLine.receipt_id)
                rows = rows.join(Case, Case.id == Receipt.case_id)
                versions = versions.join(Receipt, Receipt.id == version.receipt_id)
                case_id = Receipt.case_id
            else:
                rows = rows.join(Case, Case.id == model.case_id)
                case_id = version.case_id
            versions = (
                versions.join(Case, Case.id == case_id)
                .outerjoin(
                    case_version,
                    (case_version.id == case_id)
                    & (case_version.transaction_id == version.transaction_id),
                )
                .where(version.operation_type == 0)
            )
            # Loaded rows only: a registration of today writes its own.
            loaded_cases = Case.registered_at < _before_today()
            expected = db.session.scalar(rows.where(loaded_cases))
            found = db.session.execute(versions.where(loaded_cases)).one()
            # One insert version per row, in its case's transaction.
            assert expected > 0
            assert tuple(found) == (expected, expected), model.__tablename__


def test_name_search_finds_a_loaded_profile(loaded: Flask) -> None:
    with loaded.app_context():
        party = db.session.scalars(sa.select(Party).order_by(Party.id.desc())).first()
        found = rank_by_name(db.session, party.full_name, limit=100, min_score=0.9)
        assert party.id in {match.party.id for match in found}


def test_a_scale_out_of_range_is_refused(loaded: Flask) -> None:
    with loaded.app_context():
        before = count(Party)
        for bad in (0, -1, 6):
            with pytest.raises(ScaleError) as refused:
                load_scale(db.session, bad)
            assert refused.value.field == "scale"
        assert count(Party) == before


def test_a_receipt_after_the_load_continues_the_series(loaded: Flask) -> None:
    with loaded.app_context():
        fee, case = db.session.execute(
            sa.select(CaseFee, Case)
            .join(Case, Case.id == CaseFee.case_id)
            .where(CaseFee.receipt_id.is_(None))
            .order_by(Case.registered_at)
        ).first()
        court = db.session.get(Court, case.registered_from_id)
        counter = db.session.scalar(
            sa.select(Counter).where(Counter.code == f"{court.code}-K1")
        )
        last = db.session.scalar(
            sa.select(ReceiptNumberSeries.last_number).where(
                ReceiptNumberSeries.counter_id == counter.id,
                ReceiptNumberSeries.series == "online",
            )
        )
        court_code, counter_id, counter_code = court.code, counter.id, counter.code
        case_number = case.case_number
        # make_officer works in a context of its own: end this one's reads first.
        db.session.rollback()
        cashier = make_officer(loaded, "Cashier", (court_code,))
        act_as(loaded, cashier)
        receipt = collections.issue_receipt(
            collections.ReceiptInput(
                counter_id=counter_id,
                payer_name="Pembayar Selepas Muatan",
                payer_identity="900101-11-5001",
                method="tunai",
                lines=[collections.LineInput("PENDAFTARAN_KES")],
                case_number=case_number,
            ),
            g.user,
        )
        assert receipt.running_number == last + 1
        assert receipt.number == collections.format_receipt_number(
            counter_code, "online", last + 1
        )
        db.session.refresh(fee)
        assert fee.receipt_id == receipt.id
        g.pop("user")
