"""The access log's hash chain: every row chained, and a row altered or removed
with raw SQL is named by ``spkms audit verify``."""

from __future__ import annotations

import itertools

import sqlalchemy as sa
from flask import Flask

from portal.audit import chain
from portal.audit.cli import verify_command
from portal.audit.models import AccessLog, AuditChainHead
from portal.extensions import db
from tests.conftest import login, make_officer


def _fill(app: Flask, logins: int = 3) -> None:
    """Make some chained rows: logins and failed logins, as people do."""
    for _ in range(logins):
        officer = make_officer(app, "Clerk", ("11001",))
        client = app.test_client()
        login(client, officer.username)
        client.post("/login/", data={"username": officer.username, "password": "x"})


def _verify(app: Flask) -> chain.ChainReport:
    with app.app_context(), db.engine.connect() as connection:
        return chain.verify(connection)


def _chained_ids(app: Flask) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AccessLog.id)
                .where(AccessLog.hash.is_not(None))
                .order_by(AccessLog.id)
            )
        )


def _raw(app: Flask, sql: str, **params: object) -> None:
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text(sql), params)


def test_every_row_is_chained_to_the_one_before(app: Flask) -> None:
    _fill(app)
    with app.app_context():
        rows = list(
            db.session.scalars(
                sa.select(AccessLog)
                .where(AccessLog.hash.is_not(None))
                .order_by(AccessLog.id)
            )
        )
        head = db.session.get(AuditChainHead, chain.HEAD_ID)
        assert head is not None and head.last_hash == rows[-1].hash
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.hash
    assert _verify(app).ok


def test_an_altered_row_is_named_by_audit_verify(app: Flask) -> None:
    _fill(app, 2)
    target = _chained_ids(app)[-3]
    with app.app_context():
        original = db.session.get(AccessLog, target).username
        db.session.rollback()
    runner = app.test_cli_runner()
    assert runner.invoke(verify_command).exit_code == 0
    change = "UPDATE access_log SET username = :name WHERE id = :id"
    _raw(app, change, name="orang-lain", id=target)
    try:
        result = runner.invoke(verify_command)
        assert result.exit_code == 1
        assert f"record {target} altered" in result.output
    finally:
        # Put it back so the session's other tests see a whole chain.
        _raw(app, change, name=original, id=target)
    assert _verify(app).ok


def test_a_removed_row_is_named_by_the_row_after_it(app: Flask) -> None:
    _fill(app, 2)
    ids = _chained_ids(app)
    removed, following = ids[-3], ids[-2]
    with app.app_context(), db.engine.connect() as connection:
        saved = dict(
            connection.execute(
                sa.select(AccessLog.__table__).where(AccessLog.id == removed)
            )
            .mappings()
            .one()
        )
    _raw(app, "DELETE FROM access_log WHERE id = :id", id=removed)
    try:
        report = _verify(app)
        assert not report.ok
        assert report.record_id == following
        assert f"before record {following}" in (report.problem or "")
    finally:
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(sa.insert(AccessLog.__table__).values(saved))
    assert _verify(app).ok


def test_rows_cut_off_the_end_are_noticed(app: Flask) -> None:
    _fill(app, 1)
    last = _chained_ids(app)[-1]
    with app.app_context(), db.engine.connect() as connection:
        saved = dict(
            connection.execute(
                sa.select(AccessLog.__table__).where(AccessLog.id == last)
            )
            .mappings()
            .one()
        )
    _raw(app, "DELETE FROM access_log WHERE id = :id", id=last)
    try:
        report = _verify(app)
        assert not report.ok
        assert "removed from the end" in (report.problem or "")
        assert report.record_id == last
    finally:
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(sa.insert(AccessLog.__table__).values(saved))
    assert _verify(app).ok
