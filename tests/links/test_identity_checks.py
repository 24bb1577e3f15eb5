"""JPN identity checks at registration survive the agency being down."""

from __future__ import annotations

import os
import time

import sqlalchemy as sa

from plugins.links.models import IdentityCheck, MessageState
from plugins.links.simulator import Simulator
from portal.extensions import db
from tests.links.conftest import Links

#: Registrations made while JPN is down. One inline registration costs about
#: 0.1 s here (each commits about seven times through the jobs outbox: the
#: case, the event, its listeners, the identity check), so 500 on both
#: backends took about 2 minutes, past the suite's budget; 100 per backend
#: (about 25 s in all) exercises the same path. The full-size case runs by
#: hand with ``SPKMS_TEST_REGISTRATIONS=500 pytest tests/links``.
REGISTRATIONS = int(os.environ.get("SPKMS_TEST_REGISTRATIONS", "100"))


def test_every_check_is_delivered_once_in_order_after_jpn_comes_back(
    links: Links, sim: Simulator
) -> None:
    sim.set("jpn", down=True)
    started = time.monotonic()
    case_ids = [links.register() for _ in range(REGISTRATIONS)]
    spent = time.monotonic() - started
    print(f"{REGISTRATIONS} registrations with JPN down: {spent:.1f} s")
    waiting = [
        m
        for m in links.messages(agency="jpn", flow="identity_check")
        if m["case_id"] in set(case_ids)
    ]
    assert len(waiting) == REGISTRATIONS
    assert {m["state"] for m in waiting} <= {MessageState.QUEUED, MessageState.FAILED}
    assert not any(sim.received.get(m["idempotency_key"]) for m in waiting)

    sim.set("jpn", down=False)
    time.sleep(0.5)  # the head's back-off runs out
    links.run_job("links.redrive")
    delivered = {m["idempotency_key"]: m for m in links.messages(agency="jpn")}
    keys = [m["idempotency_key"] for m in waiting]
    assert all(delivered[k]["state"] == MessageState.ACKNOWLEDGED for k in keys)
    # Exactly once each, and in the order they were written.
    assert [sim.received[k] for k in keys] == [1] * len(keys)
    order = [k for k in sim.order["jpn"] if k in set(keys)]
    assert order == keys
    with links.app.app_context():
        results = db.session.execute(
            sa.select(IdentityCheck.result, sa.func.count())
            .where(IdentityCheck.case_id.in_(case_ids))
            .group_by(IdentityCheck.result)
        ).all()
    assert dict(results) == {"sepadan": REGISTRATIONS}
