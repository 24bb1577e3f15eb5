"""Languages: Bahasa Melayu first, English second, one choice per person.

Flask-AppBuilder brings flask-babel and the ``/lang/<locale>`` picker in its
navigation bar; this module adds what the courts need on top of it:

- the project's own catalogs in ``portal/translations`` (``ms`` and ``en``),
  loaded after Flask-AppBuilder's so its built-in labels keep their
  translations and ours win where both have the same text;
- a locale selector that follows the officer rather than the browser: a
  choice made while logged in is stored (``UserPreference``) and used again
  at every later login, anonymous visitors keep the choice of their session,
  and everyone else gets ``BABEL_DEFAULT_LOCALE`` (``ms``);
- ``render_for_user``: messages written for someone who is not the one making
  the request (inbox messages, e-mails) are put in the reader's language.

The compiled ``.mo`` files are committed beside their ``.po`` sources rather
than compiled at start-up: the package directory of an installed portal is
often read-only, a start-up step that writes files races between gunicorn
workers, and a missing compiler step would silently show the source language.
``tests/portal/test_i18n.py`` fails when a committed ``.mo`` no longer says
what its ``.po`` says, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Flask,
    current_app,
    flash,
    has_request_context,
    redirect,
    request,
    session,
)
from flask_babel import force_locale, get_babel, get_locale, gettext, refresh
from flask_login import current_user, user_logged_in
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models import Model, utcnow

logger = logging.getLogger(__name__)

#: The project's catalogs: ``<locale>/LC_MESSAGES/messages.po`` and ``.mo``.
TRANSLATIONS_DIR = Path(__file__).parent / "translations"

#: Session key of the chosen locale; Flask-AppBuilder's navbar reads it too.
SESSION_LOCALE = "locale"
#: Session key saying whose choice ``SESSION_LOCALE`` is: a user id, or
#: ``ANONYMOUS`` when it was picked before logging in.
SESSION_OWNER = "spkms_locale_owner"
ANONYMOUS = 0

#: The endpoint of Flask-AppBuilder's language picker (``/lang/<locale>``).
PICKER_ENDPOINT = "LocaleView.index"


def N_(message: str) -> str:  # noqa: N802  (the name Babel extracts by default)
    """Mark ``message`` for the catalogs without translating it here.

    For labels kept in module-level tables (keys of permissions, choices of a
    select): they must stay plain strings where they are defined, and are
    translated with ``_()`` where they are shown.
    """
    return message


class UserPreference(Model):
    """One person's settings that follow them from login to login."""

    __tablename__ = "user_preference"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True
    )
    locale: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow, nullable=False
    )


def languages() -> dict[str, Any]:
    """The languages the portal offers (``LANGUAGES``), by locale."""
    return current_app.config["LANGUAGES"]


def default_locale() -> str:
    """The language of anyone who has not chosen: Bahasa Melayu."""
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def stored_locales(user_ids: Iterable[int]) -> dict[int, str]:
    """The stored choice of each of ``user_ids`` that has made one."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(UserPreference.user_id, UserPreference.locale).where(
            UserPreference.user_id.in_(ids)
        )
    )
    offered = languages()
    return {user_id: locale for user_id, locale in rows if locale in offered}


def locale_of(user_id: int | None) -> str:
    """The language to write to ``user_id`` in: their choice or the default."""
    if user_id is None:
        return default_locale()
    return stored_locales([user_id]).get(user_id, default_locale())


def store_locale(user_id: int, locale: str) -> None:
    """Remember ``locale`` as the choice of ``user_id`` (and commit)."""
    preference = db.session.get(UserPreference, user_id)
    if preference is None:
        db.session.add(UserPreference(user_id=user_id, locale=locale))
    else:
        preference.locale = locale
    db.session.commit()
    logger.info("language chosen: user=%s locale=%s", user_id, locale)


@contextmanager
def render_for_user(user_id: int | None) -> Iterator[str]:
    """Translate in the language of ``user_id`` inside the block; yield it.

    For text made for someone other than the person at the screen: a clerk's
    registration tells the registrar, who may read English.
    """
    locale = locale_of(user_id)
    with force_locale(locale):
        yield locale


def select_locale() -> str:
    """The locale of this request (flask-babel's locale selector).

    An officer's stored choice wins, then the session's, then the default.
    ``?_l_=<locale>`` still chooses the language of one API answer, as in
    Flask-AppBuilder's own selector.
    """
    if not has_request_context():
        return default_locale()
    offered = languages()
    asked = request.args.get("_l_")
    if asked:
        return asked if asked in offered else default_locale()
    user_id = _current_user_id()
    if user_id is not None and session.get(SESSION_OWNER) != user_id:
        # First request of this officer in this session without the login
        # signal (a certificate login, a session older than this feature).
        session[SESSION_LOCALE] = locale_of(user_id)
        session[SESSION_OWNER] = user_id
    chosen = session.get(SESSION_LOCALE)
    return chosen if chosen in offered else default_locale()


def _current_user_id() -> int | None:
    if not getattr(current_user, "is_authenticated", False):
        return None
    return getattr(current_user, "id", None)


def _on_login(_app: Flask, user: Any) -> None:
    """Put the officer's stored language in the session as they log in.

    An officer without a stored choice who picked a language on the login
    page keeps it, and it is stored; a choice left in the session by someone
    else who used this browser before is not inherited.
    """
    stored = stored_locales([user.id]).get(user.id)
    picked = session.get(SESSION_LOCALE)
    anonymous_pick = session.get(SESSION_OWNER) == ANONYMOUS
    if stored is None and anonymous_pick and picked in languages():
        store_locale(user.id, picked)
        stored = picked
    session[SESSION_LOCALE] = stored or default_locale()
    session[SESSION_OWNER] = user.id
    refresh()


def _back_to() -> str:
    """Where the picker sends the browser back to: a path on this portal.

    ``?next=`` (the public pages' link) or the referring page, only when it is
    a path of this host, so the picker cannot be used as an open redirect.
    """
    wanted = request.args.get("next", "")
    if wanted.startswith("/") and not wanted.startswith("//"):
        return wanted
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return "/"


def _pick_language() -> Any:
    """Handle ``/lang/<locale>`` before Flask-AppBuilder's own view does.

    Flask-AppBuilder builds its picker view itself and offers no setting to
    replace it, so the request is answered here: an unknown locale is refused
    with a notice and changes nothing; a known one is kept in the session
    and, for a logged-in officer, stored for their later logins.
    """
    if request.endpoint != PICKER_ENDPOINT:
        return None
    locale = (request.view_args or {}).get("locale", "")
    target = _back_to()
    if locale not in languages():
        logger.info("language refused: %r is not offered", locale[:20])
        flash(gettext("Bahasa itu tidak disediakan."), "warning")
        return redirect(target)
    user_id = _current_user_id()
    session[SESSION_LOCALE] = locale
    session[SESSION_OWNER] = ANONYMOUS if user_id is None else user_id
    if user_id is not None:
        store_locale(user_id, locale)
    refresh()
    return redirect(target)


def configure(app: Flask) -> None:
    """Point flask-babel at the project's catalogs; call before AppBuilder.

    Flask-AppBuilder puts its own translations directory before whatever
    ``BABEL_TRANSLATION_DIRECTORIES`` holds, and flask-babel merges the
    catalogs in that order, later ones winning: Flask-AppBuilder's built-in
    labels, then ours, then any directory a state's profile adds.
    """
    extra = app.config.get("BABEL_TRANSLATION_DIRECTORIES", "").split(";")
    directories = [str(TRANSLATIONS_DIR), *(d for d in extra if d)]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(dict.fromkeys(directories))
    # `fab babel-compile` reads this; the commands we use are in docs/i18n.md.
    app.config.setdefault("BABEL_DEFAULT_FOLDER", str(TRANSLATIONS_DIR))


def init_app(app: Flask) -> None:
    """Use the per-person selector and picker; call after AppBuilder."""
    get_babel(app).locale_selector = select_locale
    app.before_request(_pick_language)
    user_logged_in.connect(_on_login, app)
    app.jinja_env.globals["current_language"] = current_language


def current_language() -> str:
    """The locale code of this request (``ms`` or ``en``), for templates."""
    return str(get_locale() or default_locale())
