"""The allocation records: append-only, chained by hash, a change is found."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from plugins.allocation import services
from plugins.allocation.models import GENESIS_HASH, AllocationRecord
from portal.extensions import db
from tests.allocation.conftest import (
    add_case,
    allocation_settings,
    new_court,
    new_judge,
    records_of,
)


def _allocate_some(app, count: int = 4) -> tuple[str, list[int], list[int]]:
    court = new_court(app)
    judges = [new_judge(app, court) for _ in range(2)]
    with allocation_settings(app, strategy="least_loaded"), app.app_context():
        ids = []
        for _ in range(count):
            case = add_case(court)
            services.allocate(db.session, case)
            ids.extend(record.id for record in records_of(case.id))
        db.session.commit()
    return court, judges, ids


def test_records_chain_per_court_and_verify(app) -> None:
    _court, _judges, ids = _allocate_some(app)
    with app.app_context():
        records = [db.session.get(AllocationRecord, pk) for pk in ids]
        assert records[0].prev_hash == GENESIS_HASH
        for before, after in itertools.pairwise(records):
            assert after.prev_hash == before.hash
        assert all(r.hash == r.compute_hash() for r in records)
        assert services.verify_chain(db.session, records[0].court_id) is None


def test_an_altered_record_is_detected(app) -> None:
    _court, judges, ids = _allocate_some(app)
    with app.app_context():
        record = db.session.get(AllocationRecord, ids[1])
        court, original = record.court_id, record.chosen_judge_id
        other = next(j for j in judges if j != original)
        db.session.execute(
            sa.update(AllocationRecord.__table__)
            .where(AllocationRecord.__table__.c.id == ids[1])
            .values(chosen_judge_id=other)
        )
        db.session.commit()
        assert services.verify_chain(db.session, court) == ids[1]
        assert services.verify_chain(db.session) is not None
        # A removed record breaks its successor's link.
        db.session.execute(
            sa.update(AllocationRecord.__table__)
            .where(AllocationRecord.__table__.c.id == ids[1])
            .values(chosen_judge_id=original)
        )
        db.session.execute(
            sa.delete(AllocationRecord.__table__).where(
                AllocationRecord.__table__.c.id == ids[2]
            )
        )
        db.session.commit()
        db.session.expire_all()
        assert services.verify_chain(db.session, court) == ids[3]


def test_the_orm_refuses_to_change_or_delete_a_record(app) -> None:
    _court, _judges, ids = _allocate_some(app, count=1)
    with app.app_context():
        record = db.session.get(AllocationRecord, ids[0])
        record.reason_text = "diubah"
        with pytest.raises(PermissionError):
            db.session.flush()
        db.session.rollback()
        record = db.session.get(AllocationRecord, ids[0])
        db.session.delete(record)
        with pytest.raises(PermissionError):
            db.session.flush()
        db.session.rollback()
        assert db.session.get(AllocationRecord, ids[0]).reason_text != "diubah"
