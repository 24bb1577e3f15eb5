"""Warrants, travel restrictions and referrals go out and their answers come back.

Also the bad inputs: unsigned, badly signed or malformed inbound calls, an
answer for an unknown message, an answer the portal cannot apply, a payload
the agency rejects and a time-out, each recorded with its reason and never
leaving case data half-updated.
"""

from __future__ import annotations

import json
import time
from typing import Any

import requests
import sqlalchemy as sa

from plugins.cases.models import Case
from plugins.links import services
from plugins.links.models import (
    IdentityCheck,
    MessageState,
    TravelRestriction,
    Warrant,
)
from plugins.links.signing import IDEMPOTENCY_HEADER, sign
from plugins.links.simulator import Simulator
from portal.extensions import db
from tests.cases.conftest import act_as
from tests.conftest import login
from tests.events import recording
from tests.links.conftest import TIMEOUT, Links


def _party(links: Links, case_id: int) -> int:
    with links.app.app_context():
        return db.session.get(Case, case_id).parties[0].party_id


def _warrant(links: Links, case_id: int) -> int:
    with links.app.app_context():
        act_as(links.app, links.clerk)
        case = db.session.get(Case, case_id)
        return services.request_warrant(
            case, case.parties[0].party_id, "Gagal hadir sebutan"
        ).id


def _row(links: Links, model: type, pk: int) -> dict[str, Any]:
    with links.app.app_context():
        row = db.session.execute(
            sa.select(model.__table__).where(model.__table__.c.id == pk)
        ).one()
        return dict(row._mapping)


def test_a_warrant_goes_to_pdrm_and_its_execution_comes_back(
    links: Links, sim: Simulator
) -> None:
    with recording(links.app) as recorder:
        warrant_id = _warrant(links, links.register())
        key = f"pdrm:warrant:{warrant_id}"
        links.until(
            lambda: _row(links, Warrant, warrant_id)["status"] == "dilaksanakan"
        )
        warrant = _row(links, Warrant, warrant_id)
        assert warrant["police_reference"].startswith("PDRM-")
        assert warrant["executed_at"] is not None
        assert sim.received[key] == 1
        (outgoing,) = links.messages(idempotency_key=key)
        assert outgoing["state"] == MessageState.ACKNOWLEDGED
        assert outgoing["answer"]["status"] == "executed"
        answers = links.messages(reply_to_id=outgoing["id"])
        assert [a["answer"]["status"] for a in answers] == ["received", "executed"]
        assert {a["state"] for a in answers} == {MessageState.ACKNOWLEDGED}
        # Each applied answer fires spkms_on_agency_message_received once its
        # commit is done (the callback's request runs the event just after).
        links.until(
            lambda: (
                {a["id"] for a in answers}
                <= {e["message_id"] for e in recorder.of("agency_message_received")}
            )
        )


def test_an_answer_sent_twice_is_applied_once(links: Links, sim: Simulator) -> None:
    sim.set("pdrm", answer_twice=True)
    warrant_id = _warrant(links, links.register())
    (outgoing,) = links.messages(idempotency_key=f"pdrm:warrant:{warrant_id}")
    links.until(
        lambda: (
            len([c for c in sim.callbacks if c[1] == 200]) >= 0
            and _row(links, Warrant, warrant_id)["status"] == "dilaksanakan"
        )
    )
    sim.wait_idle()
    assert len(links.messages(reply_to_id=outgoing["id"])) == 2


def test_travel_restriction_and_its_lifting(links: Links, sim: Simulator) -> None:
    case_id = links.register()
    with links.app.app_context():
        act_as(links.app, links.clerk)
        case = db.session.get(Case, case_id)
        restriction_id = services.request_travel_restriction(
            case, case.parties[0].party_id, "Tunggakan nafkah"
        ).id
    links.until(
        lambda: (
            _row(links, TravelRestriction, restriction_id)["status"] == "berkuat_kuasa"
        )
    )
    with links.app.app_context():
        services.lift_travel_restriction(
            db.session.get(TravelRestriction, restriction_id), "Tunggakan dijelaskan"
        )
    links.until(
        lambda: _row(links, TravelRestriction, restriction_id)["status"] == "dibatalkan"
    )


def test_a_rejected_payload_is_parked_and_the_queue_moves_on(
    links: Links, sim: Simulator
) -> None:
    sim.set("bheuu", reject=True)
    first = links.register()
    party_id = _party(links, first)
    with links.app.app_context():
        act_as(links.app, links.clerk)
        referral = services.refer_legal_aid(
            db.session.get(Case, first), party_id, "bantuan_guaman"
        )
        referral_id = referral.id
    (parked,) = links.messages(
        idempotency_key=f"bheuu:legal_aid_referral:{referral_id}"
    )
    assert parked["state"] == MessageState.DEAD
    assert "ditolak oleh agensi (HTTP 422)" in parked["last_error"]
    sim.set("bheuu", reject=False)
    second = links.register()
    party_id = _party(links, second)
    with links.app.app_context():
        later = services.refer_legal_aid(
            db.session.get(Case, second), party_id, "sokongan_keluarga"
        ).id
    links.until(
        lambda: (
            links.messages(idempotency_key=f"bheuu:legal_aid_referral:{later}")[0][
                "state"
            ]
            == MessageState.ACKNOWLEDGED
        )
    )
    # Sent again by hand, the parked one now goes through.
    with links.app.app_context():
        from plugins.links.models import AgencyMessage

        services.retry_by_hand(db.session.get(AgencyMessage, parked["id"]))
    links.until(
        lambda: links.messages(id=parked["id"])[0]["state"] == MessageState.ACKNOWLEDGED
    )


def test_a_time_out_is_retried_and_applied_once(links: Links, sim: Simulator) -> None:
    sim.set("jpn", delay=TIMEOUT + 0.3)
    case_id = links.register()
    (message,) = [m for m in links.messages(agency="jpn") if m["case_id"] == case_id]
    assert message["state"] == MessageState.FAILED
    assert "tamat masa" in message["last_error"]
    sim.set("jpn", delay=0.0)
    time.sleep(0.1)
    links.run_job("links.redrive")
    (message,) = links.messages(id=message["id"])
    assert message["state"] == MessageState.ACKNOWLEDGED
    # The agency saw it twice and answered the repeat from its first answer.
    assert sim.received[message["idempotency_key"]] == 2
    with links.app.app_context():
        check = db.session.scalar(
            sa.select(IdentityCheck).where(IdentityCheck.case_id == case_id)
        )
        assert check.result == "sepadan"


def test_an_answer_breaking_the_contract_leaves_the_case_untouched(
    links: Links, sim: Simulator
) -> None:
    sim.set("jpn", bad_answer=True)
    case_id = links.register()
    (message,) = [m for m in links.messages(agency="jpn") if m["case_id"] == case_id]
    assert message["state"] == MessageState.DEAD
    assert "answer.result" in message["last_error"]
    with links.app.app_context():
        check = db.session.scalar(
            sa.select(IdentityCheck).where(IdentityCheck.case_id == case_id)
        )
        assert (check.result, check.checked_at) == ("menunggu", None)

    sim.set("jpn", bad_answer=False)
    sim.set("pdrm", bad_answer=True, execute_warrants=False)
    warrant_id = _warrant(links, links.register())
    sim.wait_idle()
    (outgoing,) = links.messages(idempotency_key=f"pdrm:warrant:{warrant_id}")
    (refused,) = links.messages(reply_to_id=outgoing["id"])
    assert refused["state"] == MessageState.DEAD
    assert "answer.status" in refused["last_error"]
    assert _row(links, Warrant, warrant_id)["status"] == "dihantar"
    assert outgoing["state"] == MessageState.SENT


def _post(links: Links, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(
        f"{links.portal_url}/links/inbound/pdrm",
        data=body,
        headers={"Content-Type": "application/json", **headers},
        timeout=5,
    )


def _last_refusal(links: Links) -> dict[str, Any]:
    return links.messages(direction="in", state=MessageState.DEAD)[-1]


def test_bad_inbound_calls_are_refused_and_recorded(links: Links) -> None:
    secret = sim_secret = links.sim.secrets["pdrm"]
    warrant_id = _warrant(links, links.register())
    links.sim.wait_idle()
    before = _row(links, Warrant, warrant_id)
    answer = {
        "message_key": "uji-1",
        "in_reply_to": f"pdrm:warrant:{warrant_id}",
        "flow": "warrant",
        "answer": {"status": "executed", "reference": "PDRM-X"},
    }
    body = json.dumps(answer).encode()

    unsigned = _post(links, body, {})
    assert unsigned.status_code == 401
    assert "tandatangan" in _last_refusal(links)["last_error"]

    forged = _post(links, body, sign("bukan-rahsia-yang-betul-123", body))
    assert forged.status_code == 403
    assert "does not match" in _last_refusal(links)["last_error"]

    stale = _post(links, body, sign(secret, body, int(time.time()) - 3600))
    assert stale.status_code == 403

    garbage = b"{not json"
    assert _post(links, garbage, sign(secret, garbage)).status_code == 400
    assert "bukan JSON" in _last_refusal(links)["last_error"]

    shapeless = json.dumps({"message_key": "uji-2"}).encode()
    assert _post(links, shapeless, sign(sim_secret, shapeless)).status_code == 400
    assert "in_reply_to" in _last_refusal(links)["last_error"]

    stray = json.dumps({**answer, "in_reply_to": "pdrm:warrant:999999"}).encode()
    response = _post(links, stray, sign(secret, stray))
    assert response.status_code == 422
    assert "tidak dikenali" in _last_refusal(links)["last_error"]
    assert _row(links, Warrant, warrant_id) == before

    # An officer's session is no credential here.
    client = links.app.test_client()
    login(client, links.officer.username)
    assert client.post("/links/inbound/pdrm", data=body).status_code == 401
    assert _row(links, Warrant, warrant_id) == before

    signed = _post(links, body, {IDEMPOTENCY_HEADER: "uji-1", **sign(secret, body)})
    assert signed.status_code == 200, signed.text
    assert _row(links, Warrant, warrant_id)["status"] == "dilaksanakan"
