"""The public pages are built for a phone and carry none of the officers' screens."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.conftest import login, make_officer

VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
PAGES = ["/efiling/", "/status/"]
#: What an officers' page carries and a public page must not.
OFFICER_MARKS = (
    'class="navbar',
    "/logout",
    "Senarai Kes",
    "Daftar Kes",
    "Papan Pemuka",
)


def css_rule(page: str, selector: str) -> str:
    """The declarations of the first rule whose selector list starts ``selector``."""
    found = re.search(re.escape(selector) + r"[^{]*\{([^}]*)\}", page)
    assert found, f"no rule for {selector}"
    return found.group(1)


@pytest.mark.parametrize("path", PAGES)
def test_public_page_fits_a_phone_without_the_officers_navigation(
    app: Flask, path: str
) -> None:
    page = app.test_client().get(path)
    assert page.status_code == 200
    assert VIEWPORT in page.text
    for mark in OFFICER_MARKS:
        assert mark not in page.text, mark
    # Touch targets of at least 48 px, fields no wider than the screen, 16 px
    # text in fields so phones do not zoom in when one is tapped.
    fields = css_rule(page.text, "input, select, textarea")
    assert "min-height: 48px" in fields
    assert "max-width: 100%" in fields
    assert "font-size: 16px" in fields
    assert "min-height: 48px" in css_rule(page.text, "button")
    assert "min-height: 48px" in css_rule(page.text, "header a")
    # A fieldset otherwise refuses to shrink below its widest field.
    assert "min-width: 0" in css_rule(page.text, "fieldset")


def test_an_officer_on_a_public_page_sees_the_public_layout(app: Flask) -> None:
    registrar = make_officer(app, "Registrar", ("11001",))
    client = app.test_client()
    login(client, registrar.username)
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200
        assert VIEWPORT in page.text
        assert not any(mark in page.text for mark in OFFICER_MARKS), path
    # A refused status lookup answers on the same phone layout.
    answer = client.post("/status/", data={"number": "", "identity_number": ""})
    assert VIEWPORT in answer.text
    assert 'class="navbar' not in answer.text
