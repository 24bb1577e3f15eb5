"""Cancelling: only a supervisor, with a reason, once, as a record of its own."""

from __future__ import annotations

import pytest
from flask import Flask, g

from plugins.collections import services
from plugins.collections.models import Receipt, ReceiptCancellation
from portal.extensions import db
from tests.cases.conftest import act_as
from tests.collections.conftest import Desk, issue, new_counter


def _cancel(app: Flask, user, receipt_id: int, reason: str | None) -> None:
    with app.app_context():
        act_as(app, user)
        services.cancel_receipt(db.session.get(Receipt, receipt_id), reason, g.user)


def test_a_supervisor_cancels_once_with_a_reason(app: Flask, desk: Desk) -> None:
    counter = new_counter(app)
    receipt_id = issue(app, desk.cashier, counter)
    with pytest.raises(services.CollectionError) as refused:
        _cancel(app, desk.cashier, receipt_id, "Salah kunci")
    assert "supervisor" in refused.value.rule
    with pytest.raises(services.CollectionError) as refused:
        _cancel(app, desk.supervisor, receipt_id, "  ")
    assert refused.value.field == "reason"
    _cancel(app, desk.supervisor, receipt_id, "Salah kunci amaun")
    with pytest.raises(services.CollectionError) as refused:
        _cancel(app, desk.supervisor, receipt_id, "Sekali lagi")
    assert "already cancelled" in refused.value.rule
    with app.app_context():
        receipt = db.session.get(Receipt, receipt_id)
        assert receipt.cancelled and receipt.status_label == "Dibatalkan"
        cancellation = (
            db.session.query(ReceiptCancellation).filter_by(receipt_id=receipt_id).one()
        )
        assert cancellation.reason == "Salah kunci amaun"
        assert cancellation.cancelled_by_id == desk.supervisor.id
        # The receipt itself is still there, with its number and total.
        assert receipt.total_sen == 900
