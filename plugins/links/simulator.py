"""The agency simulator: a small WSGI app that plays JPN, PDRM, JIM, BHEUU, JAKIM.

The real agency interfaces are not public, so the simulator serves the JSON
contract of the built-in connectors (``docs/links.md``): it checks each
request's signature, answers synchronously where the contract says so, and
otherwise accepts the request and calls the portal's signed inbound endpoint
back from a thread. It remembers every idempotency key and answers a repeat
with its first answer, never applying a message twice.

It can be told, per agency or for all (``*``), to be down (503), to be slow
(``delay`` seconds before answering), to answer twice (each callback sent
twice), to reject every request (422) or to send a malformed answer, by
``POST /_control`` or by the options of ``spkms agency-sim``. ``GET
/_control`` reports what it received.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from werkzeug.wrappers import Request, Response

from plugins.links.signing import IDEMPOTENCY_HEADER, SignatureError, sign, verify

logger = logging.getLogger(__name__)

AGENCIES = ("jpn", "pdrm", "jim", "bheuu", "jakim")
MYKAD = re.compile(r"^\d{12}$")


@dataclass
class Behaviour:
    """How one agency behaves right now."""

    down: bool = False
    delay: float = 0.0
    answer_twice: bool = False
    reject: bool = False
    bad_answer: bool = False
    #: PDRM: report the warrant executed after receiving it.
    execute_warrants: bool = True


@dataclass
class Simulator:
    """State of the simulated agencies; ``app`` is the WSGI callable."""

    secrets: dict[str, str]
    portal_url: str
    behaviour: dict[str, Behaviour] = field(default_factory=dict)
    #: idempotency key -> the first response (status, body)
    seen: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    #: idempotency key -> how many times it arrived
    received: dict[str, int] = field(default_factory=dict)
    #: agency -> keys in the order first received
    order: dict[str, list[str]] = field(default_factory=dict)
    callbacks: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        for agency in AGENCIES:
            self.behaviour.setdefault(agency, Behaviour())

    # -- control ------------------------------------------------------------

    def set(self, agency: str = "*", **changes: Any) -> None:
        """Change the behaviour of ``agency`` (``*``: all of them)."""
        targets: Iterable[str] = AGENCIES if agency == "*" else (agency,)
        for name in targets:
            behaviour = self.behaviour[name]
            for key, value in changes.items():
                if not hasattr(behaviour, key):
                    raise ValueError(f"unknown behaviour {key!r}")
                setattr(behaviour, key, type(getattr(behaviour, key))(value))

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait for the callbacks in flight (tests use it)."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(deadline - time.monotonic(), 0))

    def report(self) -> dict[str, Any]:
        with self.lock:
            return {
                "received": dict(self.received),
                "order": {a: list(k) for a, k in self.order.items()},
                "callbacks": list(self.callbacks),
            }

    # -- WSGI ---------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        parts = [p for p in request.path.split("/") if p]
        if parts == ["_control"]:
            return self._control(request)
        if len(parts) != 2 or parts[0] not in AGENCIES or request.method != "POST":
            return _json(404, {"status": "rejected", "reason": "no such endpoint"})
        agency, flow = parts
        behaviour = self.behaviour[agency]
        response = self._handle(request, agency, flow, behaviour)
        if behaviour.delay:
            # A slow agency: the work is done, the reply comes late.
            time.sleep(behaviour.delay)
        return response

    def _handle(
        self, request: Request, agency: str, flow: str, behaviour: Behaviour
    ) -> Response:
        if behaviour.down:
            return _json(503, {"status": "unavailable", "reason": "agency is down"})
        body = request.get_data()
        try:
            verify(
                self.secrets.get(agency, ""),
                body,
                request.headers.get("X-SPKMS-Timestamp"),
                request.headers.get("X-SPKMS-Signature"),
            )
        except SignatureError as exc:
            return _json(401, {"status": "rejected", "reason": str(exc)})
        key = request.headers.get(IDEMPOTENCY_HEADER, "")
        if not key:
            return _json(
                400, {"status": "rejected", "reason": "idempotency key missing"}
            )
        with self.lock:
            self.received[key] = self.received.get(key, 0) + 1
            first = self.seen.get(key)
            if first is None:
                self.order.setdefault(agency, []).append(key)
        if first is not None:
            response = _json(*first)
            response.headers["X-Idempotent-Replay"] = "true"
            return response
        try:
            message = json.loads(body)
            data = message["data"]
            assert message.get("flow") == flow and isinstance(data, dict)
        except (ValueError, KeyError, AssertionError, TypeError):
            return self._remember(
                key, 422, {"status": "rejected", "reason": "malformed request"}
            )
        if behaviour.reject:
            return self._remember(
                key,
                422,
                {"status": "rejected", "reason": "rejected by the agency (simulated)"},
            )
        handler = getattr(self, f"_{agency}_{flow}", None)
        if handler is None:
            return self._remember(
                key, 422, {"status": "rejected", "reason": f"unknown flow {flow}"}
            )
        status, answer = handler(key, data, behaviour)
        return self._remember(key, status, answer)

    def _remember(self, key: str, status: int, body: dict[str, Any]) -> Response:
        """Keep an accepted message's response for its repeats.

        A rejection changes nothing at the agency, so it is not kept: the same
        key sent again (after the court fixed the cause) is looked at afresh.
        """
        if status < 400:
            with self.lock:
                self.seen[key] = (status, body)
        return _json(status, body)

    def _control(self, request: Request) -> Response:
        if request.method == "GET":
            return _json(200, self.report())
        try:
            changes = json.loads(request.get_data() or b"{}")
            agency = changes.pop("agency", "*")
            self.set(agency, **changes)
        except (ValueError, KeyError, TypeError) as exc:
            return _json(400, {"status": "rejected", "reason": str(exc)})
        return _json(200, {"status": "ok"})

    # -- callbacks --------------------------------------------------------------

    def _call_back(self, agency: str, answers: list[dict[str, Any]]) -> None:
        """Send each answer to the portal from a thread (twice when told to)."""

        def run() -> None:
            for answer in answers:
                times = 2 if self.behaviour[agency].answer_twice else 1
                for _ in range(times):
                    body = json.dumps(answer).encode("utf-8")
                    headers = {
                        "Content-Type": "application/json",
                        IDEMPOTENCY_HEADER: answer["message_key"],
                        **sign(self.secrets[agency], body),
                    }
                    try:
                        response = requests.post(
                            f"{self.portal_url}/links/inbound/{agency}",
                            data=body,
                            headers=headers,
                            timeout=10,
                        )
                        status = response.status_code
                    except requests.RequestException as exc:
                        logger.warning("simulator callback failed: %s", exc)
                        status = 0
                    with self.lock:
                        self.callbacks.append((answer["message_key"], status))

        thread = threading.Thread(
            target=run, name=f"sim-callback-{agency}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _answer(
        self, flow: str, in_reply_to: str, answer: dict[str, Any], bad: bool
    ) -> dict[str, Any]:
        if bad:
            answer = {**answer, "status": "tidak-diketahui"}
        return {
            "message_key": f"sim-{uuid.uuid4().hex}",
            "in_reply_to": in_reply_to,
            "flow": flow,
            "answer": answer,
        }

    # -- the agencies -------------------------------------------------------------

    def _jpn_identity_check(
        self, key: str, data: dict[str, Any], behaviour: Behaviour
    ) -> tuple[int, dict[str, Any]]:
        number = str(data.get("identity_number", ""))
        if not MYKAD.match(number):
            return 422, {"status": "rejected", "reason": "identity_number: 12 digits"}
        name = str(data.get("name", "")).upper()
        if number.endswith("0000"):
            result = {"result": "not_found"}
        elif "SALAH" in name:
            result = {"result": "mismatch", "registered_name": "NAMA LAIN"}
        else:
            result = {"result": "match", "registered_name": name}
        if behaviour.bad_answer:
            result = {"result": "tidak-diketahui"}
        return 200, {"status": "answered", "answer": result}

    def _jpn_marital_status(
        self, key: str, data: dict[str, Any], behaviour: Behaviour
    ) -> tuple[int, dict[str, Any]]:
        if not data.get("case_number") or not data.get("persons"):
            return 422, {"status": "rejected", "reason": "case_number and persons"}
        return 202, {"status": "accepted", "reference": f"JPN-{uuid.uuid4().hex[:8]}"}

    def _person_ok(self, data: dict[str, Any]) -> bool:
        person = data.get("person") or {}
        return bool(person.get("identity_number")) and bool(person.get("name"))

    def _pdrm_warrant(
        self, key: str, data: dict[str, Any], behaviour: Behaviour
    ) -> tuple[int, dict[str, Any]]:
        if not self._person_ok(data) or not data.get("warrant_id"):
            return 422, {"status": "rejected", "reason": "warrant_id and person"}
        reference = f"PDRM-{uuid.uuid4().hex[:8].upper()}"
        answers = [
            self._answer(
                "warrant",
                key,
                {"status": "received", "reference": reference},
                behaviour.bad_answer,
            )
        ]
        if behaviour.execute_warrants:
            answers.append(
                self._answer(
                    "warrant",
                    key,
                    {
                        "status": "executed",
                        "reference": reference,
                        "at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
                        "note": "Ditangkap dan dibawa ke mahkamah",
                    },
                    behaviour.bad_answer,
                )
            )
        self._call_back("pdrm", answers)
        return 202, {"status": "accepted", "reference": reference}

    def _jim_travel_restriction(
        self, key: str, data: dict[str, Any], behaviour: Behaviour
    ) -> tuple[int, dict[str, Any]]:
        if not self._person_ok(data):
            return 422, {"status": "rejected", "reason": "person"}
        reference = f"JIM-{uuid.uuid4().hex[:8].upper()}"
        self._call_back(
            "jim",
            [
                self._answer(
                    "travel_restriction",
                    key,
                    {"status": "active", "reference": reference},
                    behaviour.bad_answer,
                )
            ],
        )
        return 202, {"status": "accepted", "reference": reference}

    def _jim_travel_restriction_lift(
        self, key: str, data: dict[str, Any], behaviour: Behaviour
    ) -> tuple[int, dict[str, Any]]:
        reference = str(data.get("reference") or "")
        if not reference:
            return 422, {"status": "rejected", "reason": "reference"}
        self._call_back(
            "jim",
            [
                self._answer(
                    "travel_restriction_lift",
                    key,
                    {"status": "lifted", "reference": reference},
                    behaviour.bad_answer,
                )
            ],
        )
        return 202, {"status": "accepted", "reference": reference}

    def _bheuu_legal_aid_referral(
        self, key: str, data: dict[str, Any], behaviour: Behaviour
    ) -> tuple[int, dict[str, Any]]:
        if not self._person_ok(data):
            return 422, {"status": "rejected", "reason": "person"}
        reference = f"JBG-{uuid.uuid4().hex[:8].upper()}"
        self._call_back(
            "bheuu",
            [
                self._answer(
                    "legal_aid_referral",
                    key,
                    {
                        "status": "accepted",
                        "reference": reference,
                        "lawyer": "Peguam Syarie Bantuan Guaman",
                    },
                    behaviour.bad_answer,
                )
            ],
        )
        return 202, {"status": "accepted", "reference": reference}

    def _jakim_case_statistics(
        self, key: str, data: dict[str, Any], behaviour: Behaviour
    ) -> tuple[int, dict[str, Any]]:
        if not re.match(r"^\d{4}-\d{2}$", str(data.get("period", ""))):
            return 422, {"status": "rejected", "reason": "period: YYYY-MM"}
        return 202, {"status": "accepted", "reference": f"JAKIM-{data['period']}"}


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
