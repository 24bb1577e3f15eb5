"""Hook implementations of the links plugin (System Links).

Case events queue agency messages (a JPN identity check per MyKad party at
registration, a JPN marital-status update when a divorce case is decided);
jobs deliver them per agency; the signed inbound endpoint takes the answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import click
from flask_appbuilder import AppBuilder
from sqlalchemy.orm import Session

from portal import hookimpl
from portal.jobs import Schedule
from portal.security.roles import MENU

logger = logging.getLogger(__name__)

_MENUS = r"(Mesej Agensi|Kesihatan Rangkaian)"


@hookimpl
def spkms_register_models() -> list[type]:
    from plugins.links import models

    return [
        models.AgencyMessage,
        models.DeliveryAttempt,
        models.AgencyLane,
        models.IdentityCheck,
        models.Warrant,
        models.TravelRestriction,
        models.LegalAidReferral,
    ]


@hookimpl
def spkms_agency_connectors() -> list[Any]:
    """JPN, PDRM, JIM, BHEUU and JAKIM speaking the simulator's contract."""
    from plugins.links.connectors import builtin_connectors

    return builtin_connectors()


@hookimpl
def spkms_metrics_collectors() -> list[Any]:
    """Feed each agency's unsettled messages into ``spkms_agency_backlog``."""
    from plugins.links import services
    from portal.metrics import AgencyBacklog

    return [AgencyBacklog(services.backlog)]


@hookimpl
def spkms_register_views(appbuilder: AppBuilder) -> None:
    """Check ``[links]`` (a bad profile stops start-up), then add the screens."""
    from flask import current_app

    from plugins.links import inbound, profile, services, views
    from portal.app import spkms

    state = spkms()
    connectors = [
        connector
        for answer in state.hook.spkms_agency_connectors()
        for connector in (answer or [])
    ]
    current_app.extensions[services.EXTENSION_KEY] = profile.read_settings(
        state.profile, connectors
    )
    if inbound.inbound.name not in current_app.blueprints:
        current_app.register_blueprint(inbound.inbound)
    # Agencies sign their calls; no browser session can use this endpoint.
    current_app.extensions["csrf"].exempt(inbound.inbound)
    views.register(appbuilder)


@hookimpl
def spkms_register_roles() -> dict[str, list[tuple[str, str]]]:
    """The links officer watches, retries and parks messages; courts act on cases.

    Registrars and judges open a case's agency page and start warrants,
    travel restrictions and legal-aid referrals there; the links officer reads
    every message of their courts, sends one again or sets it aside, and reads
    the health of each agency.
    """
    officer = [
        (r"AgencyMessageView", r"can_(list|show|action|action_post)|retry|dead_letter"),
        (r"LinksDeskView", r"can_(health|case)"),
        (_MENUS, MENU),
    ]
    court = [(r"LinksDeskView", r"can_(case|request)")]
    return {
        "Links Officer": officer,
        "Registrar": court,
        "Chief Registrar": court,
        "Judge": court,
        "Clerk": [(r"LinksDeskView", r"can_case")],
    }


@hookimpl
def spkms_register_jobs() -> dict[str, Callable[..., Any]]:
    """Delivery per agency, the re-drive of due retries, JAKIM statistics."""
    from plugins.links import delivery, services

    return {
        services.DELIVER_JOB: delivery.deliver,
        "links.redrive": delivery.redrive,
        "links.case_statistics": services.send_case_statistics,
    }


@hookimpl
def spkms_register_schedules() -> list[Schedule]:
    """Re-drive due retries every minute; JAKIM statistics on the 1st at 07:00."""
    return [
        Schedule("links.redrive", "* * * * *", "links.redrive"),
        Schedule("links.case_statistics", "0 7 1 * *", "links.case_statistics"),
    ]


@hookimpl
def spkms_on_case_registered(
    case_id: int, court_id: int, registered_from_court_id: int
) -> None:
    """Check each MyKad party of the new case against JPN."""
    from plugins.links.services import check_identities

    check_identities(case_id)


@hookimpl
def spkms_on_case_status_changed(
    case_id: int, old_status: str, new_status: str
) -> None:
    """Tell JPN when a divorce case is decided."""
    from plugins.links.services import report_marital_status

    report_marital_status(case_id, new_status)


@hookimpl
def spkms_repoint_party(session: Session, from_party_id: int, to_party_id: int) -> int:
    """Move warrants, restrictions, referrals and checks onto the surviving party."""
    from plugins.links.services import repoint_party

    return repoint_party(from_party_id, to_party_id)


@hookimpl
def spkms_register_cli_commands() -> list[click.Command]:
    """``spkms agency-sim``."""
    from plugins.links.cli import agency_sim_command

    return [agency_sim_command]
