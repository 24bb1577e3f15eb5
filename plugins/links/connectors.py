"""Agency connectors: what each agency exchanges and how it is put on the wire.

A connector names its agency, declares its flows (each with a direction and
how its answer comes back) and turns the portal's own payload of a flow into
the agency's request, and the agency's answer back into the portal's own
answer. The built-in connectors speak the JSON contract in ``docs/links.md``
(which ``spkms agency-sim`` serves); a state whose agency has another
interface registers its own connector through ``spkms_agency_connectors`` and
names it in ``[links.<agency>].connector``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

#: Directions of a flow.
ONE_WAY_OUT = "out"
ONE_WAY_IN = "in"
TWO_WAY = "two-way"

# TODO(polling): no flow polls the agency for its answers yet; an agency
# that cannot call back needs a POLL kind here and a scheduled job that
# fetches its answers and hands each to the inbound endpoint's apply step.
#: How the answer of a two-way flow arrives.
SYNC = "sync"  # in the response to the request
CALLBACK = "callback"  # the agency calls the portal's signed inbound endpoint
NO_ANSWER = "none"


class AnswerError(ValueError):
    """An agency's answer the portal cannot apply; names the field and rule."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


@dataclass(frozen=True)
class Flow:
    """One kind of exchange with an agency."""

    name: str
    direction: str
    answer: str = NO_ANSWER
    label: str = ""

    @property
    def expects_answer(self) -> bool:
        return self.direction == TWO_WAY


@dataclass(frozen=True)
class Request:
    """What goes on the wire: a path under the endpoint and a JSON body."""

    path: str
    body: dict[str, Any]


@dataclass
class Connector:
    """The built-in JSON contract; subclass it for an agency's real interface.

    ``agency`` is the profile key (``jpn``); ``name`` is what the profile's
    ``connector`` setting picks. ``answers`` lists, per flow, the fields an
    answer must carry and the values each may take (``None``: any text).
    """

    agency: str
    title: str
    flows: dict[str, Flow]
    name: str = ""
    answers: dict[str, dict[str, tuple[str, ...] | None]] = field(default_factory=dict)

    #: Version of the JSON contract this connector speaks.
    CONTRACT: ClassVar[str] = "spkms-links/1"

    def __post_init__(self) -> None:
        self.name = self.name or self.agency

    def build(self, flow: str, key: str, payload: dict[str, Any]) -> Request:
        """The request of ``flow`` carrying ``payload`` under message ``key``."""
        return Request(
            path=f"/{flow}",
            body={
                "contract": self.CONTRACT,
                "message_key": key,
                "flow": flow,
                "data": payload,
            },
        )

    def parse_answer(self, flow: str, answer: Any) -> dict[str, Any]:
        """Check an agency's answer of ``flow``; return it as the portal keeps it.

        :raises AnswerError: a required field is missing or has a value the
            contract does not allow.
        """
        if not isinstance(answer, dict):
            raise AnswerError("answer", "must be a JSON object")
        for name, allowed in self.answers.get(flow, {}).items():
            value = answer.get(name)
            if not isinstance(value, str) or not value:
                raise AnswerError(f"answer.{name}", "is required")
            if allowed is not None and value not in allowed:
                raise AnswerError(
                    f"answer.{name}", f"{value!r} is not one of {', '.join(allowed)}"
                )
        return dict(answer)


def builtin_connectors() -> list[Connector]:
    """JPN, PDRM, JIM, BHEUU and JAKIM as the simulator's contract has them."""
    return [
        Connector(
            agency="jpn",
            title="Jabatan Pendaftaran Negara",
            flows={
                "identity_check": Flow(
                    "identity_check", TWO_WAY, SYNC, "Semakan identiti (MyKad)"
                ),
                "marital_status": Flow(
                    "marital_status", ONE_WAY_OUT, NO_ANSWER, "Status perkahwinan"
                ),
            },
            answers={
                "identity_check": {
                    "result": ("match", "mismatch", "not_found", "deceased")
                }
            },
        ),
        Connector(
            agency="pdrm",
            title="Polis Diraja Malaysia",
            flows={
                "warrant": Flow("warrant", TWO_WAY, CALLBACK, "Waran tangkap"),
            },
            answers={
                "warrant": {
                    "status": ("received", "executed", "unexecuted"),
                    "reference": None,
                }
            },
        ),
        Connector(
            agency="jim",
            title="Jabatan Imigresen Malaysia",
            flows={
                "travel_restriction": Flow(
                    "travel_restriction", TWO_WAY, CALLBACK, "Sekatan perjalanan"
                ),
                "travel_restriction_lift": Flow(
                    "travel_restriction_lift",
                    TWO_WAY,
                    CALLBACK,
                    "Pembatalan sekatan perjalanan",
                ),
            },
            answers={
                "travel_restriction": {
                    "status": ("active", "refused"),
                    "reference": None,
                },
                "travel_restriction_lift": {
                    "status": ("lifted", "refused"),
                    "reference": None,
                },
            },
        ),
        Connector(
            agency="bheuu",
            title="Bahagian Hal Ehwal Undang-Undang (Bantuan Guaman)",
            flows={
                "legal_aid_referral": Flow(
                    "legal_aid_referral", TWO_WAY, CALLBACK, "Rujukan bantuan guaman"
                ),
            },
            answers={
                "legal_aid_referral": {
                    "status": ("accepted", "declined"),
                    "reference": None,
                }
            },
        ),
        Connector(
            agency="jakim",
            title="Jabatan Kemajuan Islam Malaysia",
            flows={
                "case_statistics": Flow(
                    "case_statistics", ONE_WAY_OUT, NO_ANSWER, "Statistik kes"
                ),
            },
        ),
    ]
