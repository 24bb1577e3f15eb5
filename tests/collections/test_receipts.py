"""Issuing receipts: numbers, sen, cash rounding, the fee schedule, refusals."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask, g

from plugins.collections import services
from plugins.collections.models import Receipt, ReceiptLine
from plugins.collections.money import cash_rounding
from portal import hookimpl
from portal.extensions import db
from tests.cases.conftest import act_as
from tests.collections.conftest import Desk, issue, new_counter, receipt_input


@pytest.mark.parametrize(
    ("subtotal", "rounded"),
    [
        (1000, 1000),
        (1001, 1000),
        (1002, 1000),
        (1003, 1005),
        (1004, 1005),
        (1005, 1005),
        (1006, 1005),
        (1007, 1005),
        (1008, 1010),
        (1009, 1010),
    ],
)
def test_cash_is_rounded_to_the_nearest_5_sen(subtotal: int, rounded: int) -> None:
    assert subtotal + cash_rounding(subtotal) == rounded


class ReceiptListener:
    """A plugin that hears ``receipt_issued`` (no built-in plugin listens)."""

    def __init__(self) -> None:
        self.heard: list[tuple[int, int | None]] = []

    @hookimpl
    def spkms_on_receipt_issued(self, receipt_id: int, case_id: int | None) -> None:
        self.heard.append((receipt_id, case_id))


def test_a_receipt_takes_the_next_number_and_keeps_rounding_apart(
    app: Flask, desk: Desk
) -> None:
    counter = new_counter(app)
    listener = ReceiptListener()
    manager = app.extensions["spkms"].plugin_manager
    manager.register(listener, name="receipt-listener")
    try:
        first = issue(app, desk.cashier, counter)
        # 3 x RM3.00 + RM0.17 keyed deposit is not allowed without a case, so a
        # keyed fine-less amount: 7 copies (RM21.00) and a cash payment of odd sen.
        second = issue(
            app,
            desk.cashier,
            counter,
            lines=[services.LineInput("SALINAN_DIAKUI", quantity=7)],
        )
    finally:
        manager.unregister(name="receipt-listener")
    assert (second, None) in listener.heard
    with app.app_context():
        one, two = db.session.get(Receipt, first), db.session.get(Receipt, second)
        assert (one.running_number, two.running_number) == (1, 2)
        assert two.number == f"{one.counter.code}-000002"
        assert (two.subtotal_sen, two.rounding_sen, two.total_sen) == (2100, 0, 2100)
        assert [(line.quantity, line.amount_sen) for line in two.lines] == [(7, 2100)]
        assert one.cashier_name and one.business_date


def test_cash_rounding_is_recorded_but_card_is_exact(app: Flask, desk: Desk) -> None:
    counter = new_counter(app)
    # A keyed deposit needs a case; use a keyed amount through a plugin-free
    # route instead: copies at RM3.00 are exact, so add a fee type of 1,234 sen.
    with app.app_context():
        from plugins.collections.models import FeeType

        if (
            db.session.scalar(sa.select(FeeType).where(FeeType.code == "UJI_SEN"))
            is None
        ):
            db.session.add(
                FeeType(
                    code="UJI_SEN",
                    name="Fi ujian",
                    revenue_code="79999",
                    amount_sen=1234,
                )
            )
            db.session.commit()
    cash = issue(app, desk.cashier, counter, lines=[services.LineInput("UJI_SEN")])
    card = issue(
        app,
        desk.cashier,
        counter,
        method="kad",
        reference="APV123",
        lines=[services.LineInput("UJI_SEN")],
    )
    with app.app_context():
        cash_receipt = db.session.get(Receipt, cash)
        assert (cash_receipt.subtotal_sen, cash_receipt.rounding_sen) == (1234, 1)
        assert cash_receipt.total_sen == 1235
        card_receipt = db.session.get(Receipt, card)
        assert (card_receipt.rounding_sen, card_receipt.total_sen) == (0, 1234)


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        (
            {"lines": [services.LineInput("SALINAN_DIAKUI", quantity=0)]},
            "lines[0].quantity",
            "at least 1",
        ),
        (
            {"lines": [services.LineInput("SALINAN_DIAKUI", quantity=-2)]},
            "lines[0].quantity",
            "at least 1",
        ),
        (
            {"lines": [services.LineInput("SALINAN_DIAKUI", amount_sen=-300)]},
            "lines[0].amount_sen",
            "must be 300 sen",
        ),
        (
            {"lines": [services.LineInput("CAGARAN", amount_sen=0)]},
            "lines[0].amount_sen",
            "more than 0",
        ),
        (
            {"lines": [services.LineInput("FI_NEGERI_SEMBILAN_01")]},
            "lines[0].fee_code",
            "not in this state's fee schedule",
        ),
        ({"lines": []}, "lines", "at least one"),
        ({"payer_name": "  "}, "payer_name", "required"),
        ({"method": "bitcoin"}, "method", "must be one of"),
        ({"method": "cek"}, "reference", "required for Cek"),
        ({"case_number": "99999-999-9999-2099"}, "case_number", "no case"),
    ],
)
def test_bad_input_is_refused_by_name_and_uses_no_number(
    app: Flask, desk: Desk, overrides: dict, field: str, words: str
) -> None:
    counter = new_counter(app)
    with app.app_context():
        act_as(app, desk.cashier)
        with pytest.raises(services.CollectionError) as refused:
            services.issue_receipt(receipt_input(counter, **overrides), g.user)
        assert refused.value.field == field
        assert words in refused.value.rule
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Receipt.id)).where(
                    Receipt.counter_id == counter
                )
            )
            == 0
        )
    # The next good receipt still gets number 1: nothing was used up.
    good = issue(app, desk.cashier, counter)
    with app.app_context():
        assert db.session.get(Receipt, good).running_number == 1


def test_a_counter_of_another_court_is_refused(app: Flask, desk: Desk) -> None:
    counter = new_counter(app)
    with app.app_context():
        act_as(app, desk.other_cashier)
        with pytest.raises(services.CollectionError) as refused:
            services.issue_receipt(receipt_input(counter), g.user)
        assert refused.value.field == "counter"


def test_receipts_have_no_delete_route_or_permission(app: Flask) -> None:
    rules = [rule for rule in app.url_map.iter_rules() if "receipt" in rule.rule]
    assert rules
    assert not [rule for rule in rules if "DELETE" in (rule.methods or ())]
    assert not [rule for rule in rules if "delete" in rule.rule]
    with app.app_context():
        sm = app.appbuilder.sm
        for role in ("Cashier", "Collections Supervisor"):
            names = {
                (pvm.view_menu.name, pvm.permission.name)
                for pvm in sm.find_role(role).permissions
            }
            assert not {n for n in names if "Receipt" in n[0] and "delete" in n[1]}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ReceiptLine.id))) is not None
