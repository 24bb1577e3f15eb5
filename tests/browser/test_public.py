"""The public pages on a phone: file a case online, then look up its status."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from plugins.cases.efiling import EFiling
from portal.extensions import db
from tests.browser.conftest import PHONE, Portal, Screens

pytestmark = pytest.mark.browser

APPLICANT_MYKAD = "920808-11-5340"


def fits_the_screen(page: Page) -> bool:
    """No sideways scrolling: nothing is wider than the phone."""
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_public_files_online_on_a_phone_and_checks_the_status(
    phone: Page, portal: Portal, screens: Screens
) -> None:
    page = phone
    page.goto("/efiling/")
    assert fits_the_screen(page)
    page.locator("#court_id").select_option(str(portal.heard_at_id))
    page.locator("#case_type_id").select_option(str(portal.online_type_id))
    page.locator("#title").fill("Tuntutan nafkah anak")
    page.locator("#summary").fill("Bekas suami tidak membayar nafkah dua anak.")
    page.locator("#applicant_name").fill("Rohana binti Yusoff")
    page.locator("#applicant_identity_type").select_option("mykad")
    page.locator("#applicant_identity_number").fill(APPLICANT_MYKAD)
    page.locator("#applicant_phone").fill("013-9876543")
    page.locator("#respondent_name").fill("Kamarul bin Zain")
    page.locator("#respondent_identity_number").fill("890112-11-5417")
    screens.save(page, "efiling-phone")
    page.get_by_role("button", name="Hantar e-Failing").tap()

    reference = page.locator("#reference")
    expect(reference).to_have_text(re.compile(r"EF-\S+"))
    assert fits_the_screen(page)
    filed = reference.inner_text().strip()

    page.get_by_role("main").get_by_role("link", name="Semak Status Kes").tap()
    page.locator("#number").fill(filed)
    page.locator("#identity_type").select_option("mykad")
    page.locator("#identity_number").fill(APPLICANT_MYKAD)
    page.get_by_role("button", name="Semak").tap()

    expect(page.locator("#answer #reference")).to_have_text(filed)
    expect(page.locator("#status")).to_have_text("Dihantar, menunggu semakan")
    assert fits_the_screen(page)
    screens.save(page, "status-phone")


def test_a_bad_identity_number_online_is_named_and_files_nothing(
    phone: Page, portal: Portal
) -> None:
    """The phone page names the field in Malay, marks it, and keeps the typing."""
    with portal.app.app_context():
        before = db.session.scalar(sa.select(sa.func.count(EFiling.id)))
    page = phone
    page.goto("/efiling/")
    page.locator("#court_id").select_option(str(portal.heard_at_id))
    page.locator("#case_type_id").select_option(str(portal.online_type_id))
    page.locator("#title").fill("Tuntutan nafkah anak")
    page.locator("#applicant_name").fill("Rohana binti Yusoff")
    page.locator("#applicant_identity_number").fill("920808-11-534")
    page.locator("#applicant_phone").fill("013-9876543")
    page.get_by_role("button", name="Hantar e-Failing").tap()

    error = page.get_by_role("alert")
    expect(error).to_have_attribute("data-field", "applicant_identity_number")
    expect(error).to_contain_text("No. Pengenalan Pemohon")
    expect(page.locator("#applicant_identity_number")).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(page.locator("#applicant_name")).to_have_value("Rohana binti Yusoff")
    expect(page.locator("#reference")).to_have_count(0)
    assert fits_the_screen(page)
    with portal.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(EFiling.id))) == before
