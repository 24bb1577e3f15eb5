"""The counter's receipt screen on localhost: a tiny Flask app over the store.

It shows at all times whether the portal answers, how many receipts wait to
sync and when the last sync was, and warns when the number block runs low.
Receipts print from the browser (``/receipt/<uuid>``), marked "SALINAN" from
the second print on.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from flask import Flask, abort, redirect, render_template, request

from plugins.collections.counter.client import CounterClient, Offline, ServerRefused
from plugins.collections.counter.store import CounterRefused, CounterStore
from plugins.collections.models import PaymentMethod
from plugins.collections.money import ringgit

logger = logging.getLogger(__name__)

#: Under the plugin's templates folder, so packaging ships them with the rest.
TEMPLATES = Path(__file__).parent.parent / "templates" / "counter"


def create_counter_app(store: CounterStore, client: CounterClient) -> Flask:
    """The screen of one counter; ``client`` talks to the portal."""
    app = Flask("spkms_counter", template_folder=str(TEMPLATES))
    # TODO(offline pdf): the counter prints an HTML page, not the portal's PDF,
    # and counts prints only while this screen runs; a restart forgets them.
    printed: dict[str, int] = {}

    def page(error: Exception | None = None, status_code: int = 200) -> Any:
        return (
            render_template(
                "counter_home.html",
                status=store.status(client.online),
                receipts=store.receipts(),
                fees=store.fee_types(),
                methods=PaymentMethod.LABELS,
                ringgit=ringgit,
                error=error,
            ),
            status_code,
        )

    @app.get("/")
    def home() -> Any:
        return page()

    @app.post("/issue")
    def issue() -> Any:
        form = request.form
        try:
            amount = form.get("amount_sen", "").strip()
            line: dict[str, Any] = {
                "fee_code": form.get("fee_code", ""),
                "quantity": int(form.get("quantity") or 1),
            }
            if amount:
                line["amount_sen"] = int(amount)
            receipt = store.issue(
                cashier_name=form.get("cashier_name", ""),
                payer_name=form.get("payer_name", ""),
                payer_identity=form.get("payer_identity", ""),
                method=form.get("method", ""),
                lines=[line],
                case_number=form.get("case_number") or None,
                reference=form.get("reference") or None,
            )
        except CounterRefused as exc:
            return page(exc, 422)
        except ValueError:
            return page(CounterRefused("quantity", "must be a whole number"), 422)
        return redirect(f"/receipt/{receipt['uuid']}")

    @app.post("/cancel/<receipt_uuid>")
    def cancel(receipt_uuid: str) -> Any:
        try:
            store.cancel(
                receipt_uuid,
                request.form.get("reason", ""),
                request.form.get("cancelled_by", ""),
            )
        except CounterRefused as exc:
            return page(exc, 422)
        return redirect("/")

    @app.post("/sync")
    def sync() -> Any:
        try:
            report = client.sync()
            client.refresh()
        except Offline:
            return page(
                CounterRefused("rangkaian", "portal tidak dapat dihubungi"), 503
            )
        except ServerRefused as exc:
            return page(CounterRefused("portal", json.dumps(exc.body)), 502)
        if report.refused:
            return page(CounterRefused("segerak", json.dumps(report.refused)), 422)
        return redirect("/")

    @app.get("/receipt/<receipt_uuid>")
    def receipt(receipt_uuid: str) -> Any:
        found = [r for r in store.receipts(limit=10_000) if r["uuid"] == receipt_uuid]
        if not found:
            abort(404)
        printed[receipt_uuid] = printed.get(receipt_uuid, 0) + 1
        return render_template(
            "counter_receipt.html",
            r=found[0],
            copy=printed[receipt_uuid] > 1,
            court=store.get("court_name") or "",
            ringgit=ringgit,
            methods=PaymentMethod.LABELS,
        )

    return app
