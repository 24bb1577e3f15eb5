"""Daftar Kes in Chromium: a case for another court, and a bad identity number."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from plugins.cases.models import Case, CaseParty
from portal.extensions import db
from portal.models import Judge
from tests.browser.conftest import (
    CLERK,
    HEARD_AT,
    KNOWN_NAME,
    Portal,
    Registered,
    log_in,
)

pytestmark = pytest.mark.browser


def test_clerk_registers_for_another_court_finding_the_party_as_typed(
    portal: Portal, registered_case: Registered
) -> None:
    """The browser work is in ``registered_case``; this checks what it met.

    The screen must have found the person on file from the typed MyKad (and
    reused that profile, not keyed a second one), shown the case number of the
    court that hears the case, and named the judge the allocation chose.
    """
    assert KNOWN_NAME in registered_case.lookup_said
    assert re.fullmatch(rf"{HEARD_AT}-055-\d{{4}}-\d{{4}}", registered_case.case_number)
    result = registered_case.page
    expect(result.get_by_role("status")).to_contain_text("Kes didaftarkan")
    expect(result.locator("#judge")).to_contain_text(portal.judge_name())
    with portal.app.app_context():
        case = db.session.get(Case, registered_case.case_id)
        assert case is not None
        assert (case.court_id, case.registered_from_id) == (
            portal.heard_at_id,
            portal.keyed_at_id,
        )
        judge = db.session.get(Judge, case.judge_id)
        assert judge is not None and judge.user_id == portal.judge_user_id
        party_ids = db.session.scalars(
            sa.select(CaseParty.party_id).where(CaseParty.case_id == case.id)
        ).all()
    assert portal.known_party_id in party_ids


def test_a_bad_identity_number_is_named_in_malay_and_registers_nothing(
    page: Page, portal: Portal
) -> None:
    """Eleven digits for a MyKad: the screen says which field, keeps the form."""
    with portal.app.app_context():
        before = db.session.scalar(sa.select(sa.func.count(Case.id)))
    log_in(page, portal, CLERK)
    page.goto("/registration/")
    page.locator("#court_id").select_option(str(portal.heard_at_id))
    page.locator("#case_type_id").select_option(str(portal.divorce_type_id))
    page.locator("#title").fill("Tuntutan nafkah (nombor salah)")
    page.locator("#parties-0-identity_number").fill("850101-11-12")
    page.locator("[name=parties-0-full_name]").fill("Ali bin Abu")
    page.locator("#register-button").click()

    error = page.locator("#registration-error")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("data-field", "parties[0].identity_number")
    expect(error).to_contain_text("Pihak 1: No. kad pengenalan")
    expect(page.locator("#parties-0-identity_number")).to_have_attribute(
        "aria-invalid", "true"
    )
    # What was typed is still there to correct, and no case number was shown.
    expect(page.locator("#title")).to_have_value("Tuntutan nafkah (nombor salah)")
    expect(page.locator("#case-number")).to_have_count(0)
    with portal.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Case.id))) == before
