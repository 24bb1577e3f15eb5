"""The cashier's desk, the receipt PDF, the statement screen and the REST API."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask

from plugins.collections.models import Receipt
from portal.extensions import db
from tests.collections.conftest import Desk, new_case, new_counter
from tests.conftest import api_headers, login


def _issue_form(counter_id: int, **extra: str) -> dict[str, str]:
    return {
        "counter_id": str(counter_id),
        "payer_name": "Siti Aminah binti Abdullah",
        "payer_identity": "850101-11-5002",
        "method": "tunai",
        "fee_code_0": "SALINAN_DIAKUI",
        "quantity_0": "3",
        **extra,
    }


def test_a_cashier_issues_and_prints_and_a_reprint_says_salinan(
    app: Flask, desk: Desk
) -> None:
    counter_id = new_counter(app)
    client = app.test_client()
    login(client, desk.cashier.username)
    page = client.get("/kutipan/")
    assert page.status_code == 200 and "Meja Juruwang" in page.text
    refused = client.post(
        "/kutipan/issue", data=_issue_form(counter_id, quantity_0="0")
    )
    assert refused.status_code == 422
    assert "lines[0].quantity" in refused.text and "at least 1" in refused.text
    issued = client.post("/kutipan/issue", data=_issue_form(counter_id))
    assert issued.status_code == 302
    receipt_id = int(issued.headers["Location"].rsplit("/", 1)[1])
    shown = client.get(f"/kutipan/receipt/{receipt_id}")
    assert "RM9.00" in shown.text and "Batalkan Resit" not in shown.text
    first = client.get(f"/kutipan/receipt/{receipt_id}/pdf")
    assert first.mimetype == "application/pdf"
    assert b"RESIT RASMI" in first.data and b"SALINAN" not in first.data
    again = client.get(f"/kutipan/receipt/{receipt_id}/pdf")
    assert b"SALINAN" in again.data
    # A cashier cannot cancel: the form is not offered and the route refuses.
    client.post(f"/kutipan/receipt/{receipt_id}/cancel", data={"reason": "x"})
    with app.app_context():
        assert not db.session.get(Receipt, receipt_id).cancelled
    # An officer of another court finds no such receipt.
    other = app.test_client()
    login(other, desk.other_cashier.username)
    assert other.get(f"/kutipan/receipt/{receipt_id}").status_code == 404
    assert other.get(f"/kutipan/receipt/{receipt_id}/pdf").status_code == 404


def test_the_api_issues_and_the_supervisor_cancels_once(app: Flask, desk: Desk) -> None:
    counter_id = new_counter(app)
    client = app.test_client()
    cashier = api_headers(client, desk.cashier.username)
    body = {
        "counter_id": counter_id,
        "payer_name": "Ahmad bin Ismail",
        "payer_identity": "800202-11-5011",
        "method": "kad",
        "reference": "APV77",
        "lines": [{"fee_code": "PERINTAH"}],
    }
    bad = client.post(
        "/api/v1/receipt/issue",
        json={**body, "lines": [{"fee_code": "FI_NEGERI_LAIN"}]},
        headers=cashier,
    )
    assert bad.status_code == 422
    assert (
        "not in this state's fee schedule"
        in bad.json["message"]["lines[0].fee_code"][0]
    )
    made = client.post("/api/v1/receipt/issue", json=body, headers=cashier)
    assert made.status_code == 201, made.text
    assert (made.json["total_sen"], made.json["rounding_sen"]) == (5000, 0)
    pk = made.json["id"]
    assert (
        client.get(f"/api/v1/receipt/{pk}", headers=cashier).json["result"]["number"]
        == made.json["number"]
    )
    assert client.post(
        f"/api/v1/receipt/{pk}/cancel", json={"reason": "x"}, headers=cashier
    ).status_code in {401, 403}
    supervisor = api_headers(client, desk.supervisor.username)
    no_reason = client.post(f"/api/v1/receipt/{pk}/cancel", json={}, headers=supervisor)
    assert no_reason.status_code == 422 and "reason" in no_reason.json["message"]
    done = client.post(
        f"/api/v1/receipt/{pk}/cancel",
        json={"reason": "Kad ditolak"},
        headers=supervisor,
    )
    assert done.status_code == 200
    twice = client.post(
        f"/api/v1/receipt/{pk}/cancel", json={"reason": "Lagi"}, headers=supervisor
    )
    assert twice.status_code == 422
    assert "already cancelled" in twice.json["message"]["receipt"][0]
    assert client.delete(f"/api/v1/receipt/{pk}", headers=supervisor).status_code in {
        404,
        405,
    }


def test_statement_screen_closes_the_day_and_exports_csv(
    app: Flask, desk: Desk
) -> None:
    counter_id = new_counter(app)
    case_id, number = new_case(app, desk)
    cashier = app.test_client()
    login(cashier, desk.cashier.username)
    cashier.post("/kutipan/issue", data=_issue_form(counter_id))
    owed = cashier.get(f"/kutipan/case/{case_id}")
    assert owed.status_code == 200 and "Belum dibayar" in owed.text
    paid = cashier.post(
        "/kutipan/issue",
        data=_issue_form(
            counter_id,
            case_number=number,
            fee_code_0="PENDAFTARAN_KES",
            quantity_0="1",
        ),
    )
    assert paid.status_code == 302
    assert "Dibayar" in cashier.get(f"/kutipan/case/{case_id}").text
    with app.app_context():
        day = db.session.scalar(
            sa.select(Receipt.business_date).where(Receipt.counter_id == counter_id)
        )
        total = db.session.scalar(
            sa.select(sa.func.sum(Receipt.total_sen)).where(
                Receipt.counter_id == counter_id
            )
        )
    supervisor = app.test_client()
    login(supervisor, desk.supervisor.username)
    query = f"counter={counter_id}&date={day.isoformat()}"
    page = supervisor.get(f"/kutipan/statement?{query}")
    assert page.status_code == 200
    shown = re.search(r'id="grand-total">RM([\d,]+)\.(\d\d)<', page.text)
    assert shown and int(shown[1].replace(",", "")) * 100 + int(shown[2]) == total
    exported = supervisor.get(f"/kutipan/statement.csv?{query}")
    assert exported.mimetype == "text/csv"
    assert exported.text.splitlines()[0].startswith("tarikh,kod_mahkamah,kaunter")
    closed = supervisor.post(f"/kutipan/statement/close?{query}")
    assert closed.status_code == 302
    assert 'id="closed"' in supervisor.get(f"/kutipan/statement?{query}").text
    late = cashier.post("/kutipan/issue", data=_issue_form(counter_id))
    assert late.status_code == 422 and "is closed" in late.text
