"""The chief registrar's dashboard draws its charts in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import CHIEF, Portal, Registered, Screens, log_in

pytestmark = pytest.mark.browser


def test_chief_registrar_sees_the_dashboard_with_the_new_case(
    page: Page, portal: Portal, registered_case: Registered, screens: Screens
) -> None:
    """Taking ``registered_case`` puts at least one case on the charts."""
    log_in(page, portal, CHIEF)
    page.goto("/dashboard/")
    expect(page.get_by_role("heading", name="Papan Pemuka")).to_be_visible()
    panels = page.locator("section[id^=panel-]")
    expect(panels.first).to_be_visible()
    assert panels.count() >= 1
    expect(panels.first.get_by_role("link", name="Muat turun CSV")).to_be_visible()
    screens.save(page, "dashboard")
