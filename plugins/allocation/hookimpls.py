"""Hook implementations of the allocation plugin."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import click
from flask_appbuilder import AppBuilder
from sqlalchemy.orm import Session

from portal import hookimpl
from portal.security.roles import MENU

logger = logging.getLogger(__name__)

_ELIGIBILITY_VIEWS = r"Judge(Leave|Coverage|Competence|Conflict)View"
_MENUS = (
    r"(Peruntukan Hakim|Cuti Hakim|Liputan Mahkamah|Bidang Kuasa Hakim"
    r"|Konflik Kepentingan|Rekod Peruntukan|Beban Kerja Hakim)"
)
_OVERRIDE = [(r"OverrideView", r"can_form"), (r"Pinda Peruntukan", MENU)]
_REBALANCE = [(r"RebalanceView", r"can_(show|apply)"), (r"Pengimbangan Semula", MENU)]
_FAIRNESS = [
    (r"FairnessView", r"can_(show|csv)"),
    (r"Laporan Keadilan Cabutan", MENU),
]


@hookimpl
def spkms_register_models() -> list[type]:
    from plugins.allocation import models

    return [
        models.JudgeCoverage,
        models.JudgeCompetence,
        models.JudgeLeave,
        models.JudgeConflict,
        models.AllocationRecord,
    ]


@hookimpl
def spkms_allocation_strategies() -> dict[str, Callable[..., Any]]:
    """``least_loaded``, ``round_robin`` and ``balanced_draw``."""
    from plugins.allocation.strategies import BUILTIN_STRATEGIES

    return dict(BUILTIN_STRATEGIES)


@hookimpl
def spkms_register_views(appbuilder: AppBuilder) -> None:
    """The screens, after checking ``[allocation]`` so a bad profile stops start-up."""
    from flask import current_app

    from plugins.allocation import services, views
    from portal.app import spkms

    state = spkms()
    current_app.extensions[services.EXTENSION_KEY] = services.build_runtime(
        state.hook, state.profile
    )
    views.register(appbuilder)


@hookimpl
def spkms_register_roles() -> dict[str, list[tuple[str, str]]]:
    """Registrars and the allocation administrator keep eligibility; others read.

    ``Allocation Override`` reads the records and opens the override screen;
    the right to override is checked by ``services.override`` (never together
    with a configuring role). Registrars and the chief registrar open the
    override screen too, to see a case's allocation, and are refused there.
    They alone rebalance; they, auditors and judges read the fairness report.
    """
    keep = [
        (_ELIGIBILITY_VIEWS, r"can_(list|show|add|edit|delete)"),
        (r"AllocationRecordView", r"can_(list|show)"),
        (r"WorkloadView", r"can_show"),
        (_MENUS, MENU),
    ]
    read = [
        (r"AllocationRecordView", r"can_(list|show)"),
        (r"WorkloadView", r"can_show"),
        (_MENUS, MENU),
    ]
    registrar = keep + _OVERRIDE + _REBALANCE + _FAIRNESS
    return {
        "Registrar": registrar,
        "Chief Registrar": registrar,
        "Allocation Admin": keep,
        "Judge": read + _FAIRNESS,
        "Auditor": read + _FAIRNESS,
        "Allocation Override": read + _OVERRIDE,
    }


@hookimpl
def spkms_assign_judge(session: Session, case_id: int) -> int | None:
    """Allocate the case being registered; ``None`` leaves it unassigned."""
    from plugins.allocation.services import assign_on_registration

    return assign_on_registration(session, case_id)


@hookimpl
def spkms_register_cli_commands() -> list[click.Command]:
    """``spkms allocation simulate``."""
    from plugins.allocation.cli import allocation_command

    return [allocation_command]


@hookimpl
def spkms_dashboard_panels() -> list[Any]:
    """Judges' weighted loads."""
    from plugins.allocation.panels import panels

    return panels()
