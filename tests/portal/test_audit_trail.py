"""The change history: every write versioned with who, when and from where."""

from __future__ import annotations

import itertools

import sqlalchemy as sa
from sqlalchemy_continuum import version_class, versioning_manager

from portal.audit import trail
from portal.extensions import db
from portal.models import Judge
from tests.conftest import api_headers, court_id, login, make_officer


def _transactions_for(model: type, record_id: int) -> list[tuple[int, str | None, int]]:
    version = version_class(model)
    transaction = versioning_manager.transaction_cls
    rows = db.session.execute(
        sa.select(transaction.user_id, transaction.remote_addr, version.operation_type)
        .join(version, version.transaction_id == transaction.id)
        .where(version.id == record_id)
        .order_by(transaction.id)
    )
    return [tuple(row) for row in rows]


def test_screen_write_is_versioned_with_user_and_address(app, client) -> None:
    clerk = make_officer(app, "Admin")
    judge_user = make_officer(app, "Judge", ("11001",))
    login(client, clerk.username)
    with app.app_context():
        court = court_id("11001")
    response = client.post(
        "/judges/add",
        data={
            "title": "Hakim Syarie",
            "user": judge_user.id,
            "court": court,
            "active": "y",
        },
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert response.status_code == 302
    with app.app_context():
        judge = db.session.scalar(
            sa.select(Judge).where(Judge.user_id == judge_user.id)
        )
        assert judge is not None
        assert _transactions_for(Judge, judge.id) == [(clerk.id, "10.9.8.7", 0)]


def test_api_write_is_versioned_with_the_token_user(app, client) -> None:
    """FAB's JWT login sets only g.user; the trail must still name the user."""
    admin = make_officer(app, "Admin")
    judge_user = make_officer(app, "Judge", ("11002",))
    headers = api_headers(client, admin.username)
    with app.app_context():
        court = court_id("11002")
    response = client.post(
        "/api/v1/judge/",
        json={"title": "Hakim", "user": judge_user.id, "court": court, "active": True},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    judge_id = response.json["id"]
    response = client.put(
        f"/api/v1/judge/{judge_id}", json={"title": "Hakim Kanan"}, headers=headers
    )
    assert response.status_code == 200, response.text
    with app.app_context():
        history = _transactions_for(Judge, judge_id)
    assert [(user, op) for user, _addr, op in history] == [(admin.id, 0), (admin.id, 1)]


def test_deleted_record_keeps_its_last_version_and_can_be_restored(app, client) -> None:
    admin = make_officer(app, "Admin")
    judge_user = make_officer(app, "Judge", ("11003",))
    with app.app_context():
        judge = Judge(
            user_id=judge_user.id, court_id=court_id("11003"), title="Hakim T"
        )
        db.session.add(judge)
        db.session.commit()
        judge_id = judge.id
    login(client, admin.username)
    assert client.post(f"/judges/delete/{judge_id}").status_code == 302
    with app.app_context():
        assert db.session.get(Judge, judge_id) is None
        deleted = trail.changes(table="judge", record_id=str(judge_id))
        assert [c.operation for c in deleted] == ["padam", "tambah"]
        assert deleted[0].username == admin.username
    page = client.get(f"/audit/changes/?table=judge&record_id={judge_id}")
    assert page.status_code == 200
    assert "Pulihkan" in page.text
    response = client.post(f"/audit/changes/restore/judge/{judge_id}")
    assert response.status_code == 302
    with app.app_context():
        restored = db.session.get(Judge, judge_id)
        assert restored is not None
        assert restored.title == "Hakim T"
        assert restored.user_id == judge_user.id
    # Restoring what is not deleted is refused and changes nothing.
    response = client.post(
        f"/audit/changes/restore/judge/{judge_id}", follow_redirects=True
    )
    assert "is not deleted" in response.text


def test_auditor_reads_and_exports_but_cannot_restore(app, client) -> None:
    auditor = make_officer(app, "Auditor")
    login(client, auditor.username)
    assert client.get("/audit/changes/").status_code == 200
    export = client.get("/audit/changes/csv?table=court")
    assert export.status_code == 200
    assert export.mimetype == "text/csv"
    header, *rows = export.text.splitlines()
    assert header.startswith("transaction,issued_at,username")
    assert any(",court," in row for row in rows)
    refused = client.post("/audit/changes/restore/judge/1")
    assert refused.status_code in {302, 403}
    assert (
        "/login" in refused.headers.get("Location", "/login")
        or refused.status_code == 403
    )
    assert client.get("/judges/add").status_code in {302, 403}


def test_bad_filter_is_named(app, client) -> None:
    auditor = make_officer(app, "Auditor")
    login(client, auditor.username)
    page = client.get("/audit/changes/?since=yesterday", follow_redirects=True)
    assert page.status_code == 200
    assert "since: expected a date" in page.text


def test_exports_defuse_spreadsheet_formulas() -> None:
    """A name typed as '=HYPERLINK(...)' must not run in the auditor's spreadsheet."""
    from portal.exports import to_csv

    text = to_csv(["nama", "n"], [['=HYPERLINK("x")', 3], ["Ali", -1]])
    assert text.splitlines() == ["nama,n", '"\'=HYPERLINK(""x"")",3', "Ali,-1"]


def _validity(record_id: int) -> list[tuple[int, int | None, int]]:
    """(transaction, ended by, operation) of each version of a judge, oldest first."""
    version = version_class(Judge)
    rows = db.session.execute(
        sa.select(
            version.transaction_id, version.end_transaction_id, version.operation_type
        )
        .where(version.id == record_id)
        .order_by(version.transaction_id)
    )
    return [tuple(row) for row in rows]


def test_each_version_is_ended_by_the_next_even_when_a_key_comes_back(app) -> None:
    """New rows' predecessors are closed in one statement per table
    (``portal.continuum``); a restored key must still close its deleted version,
    and rows that are simply new must stay open."""
    users = [make_officer(app, "Judge", ("11003",)) for _ in range(3)]
    with app.app_context():
        judges = [
            Judge(user_id=user.id, court_id=court_id("11003"), title=f"Hakim {n}")
            for n, user in enumerate(users)
        ]
        db.session.add_all(judges)
        db.session.commit()  # three new rows in one flush
        ids = [judge.id for judge in judges]
        assert all(end is None for i in ids for _tx, end, _op in _validity(i))

        first = db.session.get(Judge, ids[0])
        first.title = "Hakim Kanan"
        db.session.commit()
        db.session.delete(db.session.get(Judge, ids[0]))
        db.session.commit()
        # The same key inserted again, as a restore does.
        db.session.add(
            Judge(id=ids[0], user_id=users[0].id, court_id=court_id("11003"))
        )
        db.session.commit()

        history = _validity(ids[0])
        assert [op for _tx, _end, op in history] == [0, 1, 2, 0]
        # Each version is ended by the transaction of the one after it ...
        for (_tx, end, _op), (next_tx, _e, _o) in itertools.pairwise(history):
            assert end == next_tx
        # ... and only the newest is open.
        assert history[-1][1] is None
        # The other judges, untouched since they were added, stay open.
        assert all(end is None for i in ids[1:] for _tx, end, _op in _validity(i))
