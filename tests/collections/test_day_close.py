"""The collector's statement matches the receipts to the sen; a closed day locks."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask, g

from plugins.collections import services, statement
from plugins.collections.models import Counter, Receipt
from portal.extensions import db
from tests.cases.conftest import act_as
from tests.collections.conftest import Desk, issue, new_counter


def test_statement_totals_by_fee_and_method_and_closing_locks_the_day(
    app: Flask, desk: Desk
) -> None:
    counter_id = new_counter(app)
    kept = [
        issue(app, desk.cashier, counter_id),  # RM9.00 cash
        issue(
            app,
            desk.cashier,
            counter_id,
            method="kad",
            reference="APV9",
            lines=[
                services.LineInput("PERINTAH"),
                services.LineInput("SALINAN_DIAKUI", quantity=2),
            ],
        ),  # RM56.00 card
        issue(app, desk.supervisor, counter_id),  # RM9.00 cash, another cashier
    ]
    cancelled = issue(app, desk.cashier, counter_id)
    with app.app_context():
        act_as(app, desk.supervisor)
        services.cancel_receipt(db.session.get(Receipt, cancelled), "Salah", g.user)
        counter = db.session.get(Counter, counter_id)
        day = db.session.get(Receipt, kept[0]).business_date
        found = statement.build_statement(counter, day)
        receipts = [db.session.get(Receipt, pk) for pk in kept]
        assert found.total_sen == sum(r.total_sen for r in receipts) == 7400
        assert (found.issued_count, found.cancelled_count) == (4, 1)
        cashier = next(p for p in found.cashiers if p.cancelled)
        assert cashier.by_method == {"tunai": 900, "kad": 5600}
        assert (
            cashier.by_fee[
                ("71305", "SALINAN_DIAKUI", "Salinan diakui sah (setiap folio)")
            ]
            == 1500
        )
        assert cashier.by_fee[("71304", "PERINTAH", "Perintah")] == 5000
        rows = list(csv.DictReader(io.StringIO(statement.statement_csv(found))))
        standing = [row for row in rows if row["status"] == "SAH"]
        assert (
            sum(int(r["amaun_sen"]) + int(r["pelarasan_sen"]) for r in standing) == 7400
        )
        assert {row["no_resit"] for row in rows if row["status"] == "BATAL"} == {
            db.session.get(Receipt, cancelled).number
        }

        act_as(app, desk.cashier)
        with pytest.raises(services.CollectionError):
            statement.close_day(counter, day, g.user)
        act_as(app, desk.supervisor)
        closed = statement.close_day(counter, day, g.user)
        assert (closed.total_sen, closed.receipts_issued) == (7400, 4)
        with pytest.raises(services.CollectionError) as refused:
            statement.close_day(counter, day, g.user)
        assert "already closed" in refused.value.rule
        with pytest.raises(services.CollectionError) as refused:
            services.cancel_receipt(db.session.get(Receipt, kept[0]), "Lewat", g.user)
        assert refused.value.field == "receipt" and "closed" in refused.value.rule
        assert not db.session.get(Receipt, kept[0]).cancelled
    with pytest.raises(services.CollectionError) as refused:
        issue(app, desk.cashier, counter_id)
    assert refused.value.field == "business_date"
    assert "closed" in refused.value.rule
