"""The host's own security part, registered like a plugin so it uses the same
contract: the registry screens, the expiry-warning job and its daily schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_appbuilder import AppBuilder

from portal import hookimpl
from portal.jobs import Schedule

EXPIRY_JOB = "certificates_warn_expiring"


@hookimpl
def spkms_register_views(appbuilder: AppBuilder) -> None:
    from portal.security.views import register_views

    register_views(appbuilder)


@hookimpl
def spkms_register_jobs() -> dict[str, Callable[..., Any]]:
    from portal.security.registry import warn_expiring

    return {EXPIRY_JOB: warn_expiring}


@hookimpl
def spkms_register_schedules() -> list[Schedule]:
    # Daily at 07:00 local time, before the courts open.
    return [Schedule(name="certificate-expiry", cron="0 7 * * *", job=EXPIRY_JOB)]


@hookimpl
def spkms_register_cli_commands() -> list[Any]:
    from portal.audit.cli import audit_group

    return [audit_group]
