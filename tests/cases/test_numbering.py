"""Case numbers: the state's format, unique and gap-free per series."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from plugins.cases import services
from plugins.cases.models import Case, CaseNumberSeries
from portal.extensions import db
from tests.cases.conftest import act_as, case_type_id, registration
from tests.conftest import court_id, make_officer


def test_format_is_court_type_running_year() -> None:
    assert (
        services.format_case_number("11003", "158", 45, 2019) == "11003-158-0045-2019"
    )


def _series_last(court: str, type_code: str) -> int:
    return (
        db.session.scalar(
            sa.select(CaseNumberSeries.last_number).where(
                CaseNumberSeries.court_id == court_id(court),
                CaseNumberSeries.case_type_id == case_type_id(type_code),
                CaseNumberSeries.year == datetime.now(UTC).year,
            )
        )
        or 0
    )


def test_numbers_run_on_per_court_type_and_year(app_ctx) -> None:
    clerk = make_officer(app_ctx, "Clerk", ("11005",))
    act_as(app_ctx, clerk)
    before = _series_last("11005", "018")
    first = services.register_case(
        registration("11005", user=clerk, from_court="11005", type_code="018")
    )
    second = services.register_case(
        registration("11005", user=clerk, from_court="11005", type_code="018")
    )
    year = datetime.now(UTC).year
    assert first.case_number == f"11005-018-{before + 1:04d}-{year}"
    assert second.case_number == f"11005-018-{before + 2:04d}-{year}"
    other_series = services.register_case(
        registration("11005", user=clerk, from_court="11005", type_code="024")
    )
    assert other_series.running_number == _series_last("11005", "024")


def test_a_refused_registration_takes_no_number(app_ctx) -> None:
    clerk = make_officer(app_ctx, "Clerk", ("11006",))
    act_as(app_ctx, clerk)
    before = _series_last("11006", "055")
    bad = registration("11006", user=clerk, from_court="11006")
    bad.parties[1].identity_number = "851399-11-0001"  # no 13th month
    with pytest.raises(services.CaseError) as refused:
        services.register_case(bad)
    assert refused.value.field.startswith("parties[1]")
    assert _series_last("11006", "055") == before
    good = services.register_case(registration("11006", user=clerk, from_court="11006"))
    assert good.running_number == before + 1


def test_32_concurrent_registrations_get_32_consecutive_numbers(app) -> None:
    clerk = make_officer(app, "Clerk", ("11007",))
    with app.app_context():
        before = _series_last("11007", "055")
    numbers: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(32)

    def register_one() -> None:
        try:
            with app.app_context():
                act_as(app, clerk)
                request = registration("11007", user=clerk, from_court="11007")
                # End the read transaction: on SQLite it holds the write lock.
                db.session.rollback()
                start.wait(timeout=30)
                case = services.register_case(request)
                numbers.append(case.running_number)
                db.session.remove()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=register_one) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(numbers) == list(range(before + 1, before + 33))
    with app.app_context():
        stored = db.session.scalars(
            sa.select(Case.case_number).where(Case.court_id == court_id("11007"))
        ).all()
        assert len(set(stored)) == len(stored)
        assert _series_last("11007", "055") == before + 32
