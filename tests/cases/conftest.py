"""Helpers for case tests: a valid registration request and a clerk to make it."""

from __future__ import annotations

import itertools
from typing import Any

import sqlalchemy as sa
from flask import g

from plugins.cases import services
from plugins.cases.models import CaseType
from portal.extensions import db
from tests.conftest import court_id

_serial = itertools.count(1)


def mykad(serial: int | None = None) -> str:
    """A valid MyKad number (born 1 Jan 1985 in Terengganu), unique per call."""
    number = next(_serial) if serial is None else serial
    return f"850101-11-{number % 10000:04d}"


def case_type_id(code: str = "055") -> int:
    found = db.session.scalar(sa.select(CaseType.id).where(CaseType.code == code))
    assert found is not None
    return found


def registration(
    court: str = "11002",
    *,
    user: Any,
    from_court: str = "11001",
    type_code: str = "055",
    parties: list[services.PartyInput] | None = None,
    **extra: Any,
) -> services.Registration:
    """A valid request: a divorce claim between two new people."""
    return services.Registration(
        court_id=court_id(court),
        case_type_id=case_type_id(type_code),
        title=extra.pop("title", "Tuntutan perceraian"),
        parties=parties
        if parties is not None
        else [
            services.PartyInput(
                role="plaintif",
                identity_number=mykad(),
                details={"full_name": "Siti Aminah binti Abdullah"},
            ),
            services.PartyInput(
                role="defendan",
                identity_number=mykad(),
                details={"full_name": "Ahmad bin Ismail"},
            ),
        ],
        registered_by_id=user.id,
        registered_from_id=court_id(from_court),
        **extra,
    )


def act_as(app: Any, user: Any) -> None:
    """Make ``user`` the officer of the current app context (as a login would)."""
    g.user = app.appbuilder.sm.get_user_by_id(user.id)
    g.pop("spkms_viewer", None)
