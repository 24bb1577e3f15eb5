"""A case's money: registration fee due and settled, fines, the deposit ledger."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask, g

from plugins.cases.models import Case
from plugins.collections import services
from plugins.collections.models import CaseFee, Fine, Receipt
from portal.extensions import db
from tests.cases.conftest import act_as
from tests.collections.conftest import Desk, issue, new_case, new_counter


def test_registering_a_case_records_its_fee_and_a_receipt_settles_it(
    app: Flask, desk: Desk
) -> None:
    case_id, number = new_case(app, desk)
    with app.app_context():
        # Recorded by spkms_on_case_registered, after the registration committed.
        due = db.session.query(CaseFee).filter_by(case_id=case_id).one()
        assert due.amount_sen == db.session.get(Case, case_id).fee_due_sen > 0
        assert not due.paid
    counter = new_counter(app)
    receipt_id = issue(
        app,
        desk.cashier,
        counter,
        case_number=number,
        lines=[services.LineInput("PENDAFTARAN_KES")],
    )
    with app.app_context():
        due = db.session.query(CaseFee).filter_by(case_id=case_id).one()
        assert due.receipt_id == receipt_id
        assert db.session.get(Receipt, receipt_id).subtotal_sen == due.amount_sen
        act_as(app, desk.cashier)
        with pytest.raises(services.CollectionError) as refused:
            services.issue_receipt(
                services.ReceiptInput(
                    counter_id=counter,
                    payer_name="Siti",
                    payer_identity="850101-11-5002",
                    method="tunai",
                    case_number=number,
                    lines=[services.LineInput("PENDAFTARAN_KES")],
                ),
                g.user,
            )
        assert "already paid" in refused.value.rule
    # Cancelling the receipt makes the fee due again.
    with app.app_context():
        act_as(app, desk.supervisor)
        services.cancel_receipt(
            db.session.get(Receipt, receipt_id), "Cek tak laku", g.user
        )
        assert not db.session.query(CaseFee).filter_by(case_id=case_id).one().paid


def test_fines_belong_to_criminal_cases_and_are_paid_once(
    app: Flask, desk: Desk
) -> None:
    civil_id, _ = new_case(app, desk)
    criminal_id, number = new_case(app, desk, type_code="143")
    with app.app_context():
        with pytest.raises(services.CollectionError) as refused:
            services.impose_fine(
                db.session.get(Case, civil_id), 50000, date.today(), None
            )
        assert "jenayah" in refused.value.rule
        with pytest.raises(services.CollectionError) as refused:
            services.impose_fine(
                db.session.get(Case, criminal_id), 0, date.today(), None
            )
        assert refused.value.field == "amount_sen"
        fine = services.impose_fine(
            db.session.get(Case, criminal_id), 80000, date.today(), "Seksyen 9"
        )
        fine_id = fine.id
    counter = new_counter(app)
    receipt_id = issue(
        app,
        desk.cashier,
        counter,
        case_number=number,
        lines=[services.LineInput("DENDA", fine_id=fine_id)],
    )
    with app.app_context():
        assert db.session.get(Fine, fine_id).receipt_id == receipt_id
        assert db.session.get(Receipt, receipt_id).total_sen == 80000
    with pytest.raises(services.CollectionError) as refused:
        issue(
            app,
            desk.cashier,
            counter,
            case_number=number,
            lines=[services.LineInput("DENDA", fine_id=fine_id)],
        )
    assert "already paid" in refused.value.rule


def test_the_deposit_ledger_never_releases_more_than_is_held(
    app: Flask, desk: Desk
) -> None:
    case_id, number = new_case(app, desk)
    counter = new_counter(app)
    issue(
        app,
        desk.cashier,
        counter,
        case_number=number,
        method="cek",
        reference="CEK 000123",
        lines=[services.LineInput("CAGARAN", amount_sen=50000)],
    )
    with app.app_context():
        assert services.deposit_balance(case_id) == 50000
        act_as(app, desk.supervisor)
        case = db.session.get(Case, case_id)
        services.release_deposit(case, "refund", 20000, g.user, "Pulang sebahagian")
        services.release_deposit(case, "forfeit", 10000, g.user, "Perintah mahkamah")
        with pytest.raises(services.CollectionError) as refused:
            services.release_deposit(case, "refund", 20001, g.user)
        assert refused.value.field == "amount_sen"
        assert "20000 sen is held" in refused.value.rule
        act_as(app, desk.cashier)
        with pytest.raises(services.CollectionError) as refused:
            services.release_deposit(case, "refund", 100, g.user)
        assert "supervisor" in refused.value.rule
        money = services.case_money(case)
        assert money.deposit_held_sen == 20000
        assert [e.kind for e in money.deposits] == ["deposit", "refund", "forfeit"]
