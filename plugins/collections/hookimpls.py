"""Hook implementations of the collections plugin.

Cashiers (Juruwang) issue and print receipts and read their statements; the
collections supervisor (Penyelia Kutipan) also cancels receipts, closes days,
enrols offline counters, releases deposits and works the sync queue.
Registrars record fines and see what a case owes.
"""

from __future__ import annotations

import logging
from typing import Any

import click
from flask_appbuilder import AppBuilder
from sqlalchemy.orm import Session

from portal import hookimpl
from portal.security.roles import MENU, READ
from portal.settings import StateProfile

logger = logging.getLogger(__name__)

SUPERVISOR = "Collections Supervisor"

_MENUS = r"(Kutipan|Jadual Fi|Meja Juruwang|Resit|Kaunter|Penyata Pemungut|Hari Ditutup"
_READ_VIEWS = r"(FeeType|Counter|Receipt|DayClose)(View|Api)"


@hookimpl
def spkms_register_models() -> list[type]:
    from plugins.collections import models

    return [
        models.FeeType,
        models.Counter,
        models.ReceiptNumberSeries,
        models.NumberBlock,
        models.Receipt,
        models.ReceiptLine,
        models.ReceiptCancellation,
        models.CaseFee,
        models.Fine,
        models.DepositEntry,
        models.DayClose,
        models.CounterNonce,
        models.SyncQueueItem,
    ]


@hookimpl
def spkms_dashboard_panels() -> list[Any]:
    """Money taken by fee type."""
    from plugins.collections.panels import panels

    return panels()


@hookimpl
def spkms_register_views(appbuilder: AppBuilder) -> None:
    from plugins.collections import counter_api, views

    views.register(appbuilder)
    counter_api.register(appbuilder)


@hookimpl
def spkms_register_roles() -> dict[str, list[tuple[str, str]]]:
    read = [(r"FeeType(View|Api)", READ), (r"(Kutipan|Jadual Fi)", MENU)]
    cashier = [
        (_READ_VIEWS, READ),
        (r"CollectionDeskView", r"can_(desk|issue|print|statement|case)"),
        (r"ReceiptApi", r"can_issue"),
        (_MENUS + r")", MENU),
    ]
    supervisor = [
        *cashier,
        (r"SyncQueueItemView", READ),
        (r"CounterView", r"can_(add|edit)"),
        (
            r"CollectionDeskView",
            r"can_(cancel|close|enrol|release|resolve|export)",
        ),
        (r"ReceiptApi", r"can_cancel"),
        (_MENUS + r"|Baris Gilir Segerak)", MENU),
    ]
    registrar = [
        *read,
        (r"CollectionDeskView", r"can_(case|fine)"),
    ]
    return {
        "Cashier": cashier,
        SUPERVISOR: supervisor,
        "Chief Registrar": registrar,
        "Registrar": registrar,
        "Clerk": read,
    }


@hookimpl
def spkms_register_cli_commands() -> list[click.Command]:
    from plugins.collections.counter.cli import counter

    return [counter]


@hookimpl
def spkms_load_profile(profile: StateProfile, session: Session) -> int:
    from plugins.collections.profile import load_fee_types

    return load_fee_types(profile, session)


@hookimpl
def spkms_on_case_registered(
    case_id: int, court_id: int, registered_from_court_id: int
) -> None:
    """Record the registration fee due, so a counter can settle it."""
    from plugins.collections.services import record_registration_fee

    record_registration_fee(case_id)


@hookimpl
def spkms_demo_data(profile: StateProfile, session: Session) -> None:
    from plugins.collections.demo import add_demo_collections

    add_demo_collections(session)
