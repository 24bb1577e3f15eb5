"""Languages: Malay by default, English on request, and the choice sticks.

The catalog tests run Babel's own extraction over ``babel.cfg``, so a label
wrapped in the code but missing (or fuzzy) in a catalog fails here by name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext

from portal import i18n
from portal.extensions import db
from tests.conftest import login, make_officer

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ("ms", "en")
#: The keywords docs/i18n.md passes to ``pybabel extract``.
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None}


def extracted_msgids() -> set[str]:
    """Every message id marked in the host and the plugins, as pybabel sees it."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _path, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def catalog(locale: str) -> Catalog:
    path = i18n.TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        return read_po(source, locale=locale)


@pytest.fixture(scope="module")
def msgids() -> set[str]:
    return extracted_msgids()


def test_extraction_finds_the_wrapped_screens(msgids: set[str]) -> None:
    # One label of each screen wrapped, so an extraction that silently
    # skipped a kind of file (templates, plugins) fails here.
    assert {
        "Daftar Kes",  # counter screen (template)
        "Kes tidak didaftarkan: %(reason)s",  # its flash (plugin Python)
        "e-Failing Kes Mal",  # public e-filing
        "Semak Status Kes",  # public status
        "Peti Masuk",  # inbox
        "Senarai Sebutan dan Bicara",  # printed cause list
        "Pentadbiran",  # host menu category
        "Sign In",  # Flask-AppBuilder's own label
    } <= msgids


@pytest.mark.parametrize("locale", LOCALES)
def test_every_extracted_message_is_translated(locale: str, msgids: set[str]) -> None:
    entries = catalog(locale)
    missing = sorted(m for m in msgids if entries.get(m) is None)
    fuzzy = sorted(m for m in msgids if entries.get(m) and entries[m].fuzzy)
    empty = sorted(m for m in msgids if entries.get(m) and not entries[m].string)
    assert not missing, f"{locale}: not in the catalog: {missing}"
    assert not fuzzy, f"{locale}: fuzzy: {fuzzy}"
    assert not empty, f"{locale}: no translation: {empty}"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_committed_mo_says_what_the_po_says(locale: str) -> None:
    source = {
        m.id: m.string for m in catalog(locale) if m.id and m.string and not m.fuzzy
    }
    path = i18n.TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.mo"
    with path.open("rb") as compiled_file:
        compiled = {m.id: m.string for m in read_mo(compiled_file) if m.id}
    assert compiled == source, (
        f"{path} is stale: run pybabel compile -d portal/translations"
    )


def test_flask_appbuilder_keeps_its_own_catalogs(app: Flask) -> None:
    directories = app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    assert "flask_appbuilder" in directories[0]
    assert str(i18n.TRANSLATIONS_DIR) in directories[1:]
    with app.test_request_context("/?_l_=en"):
        # FAB's own German catalog is still found beside ours: any language a
        # state adds to LANGUAGES that FAB translates keeps FAB's labels.
        with force_locale("de"):
            assert gettext("Search") == "Suchen"
        assert gettext("Peti Masuk") == "Inbox"
        assert gettext("Search") == "Search"
    with app.test_request_context("/"):
        assert gettext("Search") == "Cari"  # ours win over FAB's English


def text_of(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text[:500]
    return response.text


def test_the_default_screens_are_malay(app: Flask) -> None:
    anonymous = app.test_client()
    page = text_of(anonymous, "/login/")
    assert "Kata Laluan" in page and "Log Masuk" in page
    assert "Password" not in page
    clerk = make_officer(app, "Clerk", ("11001",))
    client = app.test_client()
    login(client, clerk.username)
    page = text_of(client, "/registration/")
    assert "Mahkamah yang mendengar kes" in page
    assert "Peti Masuk" in page
    assert "Register Case" not in page


def test_a_chosen_language_sticks_across_logins(app: Flask) -> None:
    chooser = make_officer(app, "Clerk", ("11001",))
    other = make_officer(app, "Clerk", ("11001",))
    client = app.test_client()
    login(client, chooser.username)
    picked = client.get(
        "/lang/en", headers={"Referer": "http://localhost/registration/"}
    )
    assert picked.status_code == 302
    assert picked.headers["Location"].endswith("/registration/")
    page = text_of(client, "/registration/")
    assert "Court hearing the case" in page and "Inbox" in page
    client.get("/logout/")

    # A new browser, a new session: only the stored choice can say English.
    later = app.test_client()
    login(later, chooser.username)
    page = text_of(later, "/registration/")
    assert "Court hearing the case" in page
    assert "Cases" in page  # the plugin's menu category

    # Someone else on the browser the first officer used stays in Malay.
    login(client, other.username)
    assert "Mahkamah yang mendengar kes" in text_of(client, "/registration/")
    with app.app_context():
        assert i18n.locale_of(chooser.id) == "en"
        assert i18n.locale_of(other.id) == "ms"


def test_an_unknown_language_is_refused_and_changes_nothing(app: Flask) -> None:
    officer = make_officer(app, "Clerk", ("11001",))
    client = app.test_client()
    login(client, officer.username)
    client.get("/lang/en")
    refused = client.get("/lang/xx", headers={"Referer": "http://evil.example/"})
    assert refused.status_code == 302
    assert refused.headers["Location"] == "/"  # not the foreign referrer
    page = text_of(client, "/registration/")
    assert "Court hearing the case" in page
    assert "That language is not offered." in page
    with app.app_context():
        assert i18n.locale_of(officer.id) == "en"
    assert client.get("/lang/%3Cscript%3E").status_code == 302


def test_public_pages_offer_the_other_language(app: Flask) -> None:
    visitor = app.test_client()
    page = text_of(visitor, "/status/")
    assert 'lang="ms"' in page and "Semak Status Kes" in page
    assert "/lang/en?next=/status/" in page
    switched = visitor.get("/lang/en?next=/status/")
    assert switched.headers["Location"] == "/status/"
    page = text_of(visitor, "/status/")
    assert 'lang="en"' in page and "Case Status" in page
    assert "e-Filing of Civil Cases" in text_of(visitor, "/efiling/")
    # An absolute address in next= is not followed.
    assert visitor.get("/lang/ms?next=//evil.example/").headers["Location"] == "/"


def test_inbox_and_email_follow_each_readers_language(app: Flask) -> None:
    from flask_babel import lazy_gettext

    from portal.mail import compose
    from portal.notifications import Notification, notify

    english = make_officer(app, "Registrar", ("11001",))
    malay = make_officer(app, "Registrar", ("11001",))
    with app.app_context():
        i18n.store_locale(english.id, "en")
        notify(
            [english.id, malay.id],
            lazy_gettext("Kes baharu %(number)s", number="11001-055-0001-2026"),
            link="/cases/show/1",
        )
        db.session.commit()
        subjects = {
            n.user_id: n
            for n in db.session.query(Notification).filter(
                Notification.user_id.in_([english.id, malay.id])
            )
        }
        assert subjects[english.id].subject == "New case 11001-055-0001-2026"
        assert subjects[malay.id].subject == "Kes baharu 11001-055-0001-2026"
        mail = compose(subjects[english.id], english)
        assert mail["Subject"] == "[SPKMS] New case 11001-055-0001-2026"
        assert "This message is also in your SPKMS Inbox." in mail.get_content()
        assert "Peti Masuk" in compose(subjects[malay.id], malay).get_content()
