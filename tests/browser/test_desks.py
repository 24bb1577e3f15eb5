"""The cashier's and the records officer's desks, on the case the counter keyed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    CASHIER,
    JUDGE,
    KNOWN_MYKAD,
    KNOWN_NAME,
    RECORDS,
    Portal,
    Registered,
    Screens,
    due_in,
    log_in,
)

pytestmark = pytest.mark.browser


def test_cashier_issues_the_registration_fee_receipt(
    page: Page, portal: Portal, registered_case: Registered, screens: Screens
) -> None:
    log_in(page, portal, CASHIER)
    page.goto("/kutipan/")
    page.locator("#counter_id").select_option(str(portal.counter_id))
    page.locator("#payer_name").fill(KNOWN_NAME)
    page.locator("#payer_identity").fill(KNOWN_MYKAD)
    page.locator("#case_number").fill(registered_case.case_number)
    page.locator("#method").select_option("tunai")
    page.locator("[name=fee_code_0]").select_option("PENDAFTARAN_KES")
    page.get_by_role("button", name="Keluarkan Resit").click()

    expect(page).to_have_url(re.compile(r"/kutipan/receipt/\d+$"))
    expect(page.locator("#receipt-number")).to_have_text(re.compile(r"\S+"))
    number = page.locator("#receipt-number").inner_text().strip()
    expect(page.get_by_role("link", name=registered_case.case_number)).to_be_visible()
    screens.save(page, "receipt")
    # The case's own money page now shows its registration fee as paid.
    page.get_by_role("link", name=registered_case.case_number).click()
    expect(page.locator("#registration")).to_contain_text("Dibayar")
    expect(page.locator("#registration")).to_contain_text(number)


def test_records_officer_checks_out_the_case_file(
    page: Page, portal: Portal, registered_case: Registered, screens: Screens
) -> None:
    """Find the case by its number, open volume 1, lend it to the judge."""
    log_in(page, portal, RECORDS)
    page.goto("/file-desk/")
    page.locator("#code").fill(registered_case.case_number)
    page.locator("#code").press("Enter")
    expect(page).to_have_url(re.compile(rf"/file-desk/case/{registered_case.case_id}$"))
    page.locator("#open-location").select_option(str(portal.shelf_id))
    page.locator("#open-volume").click()
    page.locator("#volume-1").click()

    expect(page.locator("#file-state")).not_to_have_text("Dipinjam")
    judge = portal.officers[JUDGE]
    page.locator("#checkout-borrower").select_option(str(portal.judge_user_id))
    page.locator("#checkout-purpose").fill("Untuk sebutan kes")
    page.locator("#checkout-due").fill(due_in(7))
    page.locator("#checkout-button").click()

    expect(page.locator("#file-holder")).to_contain_text(judge.first_name)
    expect(page.locator("#history")).to_contain_text("Untuk sebutan kes")
    screens.save(page, "file-desk")
