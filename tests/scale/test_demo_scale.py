"""The scale data set: a tiny load is complete, consistent and usable.

One load per backend (scale 0.001: 1,000 profiles, 300 cases) is shared by
the module; each test checks what a service would have kept true.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask, g

from plugins.cases import services
from plugins.cases.models import (
    Case,
    CaseNumberSeries,
    CaseParty,
    CaseType,
    Hearing,
)
from plugins.filetracking.models import CaseFile, FileMovement
from plugins.parties.identity import parse_mykad
from plugins.parties.models import Party
from plugins.parties.search import name_key, rank_by_name
from portal import create_app
from portal.extensions import db
from portal.models import Court, Judge
from portal.scale.loader import ScaleError, load_scale, planned
from tests.conftest import app_settings, initialise
from tests.databases import BACKENDS, drop_database, fresh_database_url

SCALE = 0.001


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    url = fresh_database_url(request.param, tmp_path_factory.mktemp("scale"))
    app = create_app(app_settings(url))
    initialise(app)
    with app.app_context():
        report = load_scale(db.session, SCALE)
        assert report.rows["party"] == 1_000
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop_database(url)


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_counts_match_the_plan(loaded: Flask) -> None:
    parties, cases = planned(SCALE)
    with loaded.app_context():
        assert count(Party) == parties
        assert count(Case) == cases
        assert count(Judge) == 40
        assert count(Court) == 10
        assert count(CaseParty) >= cases
        assert count(Hearing) > 0
        assert count(CaseFile) >= cases
        # Every case has its insert version, in its registration transaction.
        versions = db.session.execute(
            sa.text(
                "SELECT count(*), count(DISTINCT transaction_id)"
                " FROM court_case_version"
            )
        ).one()
        assert tuple(versions) == (cases, cases)


def test_every_mykad_is_valid_and_unique(loaded: Flask) -> None:
    with loaded.app_context():
        rows = db.session.execute(
            sa.select(
                Party.identity_number,
                Party.birth_date,
                Party.gender,
                Party.full_name,
                Party.name_key,
            )
        ).all()
        numbers = [row[0] for row in rows]
        assert len(set(numbers)) == len(numbers)
        for number, born, gender, full_name, key in rows:
            identity = parse_mykad(number)
            assert identity.gender == gender
            assert born is not None and born.strftime("%y%m%d") == number[:6]
            assert key == name_key(full_name)
            assert (
                " bin " in full_name
                or " binti " in full_name
                or " b. " in full_name
                or " bt " in full_name
            )


def test_references_point_at_loaded_rows(loaded: Flask) -> None:
    with loaded.app_context():
        orphans = {
            "case_party.party": sa.select(sa.func.count())
            .select_from(CaseParty)
            .outerjoin(Party, Party.id == CaseParty.party_id)
            .where(Party.id.is_(None)),
            "hearing.case": sa.select(sa.func.count())
            .select_from(Hearing)
            .outerjoin(Case, Case.id == Hearing.case_id)
            .where(Case.id.is_(None)),
            "movement.file": sa.select(sa.func.count())
            .select_from(FileMovement)
            .outerjoin(CaseFile, CaseFile.id == FileMovement.file_id)
            .where(CaseFile.id.is_(None)),
            "case.judge": sa.select(sa.func.count())
            .select_from(Case)
            .outerjoin(Judge, Judge.id == Case.judge_id)
            .where(Case.judge_id.is_not(None), Judge.id.is_(None)),
        }
        assert {
            name: db.session.scalar(query) for name, query in orphans.items()
        } == dict.fromkeys(orphans, 0)
        # A case's volume sits at one of its court's locations.
        misplaced = db.session.scalar(
            sa.text(
                "SELECT count(*) FROM case_file f JOIN file_location l"
                " ON l.id = f.location_id WHERE l.court_id <> f.court_id"
            )
        )
        assert misplaced == 0


def test_a_new_registration_continues_the_series(loaded: Flask) -> None:
    with loaded.app_context():
        this_year = db.session.scalar(sa.select(sa.func.max(Case.year)))
        series = db.session.scalars(
            sa.select(CaseNumberSeries)
            .join(Court, Court.id == CaseNumberSeries.court_id)
            .join(CaseType, CaseType.id == CaseNumberSeries.case_type_id)
            .where(
                CaseNumberSeries.year == this_year,
                Court.code == "11001",
                CaseType.category == "mal",
            )
            .order_by(CaseNumberSeries.last_number.desc())
        ).first()
        assert series is not None and series.last_number > 0
        highest = db.session.scalar(
            sa.select(sa.func.max(Case.running_number)).where(
                Case.court_id == series.court_id,
                Case.case_type_id == series.case_type_id,
                Case.year == series.year,
            )
        )
        assert highest == series.last_number
        clerk = loaded.appbuilder.sm.find_user(username="kerani.11001")
        g.user = clerk
        party_ids = db.session.scalars(sa.select(Party.id).limit(2)).all()
        case = services.register_case(
            services.Registration(
                court_id=series.court_id,
                case_type_id=series.case_type_id,
                title="Kes baharu selepas muatan",
                parties=[
                    services.PartyInput(role="plaintif", party_id=party_ids[0]),
                    services.PartyInput(role="defendan", party_id=party_ids[1]),
                ],
                registered_by_id=clerk.id,
            )
        )
        assert case.running_number == highest + 1
        assert case.case_number.endswith(f"-{highest + 1:04d}-{this_year}")
        g.pop("user")


def test_name_search_finds_a_loaded_profile(loaded: Flask) -> None:
    with loaded.app_context():
        party = db.session.scalars(sa.select(Party).order_by(Party.id.desc())).first()
        found = rank_by_name(db.session, party.full_name, limit=100, min_score=0.9)
        assert party.id in {match.party.id for match in found}


def test_a_scale_out_of_range_is_refused(loaded: Flask) -> None:
    with loaded.app_context():
        before = count(Party)
        for bad in (0, -1, 6):
            with pytest.raises(ScaleError) as refused:
                load_scale(db.session, bad)
            assert refused.value.field == "scale"
        assert count(Party) == before
