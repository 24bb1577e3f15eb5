"""The sample plugin's hook implementations: its whole contract with the host.

Each hook is marked with ``portal.hookimpl``; the host finds this module
through the ``spkms.plugins`` entry point named ``sample``.
"""

from __future__ import annotations

import logging
import re

import click
import sqlalchemy as sa
from flask_appbuilder import AppBuilder

from portal import hookimpl

logger = logging.getLogger(__name__)

#: Role granted only this plugin's read access (list and show, and the menu).
READER_ROLE = "Sample Reader"


def _menu_pairs() -> list[tuple[str, str]]:
    from spkms_sample.views import MENU_CATEGORY, MENU_NAME

    menus = f"({re.escape(MENU_NAME)}|{re.escape(MENU_CATEGORY)})"
    return [(menus, "menu_access")]


@hookimpl
def spkms_register_models() -> list[type]:
    """The sealed note (court-owned, confidential, versioned) and the notice."""
    from spkms_sample.models import PostingNotice, SealedNote

    return [SealedNote, PostingNotice]


@hookimpl
def spkms_register_views(appbuilder: AppBuilder) -> None:
    """The sealed-note screen and API."""
    from spkms_sample import views

    views.register(appbuilder)


@hookimpl
def spkms_register_roles() -> dict[str, list[tuple[str, str]]]:
    """Read for the reader role, registrars and judges; add and edit for clerks.

    The screen's permissions are ``can_list`` / ``can_show`` (``can_add`` /
    ``can_edit``); the API folds list and show into ``can_get`` and writes into
    ``can_post`` / ``can_put``. Deleting stays with the administrator.
    """
    read = [
        (r"SealedNoteView", r"can_(list|show)"),
        (r"SealedNoteApi", r"can_get"),
        *_menu_pairs(),
    ]
    write = [
        (r"SealedNoteView", r"can_(list|show|add|edit)"),
        (r"SealedNoteApi", r"can_(get|post|put)"),
        *_menu_pairs(),
    ]
    return {READER_ROLE: read, "Registrar": read, "Judge": read, "Clerk": write}


@hookimpl
def spkms_on_officer_posted(user_id: int, court_id: int) -> None:
    """Write a posting notice for the officer and court.

    Runs in the job that delivers the event, as the service user; the job's
    runner commits the notice together with marking the job done, so the
    notice is written once or not at all. A notice that already exists (the
    same event delivered again) is left as it is.
    """
    from portal.extensions import db
    from spkms_sample.models import PostingNotice

    existing = db.session.scalar(
        sa.select(PostingNotice.id)
        .where(PostingNotice.user_id == user_id, PostingNotice.court_id == court_id)
        .limit(1)
    )
    if existing is not None:
        logger.info(
            "posting notice already written: notice=%s user=%s court=%s",
            existing,
            user_id,
            court_id,
        )
        return
    notice = PostingNotice(user_id=user_id, court_id=court_id)
    db.session.add(notice)
    db.session.flush()
    logger.info(
        "posting notice written: notice=%s user=%s court=%s",
        notice.id,
        user_id,
        court_id,
    )


@hookimpl
def spkms_register_cli_commands() -> list[click.Command]:
    """``spkms sample-count``: how many sealed notes there are."""

    @click.command("sample-count")
    def sample_count() -> None:
        from portal.extensions import db
        from spkms_sample.models import SealedNote

        total = db.session.scalar(sa.select(sa.func.count(SealedNote.id)))
        click.echo(f"sealed notes: {total}")

    return [sample_count]


@hookimpl
def spkms_on_profile_loaded(state: str, changes: int) -> None:
    """Note each profile load in the log (the test reads the job's effect)."""
    logger.info("sample saw profile %s loaded with %d changes", state, changes)


def lowest_id(candidates: list, context: object) -> int:
    """The sample state's own rule: the eligible judge with the lowest id.

    Deliberately simple, so a test can tell it apart from every built-in
    strategy (least_loaded would spread the cases).
    """
    return min(candidate.judge_id for candidate in candidates)


@hookimpl
def spkms_allocation_strategies() -> dict[str, object]:
    """``sample_lowest_id``: a strategy a state's profile can select."""
    return {"sample_lowest_id": lowest_id}
