"""32 registrations at once do not all pick the same least-loaded judge."""

from __future__ import annotations

import threading

from plugins.allocation import services
from plugins.cases import services as cases
from portal.extensions import db
from tests.allocation.conftest import allocation_settings, new_court, new_judge
from tests.cases.conftest import act_as, registration
from tests.conftest import court_id, make_officer

#: Weight-1 case types of different number series, so the running-number
#: row lock does not serialize the registrations for the allocator.
TYPES = ("010", "018", "024", "013")


def test_32_concurrent_registrations_stay_balanced(app) -> None:
    court = new_court(app)
    judges = [new_judge(app, court) for _ in range(4)]
    clerk = make_officer(app, "Clerk", (court,))
    chosen: list[int | None] = []
    errors: list[BaseException] = []
    start = threading.Barrier(32)

    def register_one(index: int) -> None:
        try:
            with app.app_context():
                act_as(app, clerk)
                request = registration(
                    court,
                    user=clerk,
                    from_court=court,
                    type_code=TYPES[index % len(TYPES)],
                )
                # End the read transaction: on SQLite it holds the write lock.
                db.session.rollback()
                start.wait(timeout=30)
                case = cases.register_case(request)
                chosen.append(case.judge_id)
                db.session.remove()
        except BaseException as exc:  # reported below
            errors.append(exc)

    with allocation_settings(app, strategy="least_loaded"):
        threads = [threading.Thread(target=register_one, args=(n,)) for n in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    assert len(chosen) == 32 and None not in chosen
    with app.app_context():
        loads = services.weighted_loads(db.session, judges, services.settings())
        assert sum(loads.values()) == 32
        assert services.spread(loads) <= 1, loads
        assert services.verify_chain(db.session, court_id(court)) is None
