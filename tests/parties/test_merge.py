"""Merging a duplicate profile: references move, the record and versions stay."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy_continuum import version_class

from plugins.parties import services
from plugins.parties.models import Party, PartyMerge
from portal import hookimpl
from portal.extensions import db
from tests.conftest import make_officer
from tests.parties.conftest import party_fields

_seed = iter(range(3_000_000, 4_000_000, 7))


def seven_digits() -> str:
    """Seven digits no other test uses, for old IC and police numbers."""
    return f"{next(_seed):07d}"


class RepointRecorder:
    """A plugin holding references to parties: records each repoint call.

    With ``fail`` set it changes a row first and then fails, as a plugin whose
    update broke half-way would.
    """

    def __init__(self, moved: int = 3, *, fail: bool = False) -> None:
        self.moved = moved
        self.fail = fail
        self.calls: list[tuple[int, int, bool]] = []

    @hookimpl
    def spkms_repoint_party(
        self, session: Any, from_party_id: int, to_party_id: int
    ) -> int:
        self.calls.append((from_party_id, to_party_id, session is db.session()))
        if self.fail:
            session.get(Party, to_party_id).town = "Ditukar separuh jalan"
            session.flush()
            raise RuntimeError("repoint failed half-way")
        return self.moved


@pytest.fixture
def recorder(app: Flask) -> Iterator[RepointRecorder]:
    manager = app.extensions["spkms"].plugin_manager
    plugin = RepointRecorder()
    manager.register(plugin, name="test-repoint-recorder")
    yield plugin
    manager.unregister(plugin)


def _pair(survivor: str, duplicate_fields: dict[str, Any]) -> tuple[int, int]:
    kept = services.create_party(**party_fields(survivor, town="Kuala Terengganu"))
    dup = services.create_party(**duplicate_fields)
    db.session.commit()
    return kept.id, dup.id


def test_merge_moves_references_and_records_it(
    app: Flask, app_ctx, recorder: RepointRecorder
) -> None:
    registrar = make_officer(app, "Registrar", ("11001",))
    survivor_id, duplicate_id = _pair(
        "Muhammad Ali bin Abu Bakar",
        {
            "full_name": "Mohd Ali b. Abu Bakar",
            "identity_type": "old_ic",
            "identity_number": f"K{seven_digits()}",
            "phone": "019-3456789",
        },
    )
    earlier = services.create_party(
        full_name="Md Ali Abu Bakar",
        identity_type="police",
        identity_number=f"RF{seven_digits()}",
    )
    earlier.merged_into_id = duplicate_id
    db.session.commit()

    record = services.merge_parties(
        survivor_id, duplicate_id, "Orang yang sama", registrar.id
    )

    assert recorder.calls == [(duplicate_id, survivor_id, True)]
    db.session.expire_all()
    duplicate = db.session.get(Party, duplicate_id)
    survivor = db.session.get(Party, survivor_id)
    assert duplicate.merged_into_id == survivor_id
    assert db.session.get(Party, earlier.id).merged_into_id == survivor_id
    assert survivor.phone == "0193456789"  # filled from the duplicate
    assert survivor.town == "Kuala Terengganu"  # kept
    stored = db.session.get(PartyMerge, record.id)
    assert (stored.survivor_id, stored.merged_id) == (survivor_id, duplicate_id)
    assert stored.moved_references == 3 + 1
    assert (stored.merged_by_id, stored.forced) == (registrar.id, False)
    assert stored.reason == "Orang yang sama"
    # Continuum versioned the merge: the duplicate's change and the record.
    party_versions = version_class(Party)
    latest = db.session.scalars(
        sa.select(party_versions)
        .where(party_versions.id == duplicate_id)
        .order_by(party_versions.transaction_id.desc())
    ).first()
    assert latest.merged_into_id == survivor_id
    merge_versions = version_class(PartyMerge)
    assert db.session.scalar(
        sa.select(sa.func.count()).where(merge_versions.id == record.id)
    )
    assert latest.transaction_id == db.session.scalar(
        sa.select(merge_versions.transaction_id).where(merge_versions.id == record.id)
    )


def test_a_failing_plugin_leaves_nothing_written(app: Flask, app_ctx) -> None:
    survivor_id, duplicate_id = _pair(
        "Abdullah bin Awang",
        {
            "full_name": "Abdullah Awang",
            "identity_type": "old_ic",
            "identity_number": seven_digits(),
        },
    )
    manager = app.extensions["spkms"].plugin_manager
    failing = RepointRecorder(fail=True)
    manager.register(failing, name="test-repoint-failing")
    try:
        with pytest.raises(RuntimeError, match="half-way"):
            services.merge_parties(survivor_id, duplicate_id, "Sama", None)
    finally:
        manager.unregister(failing)
    assert failing.calls
    db.session.expire_all()
    assert db.session.get(Party, duplicate_id).merged_into_id is None
    assert db.session.get(Party, survivor_id).town == "Kuala Terengganu"
    assert not db.session.scalar(
        sa.select(sa.func.count(PartyMerge.id)).where(
            PartyMerge.merged_id == duplicate_id
        )
    )


def test_merges_that_cannot_be_right_are_refused(app_ctx) -> None:
    a = services.create_party(**party_fields("Ismail bin Sulong"))
    b = services.create_party(**party_fields("Ismail Sulong"))
    c = services.create_party(
        full_name="Ismail b. Sulong",
        identity_type="old_ic",
        identity_number=seven_digits(),
    )
    db.session.commit()
    refusals = [
        ((a.id, a.id, "x"), "duplicate_id: a profile cannot be merged into itself"),
        ((a.id, 999_999, "x"), "duplicate_id: there is no profile 999999"),
        ((a.id, c.id, "  "), "reason: is required"),
        ((a.id, b.id, "sama"), "duplicate_id: the profiles carry different MyKad"),
    ]
    for (survivor, duplicate, reason), message in refusals:
        with pytest.raises(services.PartyError) as caught:
            services.merge_parties(survivor, duplicate, reason, None)
        assert str(caught.value).startswith(message)
    services.merge_parties(a.id, c.id, "Kad lama orang yang sama", None)
    with pytest.raises(services.PartyError, match="was already merged into"):
        services.merge_parties(a.id, c.id, "lagi", None)
    with pytest.raises(
        services.PartyError, match=r"^survivor_id: profile .* was merged"
    ):
        services.merge_parties(c.id, b.id, "terbalik", None)
    # Two MyKad numbers only when forced, with the reason.
    forced = services.merge_parties(
        a.id, b.id, "MyKad ditukar: nombor lama tersalah daftar", None, force=True
    )
    assert forced.forced
