"""The roles of the court, declared in code, least privilege first.

Each role maps to ``(view_name_regex, permission_regex)`` pairs over FAB's
permission names (``can_list``, ``can_show``, ``can_get``, ...). Plugins add
their own pairs through ``spkms_register_roles``; ``sync_roles`` writes the
merged result to the database at ``spkms init``, after which the administrator
can still adjust a role in the Security screens.
"""

# TODO(i18n): ROLE_LABELS are Malay only; the menu names in the role pairs are
#   permission keys and must stay untranslated.
from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from sqlalchemy.orm import joinedload

logger = logging.getLogger(__name__)

READ = r"can_(list|show|get|info|download)"
WRITE = r"can_(list|show|add|edit|get|info|post|put|download)"
MENU = r"menu_access"

#: Every officer reads their own inbox.
INBOX = [(r"InboxView", r"can_(list|show|open|mark_read)"), (r"Peti Masuk", MENU)]

#: Role name -> permission pairs. Labels in Malay are in ``ROLE_LABELS``.
BUILTIN_ROLES: dict[str, list[tuple[str, str]]] = {
    "Admin": [(r".*", r".*")],
    "Chief Registrar": [
        (r"(Court|Judge)(View|Api)", READ),
        (r"(Mahkamah|Hakim|Pentadbiran)", MENU),
    ],
    "Registrar": [
        (r"(Court|Judge)(View|Api)", READ),
        (r"(Mahkamah|Hakim|Pentadbiran)", MENU),
    ],
    "Judge": [(r"(Court|Judge)(View|Api)", READ), (r"(Hakim|Pentadbiran)", MENU)],
    "Clerk": [(r"(Court|Judge)(View|Api)", READ), (r"(Mahkamah|Pentadbiran)", MENU)],
    "Cashier": [(r"CourtApi", READ)],
    "Records Officer": [(r"CourtApi", READ)],
    "Links Officer": [(r"CourtApi", READ)],
    "Auditor": [
        (r"(AccessLog|AuditTrail|Version)(View|Api)", READ),
        (r"(Jejak Audit|Log Akses|Sejarah Perubahan)", MENU),
    ],
    "Public": [],
}
for _role in BUILTIN_ROLES:
    if _role not in {"Admin", "Public"}:
        BUILTIN_ROLES[_role] = [*BUILTIN_ROLES[_role], *INBOX]

ROLE_LABELS = {
    "Admin": "Pentadbir",
    "Chief Registrar": "Ketua Pendaftar",
    "Registrar": "Pendaftar",
    "Judge": "Hakim",
    "Clerk": "Kerani",
    "Cashier": "Juruwang",
    "Records Officer": "Pegawai Rekod",
    "Links Officer": "Pegawai Rangkaian",
    "Auditor": "Juruaudit",
    "Allocation Admin": "Pentadbir Peruntukan",
    "Allocation Override": "Pegawai Pindaan Peruntukan",
    "Collections Supervisor": "Penyelia Kutipan",
    "Public": "Awam",
}


def merge_roles(
    contributions: Iterable[dict[str, list[tuple[str, str]]] | None],
) -> dict[str, list[tuple[str, str]]]:
    """The built-in roles plus every plugin's pairs, checked as regexes."""
    merged = {name: list(pairs) for name, pairs in BUILTIN_ROLES.items()}
    for contribution in contributions:
        for role, pairs in (contribution or {}).items():
            for view_re, perm_re in pairs:
                re.compile(view_re)
                re.compile(perm_re)
            merged.setdefault(role, []).extend(pairs)
    return merged


def sync_roles(
    security_manager: object, roles: dict[str, list[tuple[str, str]]]
) -> int:
    """Create the roles and grant each the existing permissions its pairs match.

    Only adds: a grant the administrator made by hand stays. Returns the number
    of grants added, so a second run reports 0.
    """
    sm = security_manager
    session = sm.session
    pvm_model = sm.permissionview_model
    all_pvms = {
        (pvm.view_menu.name, pvm.permission.name): pvm
        for pvm in session.query(pvm_model).options(
            joinedload(pvm_model.view_menu), joinedload(pvm_model.permission)
        )
        if pvm.view_menu is not None and pvm.permission is not None
    }
    added = 0
    for role_name, pairs in roles.items():
        role = sm.find_role(role_name) or sm.add_role(role_name)
        have = {key for key, pvm in all_pvms.items() if pvm in set(role.permissions)}
        for key, pvm in all_pvms.items():
            if key in have:
                continue
            if any(
                re.fullmatch(v, key[0]) and re.fullmatch(p, key[1]) for v, p in pairs
            ):
                role.permissions.append(pvm)
                added += 1
        session.add(role)
    sm.session.commit()
    logger.info("roles synchronised: %d grants added", added)
    return added
