"""Helpers for collections tests: a counter per test, a cashier and a supervisor.

Officers are made once per backend (password hashing is slow); every test
takes a counter of its own, so numbers, statements and closed days of one
test never meet another's.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from plugins.cases import services as cases
from plugins.collections import services
from plugins.collections.models import Counter
from portal.extensions import db
from tests.cases.conftest import act_as, registration
from tests.conftest import court_id, make_officer

HOME = "11002"
OTHER = "11001"
_serial = itertools.count(1)


@dataclass
class Desk:
    cashier: Any  # Cashier of HOME
    supervisor: Any  # Collections Supervisor of HOME
    clerk: Any  # Clerk of HOME: registers cases
    other_cashier: Any  # Cashier of OTHER


@pytest.fixture(scope="session")
def desk(app: Flask) -> Desk:
    return Desk(
        make_officer(app, "Cashier", (HOME,)),
        make_officer(app, "Collections Supervisor", (HOME,)),
        make_officer(app, "Clerk", (HOME,)),
        make_officer(app, "Cashier", (OTHER,)),
    )


def new_counter(app: Flask, court: str = HOME) -> int:
    with app.app_context():
        counter = Counter(
            court_id=court_id(court), code=f"{court}-T{next(_serial)}", name="Ujian"
        )
        db.session.add(counter)
        db.session.commit()
        return counter.id


def new_case(app: Flask, desk: Desk, type_code: str = "055") -> tuple[int, str]:
    """Register a case of HOME as its clerk; return its id and number."""
    from tests.cases.conftest import mykad

    with app.app_context():
        act_as(app, desk.clerk)
        parties = None
        if type_code.startswith("1"):
            parties = [
                cases.PartyInput(
                    role="tertuduh",
                    identity_number=mykad(),
                    details={"full_name": "Ali bin Abu"},
                )
            ]
        request = registration(
            HOME,
            user=desk.clerk,
            from_court=HOME,
            type_code=type_code,
            parties=parties,
            title=f"Kes kutipan {next(_serial)}",
        )
        case = cases.register_case(request)
        return case.id, case.case_number


def receipt_input(counter_id: int, **overrides: Any) -> services.ReceiptInput:
    """Three certified copies (RM9.00) paid in cash, unless told otherwise."""
    values: dict[str, Any] = {
        "counter_id": counter_id,
        "payer_name": "Siti Aminah binti Abdullah",
        "payer_identity": "850101-11-5002",
        "method": "tunai",
        "lines": [services.LineInput("SALINAN_DIAKUI", quantity=3)],
    }
    values.update(overrides)
    return services.ReceiptInput(**values)


def issue(app: Flask, user: Any, counter_id: int, **overrides: Any) -> int:
    """Issue a receipt as ``user`` in a context of its own; return its id."""
    with app.app_context():
        act_as(app, user)
        from flask import g

        return services.issue_receipt(receipt_input(counter_id, **overrides), g.user).id
