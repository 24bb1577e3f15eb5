"""Hook implementations of the filetracking plugin.

Every movement fires ``spkms_on_file_moved`` after commit (see ``services``).
"""

from __future__ import annotations

import logging
from typing import Any

from flask_appbuilder import AppBuilder

from portal import hookimpl
from portal.security.roles import MENU, READ

logger = logging.getLogger(__name__)

_VIEWS = r"(CaseFile|FileLocation|FileMovement)View"
_MENUS = (
    r"(Fail Kes|Imbas Label|Senarai Fail|Lokasi|Pergerakan Fail"
    r"|Fail Dalam Pegangan Saya|Fail Lewat Dipulangkan|Semakan Stok)"
)
_READER_MENUS = (
    r"(Fail Kes|Imbas Label|Senarai Fail|Pergerakan Fail"
    r"|Fail Dalam Pegangan Saya|Fail Lewat Dipulangkan)"
)


@hookimpl
def spkms_register_models() -> list[type]:
    from plugins.filetracking import models

    return [models.FileLocation, models.CaseFile, models.FileMovement]


@hookimpl
def spkms_register_views(appbuilder: AppBuilder) -> None:
    from plugins.filetracking import views

    views.register(appbuilder)


@hookimpl
def spkms_register_roles() -> dict[str, list[tuple[str, str]]]:
    """The records officer keeps locations and moves files; others look them up.

    Registrars, judges and clerks find where a file is, see its history, their
    own loans and the overdue list; only the records officer opens volumes,
    prints labels, records movements and takes stock.
    """
    read = [
        (_VIEWS, READ),
        (r"FileDeskView", r"can_track"),
        (_READER_MENUS, MENU),
    ]
    manage = [
        (_VIEWS, READ),
        (r"FileLocationView", r"can_(add|edit)"),
        (r"CaseFileView", r"can_print_labels"),
        (r"FileDeskView", r"can_(track|move|labels|stocktake)"),
        (_MENUS, MENU),
    ]
    return {
        "Records Officer": manage,
        "Chief Registrar": read,
        "Registrar": read,
        "Judge": read,
        "Clerk": read,
    }


@hookimpl
def spkms_reminder_rules() -> list[Any]:
    """Volumes kept past their due date: the borrower and records officers hear."""
    from plugins.filetracking.reminders import rules

    return rules()
