"""The host's own hook implementations for reminders and message delivery.

The engine lives in ``portal/`` but contributes its jobs, schedule, command,
screen and roles through the same hooks a plugin uses, so there is one way
in for everything; ``portal.plugins.build_manager`` registers this module
before the profile's plugins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from flask_appbuilder import AppBuilder

from portal import hookimpl
from portal.i18n import N_
from portal.jobs import Schedule
from portal.security.roles import MENU

#: When the daily run happens unless ``[reminders].schedule`` says otherwise:
#: before the courts open, Malaysia time.
DEFAULT_SCHEDULE = "0 7 * * *"


@hookimpl
def spkms_register_models() -> list[type]:
    from portal.reminders.models import ReminderSent

    return [ReminderSent]


@hookimpl
def spkms_register_jobs() -> dict[str, Callable[..., Any]]:
    """``reminders.run`` (the daily run) and ``notifications.deliver`` (copies)."""
    from portal.notifications import deliver
    from portal.reminders.engine import run_job

    return {"reminders.run": run_job, "notifications.deliver": deliver}


@hookimpl
def spkms_register_schedules() -> list[Schedule]:
    from flask import current_app

    profile = current_app.extensions["spkms"].profile
    cron = profile.section("reminders").get("schedule", DEFAULT_SCHEDULE)
    return [Schedule("reminders.daily", str(cron), "reminders.run")]


@hookimpl
def spkms_register_cli_commands() -> list[click.Command]:
    from portal.reminders.cli import reminders

    return [reminders]


@hookimpl
def spkms_register_views(appbuilder: AppBuilder) -> None:
    from portal.reminders.views import DeadlinesView

    appbuilder.add_view_no_menu(DeadlinesView())
    appbuilder.add_link(
        N_("Kes Hampir & Lewat Tempoh"),
        href="/deadlines/",
        category=N_("Peti Masuk"),
    )


@hookimpl
def spkms_register_roles() -> dict[str, list[tuple[str, str]]]:
    see = [(r"DeadlinesView", r"can_(list|csv)"), (r"Kes Hampir & Lewat Tempoh", MENU)]
    return dict.fromkeys(("Chief Registrar", "Registrar", "Judge"), see)


@hookimpl
def spkms_dashboard_panels() -> list[Any]:
    """Records past their deadline today, per rule and court."""
    from portal.reminders.panels import panels

    return panels()
