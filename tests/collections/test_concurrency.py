"""Receipt numbers stay unique and gap-free when cashiers issue at once."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from flask import Flask

from plugins.collections.models import Receipt
from portal.extensions import db
from tests.collections.conftest import Desk, issue, new_counter

ISSUERS = 24


def test_concurrent_issues_get_consecutive_numbers(app: Flask, desk: Desk) -> None:
    counter = new_counter(app)
    start = threading.Barrier(ISSUERS)
    errors: list[BaseException] = []

    def one() -> None:
        try:
            start.wait()
            issue(app, desk.cashier, counter)
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(ISSUERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with app.app_context():
        numbers = sorted(
            db.session.scalars(
                sa.select(Receipt.running_number).where(Receipt.counter_id == counter)
            )
        )
    assert numbers == list(range(1, ISSUERS + 1))
