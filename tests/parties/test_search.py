"""Name search: Malay naming seen through, one ranking on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from plugins.parties import search, services
from plugins.parties.models import Party
from portal.extensions import db
from tests.parties.conftest import party_fields


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Mohd Ali bin Abu Bakar", "muhammad ali abubakar"),
        ("MUHAMMAD ALI BIN ABUBAKAR", "muhammad ali abubakar"),
        ("Md. Ali b. Abu-Bakar", "muhammad ali abubakar"),
        ("Abd. Rahman bin Hj. Yusof", "abdulrahman haji yusof"),
        ("Abdul Rahman bin Haji Yusof", "abdulrahman haji yusof"),
        ("Abdulrahman Haji Yusof", "abdulrahman haji yusof"),
        ("Siti Aminah binti Abdullah", "siti aminah abdullah"),
        ("Siti Aminah bt Abdullah", "siti aminah abdullah"),
        ("Siti Aminah Bte. Abdullah", "siti aminah abdullah"),
        ("Wan Noraini binti Wan Ismail", "wan noraini wan ismail"),
        ("Nik Azmi bin Nik Hassan", "nik azmi nik hassan"),
        ("Che Puteh binti Che Awang", "che puteh che awang"),
        ("Nur Aisyah binti Mohamad", "nuraisyah muhammad"),
        ("Nuraisyah Muhammad", "nuraisyah muhammad"),
        ("Ma'arof bin Mat Zin", "maarof mat zin"),
        ("Rajesh a/l Muthu", "rajesh muthu"),
        ("Syed Ahmad Al-Attas", "syed ahmad alattas"),
        ("Zoë  O'Brien", "zoe obrien"),
        ("", ""),
    ],
)
def test_name_key_sees_through_malay_naming(written: str, key: str) -> None:
    assert search.name_key(written) == key


def test_python_similarity_matches_pg_trgm_exactly(app_ctx) -> None:
    """The SQLite function and pg_trgm give the same score to the same pair."""
    pairs = [
        ("muhammad ali abubakar", "muhammad ali abubakar"),
        ("muhammad ali abubakar", "ali ahmad"),
        ("abdulrahman haji yusof", "abdul rahman yusof"),
        ("siti aminah abdullah", "aminah"),
        ("wan noraini wan ismail", "wan norain"),
        ("a", "ab"),
        ("", "ali"),
    ]
    for left, right in pairs:
        from_sql = db.session.scalar(
            sa.select(sa.func.similarity(sa.literal(left), sa.literal(right)))
        )
        assert from_sql == pytest.approx(search.similarity(left, right), abs=1e-6), (
            left,
            right,
        )


def test_fuzzy_search_ranks_the_same_person_first(app_ctx) -> None:
    target = services.create_party(**party_fields("Muhammad Ali Bin Abubakar"))
    other = services.create_party(**party_fields("Ali bin Ahmad"))
    wife = services.create_party(**party_fields("Siti Aminah binti Abu Bakar", "P"))
    db.session.commit()
    matches = services.search_by_name("Mohd Ali bin Abu Bakar", limit=50, min_score=0.1)
    ids = [match.party.id for match in matches]
    assert target.id in ids and other.id in ids
    assert matches[0].score == 1.0
    assert ids.index(target.id) < ids.index(other.id)
    by_id = {match.party.id: match.score for match in matches}
    assert by_id[target.id] == 1.0
    assert by_id[target.id] > by_id.get(wife.id, 0) > by_id[other.id]
    # Scores never rise down the list, and the minimum score and limit hold.
    scores = [match.score for match in matches]
    assert scores == sorted(scores, reverse=True)
    assert all(score >= 0.1 for score in scores)
    assert len(services.search_by_name("Mohd Ali bin Abu Bakar", limit=1)) == 1
    assert services.search_by_name("bin binti") == []


def test_sql_ranking_equals_the_python_reference(app_ctx) -> None:
    """Both backends rank exactly as the pg_trgm semantics say: same top result."""
    for name in ("Abdul Rahman bin Yusof", "Abd Rahman Yusoff", "Rahman bin Yusuf"):
        services.create_party(**party_fields(name))
    db.session.commit()
    query = "Abdulrahman bin Yusof"
    key = search.name_key(query)
    rows = db.session.execute(
        sa.select(Party.id, Party.full_name, Party.name_key).where(
            Party.merged_into_id.is_(None)
        )
    ).all()
    expected = sorted(
        (
            (-search.similarity(row.name_key, key), row.id)
            for row in rows
            if search.similarity(row.name_key, key) >= 0.3
        ),
    )[:10]
    found = services.search_by_name(query, limit=10)
    assert [m.party.id for m in found] == [row_id for _, row_id in expected]
    assert found[0].party.full_name == "Abdul Rahman bin Yusof"


def test_merged_profiles_are_not_offered(app_ctx) -> None:
    survivor = services.create_party(**party_fields("Tengku Ariff bin Tengku Ismail"))
    duplicate = services.create_party(**party_fields("Tg Ariff Tengku Ismail"))
    db.session.flush()
    duplicate.merged_into_id = survivor.id
    db.session.commit()
    ids = [m.party.id for m in services.search_by_name("Tengku Ariff Tengku Ismail")]
    assert survivor.id in ids and duplicate.id not in ids
    # Looking the duplicate's number up answers with the survivor.
    found = services.find_by_identity("mykad", duplicate.identity_number)
    assert found.id == survivor.id


def test_name_search_can_use_the_trigram_index(app_ctx) -> None:
    """On PostgreSQL `%` is served by the GIN index; SQLite has the function."""
    key = search.name_key("Muhammad Ali Abu Bakar")
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = db.session.scalars(
            sa.text("EXPLAIN SELECT id FROM party WHERE name_key % :key"),
            {"key": key},
        ).all()
        assert "ix_party_name_key_trgm" in "\n".join(plan)
    else:
        assert db.session.scalar(
            sa.text("SELECT similarity(:key, :key)"), {"key": key}
        ) == pytest.approx(1.0)
    db.session.rollback()
