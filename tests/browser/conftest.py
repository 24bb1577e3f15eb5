"""The real portal on a loopback port, driven by the real Debian Chromium.

One portal and one browser serve the whole session: starting Chromium costs
about a second and building an app a few, while a fresh browser context per
test (cookies, viewport) costs milliseconds and keeps the tests apart.

The portal runs on SQLite only, not on both backends like the rest of the
suite. What a browser adds is the HTML, the pages' scripts, the forms and the
cookies going over real HTTP; the rules and queries under those screens are
already tested on PostgreSQL and SQLite by the other test folders, so a second
backend would double the time without testing anything new here.

Officers are the demo's own (``kerani.kemaman`` / ``kerani.kemaman-demo``, ...)
so the flows read like the demo a court is shown. Chromium missing is a
failure, never a skip: ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_appbuilder.security.sqla.models import User
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from plugins.cases.efiling import ONLINE_STARTS, efiling_level
from plugins.cases.models import Case, CaseType
from plugins.collections.models import Counter
from plugins.filetracking.models import FileLocation
from portal import create_app
from portal.demo import DEMO_OFFICERS, DemoOfficer, seed_officers
from portal.extensions import db
from tests.cases.conftest import act_as
from tests.conftest import app_settings, court_id, initialise
from tests.databases import fresh_database_url

#: Debian's Chromium; Playwright's own browser downloads are never used.
CHROMIUM = Path(os.environ.get("SPKMS_CHROMIUM", "/usr/bin/chromium"))
#: Where a failing test leaves its screenshot (git-ignored).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
#: Opt-in: a folder to save the screens the README shows (docs/screenshots).
SCREENSHOTS_ENV = "SPKMS_SCREENSHOTS"
DESKTOP = {"width": 1280, "height": 800}
#: An ordinary phone held upright, in CSS pixels.
PHONE = {"width": 390, "height": 844}

#: The court keying cases and the court they are registered for.
KEYED_AT = "11004"
HEARD_AT = "11001"
CLERK = "kerani.kemaman"
CASHIER = "juruwang.kt"
RECORDS = "rekod.kt"
JUDGE = "hakim.kt"
CHIEF = "ketuapendaftar"
COUNTER = f"{HEARD_AT}-K1"

#: A person already on file, found at the counter by typing their MyKad.
KNOWN_MYKAD = "880315-11-5126"
KNOWN_NAME = "Nur Hidayah binti Kassim"


@dataclass(frozen=True)
class Portal:
    """The live portal: its app, address, and the records the flows start from."""

    app: Flask
    url: str
    officers: dict[str, DemoOfficer]
    known_party_id: int
    heard_at_id: int
    keyed_at_id: int
    divorce_type_id: int
    online_type_id: int
    counter_id: int
    shelf_id: int
    judge_user_id: int

    def password(self, username: str) -> str:
        return self.officers[username].password

    def judge_name(self) -> str:
        judge = self.officers[JUDGE]
        return f"{judge.first_name} {judge.last_name}"


def _seed(app: Flask) -> dict[str, Any]:
    """The demo officers the flows need, a counter, shelves, one known person."""
    from plugins.parties import services as parties

    wanted = {CLERK, CASHIER, RECORDS, JUDGE, CHIEF}
    officers = tuple(o for o in DEMO_OFFICERS if o.username in wanted)
    with app.app_context():
        # Hashing passwords is slow on purpose: seed only the five officers used.
        seed_officers(officers)
        heard_at = court_id(HEARD_AT)
        db.session.add(Counter(court_id=heard_at, code=COUNTER, name="Kaunter 1"))
        room = FileLocation(court_id=heard_at, kind="bilik", name="Bilik Rekod")
        shelf = FileLocation(court_id=heard_at, kind="rak", name="Rak A", parent=room)
        db.session.add_all([room, shelf])
        clerk = app.appbuilder.sm.find_user(username=CLERK)
        act_as(app, clerk)
        known = parties.get_or_create_party(
            identity_type="mykad", identity_number=KNOWN_MYKAD, full_name=KNOWN_NAME
        )
        db.session.commit()
        online_type = db.session.scalar(
            sa.select(CaseType.id)
            .where(
                CaseType.code == "024",  # Nafkah Anak: child maintenance
                CaseType.active,
                CaseType.category == "mal",
                CaseType.level == efiling_level(),
                CaseType.started_by.in_(ONLINE_STARTS),
            )
            .order_by(CaseType.code)
        )
        assert online_type is not None, "024 Nafkah Anak is not filed online"
        return {
            "officers": {o.username: o for o in officers},
            "known_party_id": known.id,
            "heard_at_id": heard_at,
            "keyed_at_id": court_id(KEYED_AT),
            "divorce_type_id": db.session.scalar(
                sa.select(CaseType.id).where(CaseType.code == "055")
            ),
            "online_type_id": online_type,
            "counter_id": db.session.scalar(
                sa.select(Counter.id).where(Counter.code == COUNTER)
            ),
            "shelf_id": shelf.id,
            "judge_user_id": db.session.scalar(
                sa.select(User.id).where(User.username == JUDGE)
            ),
        }


class _QuietHandler(WSGIRequestHandler):
    """Logs errors only, so a failing test's output is not buried in requests.

    Every page pulls a few dozen static files; a line for each adds nothing.
    """

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def _serve(app: Flask) -> tuple[BaseWSGIServer, threading.Thread, str]:
    """Serve ``app`` on a free loopback port in a thread; return it and its URL."""
    server = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The portal with CSRF on, as officers meet it, served over real HTTP."""
    url = fresh_database_url("sqlite", tmp_path_factory.mktemp("browser"))
    app = create_app(app_settings(url, WTF_CSRF_ENABLED=True))
    initialise(app)
    seeded = _seed(app)
    server, thread, address = _serve(app)
    yield Portal(app=app, url=address, **seeded)
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless; its absence fails the tests that need it."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: apt-get install -y chromium "
            "(or set SPKMS_CHROMIUM); browser tests never skip"
        )
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
    yield chromium
    chromium.close()


def _context_page(browser: Browser, portal: Portal, **options: Any) -> Iterator[Page]:
    context = browser.new_context(base_url=portal.url, locale="ms-MY", **options)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def page(browser: Browser, portal: Portal) -> Iterator[Page]:
    """A desktop browser window with no cookies yet."""
    yield from _context_page(browser, portal, viewport=DESKTOP)


@pytest.fixture
def phone(browser: Browser, portal: Portal) -> Iterator[Page]:
    """A phone-sized touch screen with no cookies yet."""
    yield from _context_page(
        browser, portal, viewport=PHONE, is_mobile=True, has_touch=True
    )


class Screens:
    """Saves the README's screens when ``SPKMS_SCREENSHOTS`` names a folder."""

    def __init__(self, folder: str | None) -> None:
        self.folder = Path(folder) if folder else None
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)

    def save(self, page: Page, name: str) -> None:
        if self.folder is not None:
            page.screenshot(path=self.folder / f"{name}.png", full_page=True)


@pytest.fixture(scope="session")
def screens() -> Screens:
    return Screens(os.environ.get(SCREENSHOTS_ENV))


def log_in(page: Page, portal: Portal, username: str) -> None:
    """Log in with the login form, as the officer would, and land past it."""
    page.goto("/login/")
    page.locator("#username").fill(username)
    page.locator("#password").fill(portal.password(username))
    page.locator("#password").press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


def failure_shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot of ``page`` for a failed test; return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=path, full_page=True)
    return path


def due_in(days: int) -> str:
    """A date ``days`` from today as a date field takes it (YYYY-MM-DD)."""
    return date.fromordinal(date.today().toordinal() + days).isoformat()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    """On a failure, screenshot every open page of the test and name the file."""
    report = yield
    if report.failed and call.when in {"setup", "call"}:
        funcargs = getattr(item, "funcargs", {})
        pages = {name: funcargs.get(name) for name in ("page", "phone")}
        if funcargs.get("registered_case") is not None:
            pages["counter"] = funcargs["registered_case"].page
        for name, shown in pages.items():
            if shown is None or shown.is_closed():
                continue
            try:
                path = failure_shot(shown, f"{item.name}-{name}")
            except Exception as exc:  # a dead page must not hide the real failure
                report.sections.append(("screenshot", f"not saved: {exc}"))
            else:
                report.sections.append(("screenshot", str(path)))
    return report


@dataclass(frozen=True)
class Registered:
    """A case a clerk registered at the counter screen, and what the screen said.

    ``page`` stays on the result screen for the session, so a test failing on
    what the counter showed gets its screenshot too.
    """

    case_id: int
    case_number: str
    lookup_said: str
    judge_said: str
    page: Page


#: A person not yet on file, keyed as the defendant of the registered case.
NEW_MYKAD = "900620-11-5233"
NEW_NAME = "Mohd Rizal bin Hamid"


@pytest.fixture(scope="session")
def registered_case(
    browser: Browser, portal: Portal, screens: Screens
) -> Iterator[Registered]:
    """A clerk of KEYED_AT registers a divorce claim for HEARD_AT on the screen.

    Made once per session so the cashier's and the records officer's tests
    work on the same case as the counter did, whatever order they run in.
    """
    context = browser.new_context(base_url=portal.url, viewport=DESKTOP)
    page = context.new_page()
    try:
        page.goto("/login/")
        screens.save(page, "login")
        log_in(page, portal, CLERK)
        page.goto("/registration/")
        page.locator("#court_id").select_option(str(portal.heard_at_id))
        page.locator("#registered_from_id").select_option(str(portal.keyed_at_id))
        page.locator("#case_type_id").select_option(str(portal.divorce_type_id))
        page.locator("#title").fill("Tuntutan perceraian (ujian pelayar)")
        # Typed key by key: the screen looks the person up as the digits arrive.
        page.locator("#parties-0-identity_number").press_sequentially(KNOWN_MYKAD)
        found = page.locator("#parties-0-found")
        expect(found).to_contain_text("Profil sedia ada")
        expect(page.locator("[name=parties-0-full_name]")).to_have_value(KNOWN_NAME)
        page.locator("#parties-1-identity_number").press_sequentially(NEW_MYKAD)
        expect(page.locator("#parties-1-found")).to_contain_text("Tiada profil")
        page.locator("[name=parties-1-full_name]").fill(NEW_NAME)
        lookup_said = found.inner_text()
        screens.save(page, "registration")
        page.locator("#register-button").click()
        number = page.locator("#case-number")
        expect(number).to_be_visible()
        screens.save(page, "registered")
        case_number = number.inner_text().strip()
        judge_said = page.locator("#judge").inner_text().strip()
    except Exception:
        print(f"\nscreenshot of the failure: {failure_shot(page, 'registered_case')}")
        context.close()
        raise
    with portal.app.app_context():
        case_id = db.session.scalar(
            sa.select(Case.id).where(Case.case_number == case_number)
        )
    assert case_id is not None, f"{case_number} shown but not stored"
    yield Registered(case_id, case_number, lookup_said, judge_said, page)
    context.close()
