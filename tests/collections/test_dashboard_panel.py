"""The dashboard's collections panel adds up the receipts as the statement does."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, g

from plugins.collections import services
from plugins.collections.models import Receipt
from portal.extensions import db
from tests.cases.conftest import act_as
from tests.collections.conftest import issue, new_counter
from tests.conftest import login, make_officer

#: A court no other collections test takes money at.
COURT = "11006"


def test_money_by_fee_type_leaves_out_cancelled_receipts(app: Flask) -> None:
    cashier = make_officer(app, "Cashier", (COURT,))
    supervisor = make_officer(app, "Collections Supervisor", (COURT,))
    registrar = make_officer(app, "Registrar", (COURT,))
    counter = new_counter(app, COURT)
    copies = [services.LineInput("SALINAN_DIAKUI", quantity=n) for n in (1, 3, 2)]
    receipts = [issue(app, cashier, counter, lines=[line]) for line in copies]
    with app.app_context():
        act_as(app, supervisor)
        services.cancel_receipt(
            db.session.get(Receipt, receipts[2]), "Salah kunci", g.user
        )
        fee = db.session.get(Receipt, receipts[0]).lines[0].fee_type
        each = fee.amount_sen

    client = app.test_client()
    login(client, registrar.username)
    year = datetime.now(ZoneInfo("Asia/Kuala_Lumpur")).year
    response = client.get(
        f"/dashboard/csv/collections.by_fee_type?mahkamah={COURT}&tahun={year}"
    )
    assert response.status_code == 200, response.text[:300]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["Kod", "Jenis fi", "Resit", "Jumlah (RM)"]
    # Two receipts stand (1 and 3 copies); the cancelled one (2 copies) is out.
    assert rows[1:] == [
        ["SALINAN_DIAKUI", fee.name, "2", str(round(4 * each / 100, 2))]
    ]

    page = client.get(f"/dashboard/?mahkamah={COURT}&tahun={year}")
    assert page.status_code == 200
    assert 'id="panel-collections.by_fee_type"' in page.text
    # Another year has taken nothing.
    empty = client.get(
        f"/dashboard/csv/collections.by_fee_type?mahkamah={COURT}&tahun={year - 1}"
    )
    assert list(csv.reader(io.StringIO(empty.text)))[1:] == []
