"""Creating FAB's permission records for every screen, API and menu, in bulk.

FAB's own ``add_permissions`` commits once per permission (hundreds of
commits, ~20 s on SQLite); this writes the same rows in one transaction.
Role grants are left to ``portal.security.roles.sync_roles``.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

MENU_ACCESS = "menu_access"


def wanted_pairs(appbuilder: Any) -> set[tuple[str, str]]:
    """Every (permission, view-or-menu) pair the registered views need."""
    pairs: set[tuple[str, str]] = set()
    for view in appbuilder.baseviews:
        for permission in view.base_permissions or []:
            pairs.add((permission, view.class_permission_name))
    for category in appbuilder.menu.get_list():
        pairs.add((MENU_ACCESS, category.name))
        for item in category.childs:
            if item.name != "-":
                pairs.add((MENU_ACCESS, item.name))
    return pairs


def ensure_permissions(appbuilder: Any) -> int:
    """Create the missing permission records; return how many pairs were added.

    TODO(stale permissions): pairs of views that were removed are kept; an
    administrator clears them with ``spkms fab security-cleanup``.
    """
    sm = appbuilder.sm
    session = sm.session
    permissions = {p.name: p for p in session.query(sm.permission_model)}
    view_menus = {v.name: v for v in session.query(sm.viewmenu_model)}
    existing = {
        (pv.permission.name, pv.view_menu.name)
        for pv in session.query(sm.permissionview_model)
        if pv.permission is not None and pv.view_menu is not None
    }
    added = 0
    for permission_name, view_name in sorted(wanted_pairs(appbuilder) - existing):
        permission = permissions.get(permission_name)
        if permission is None:
            permission = permissions[permission_name] = sm.permission_model(
                name=permission_name
            )
            session.add(permission)
        view_menu = view_menus.get(view_name)
        if view_menu is None:
            view_menu = view_menus[view_name] = sm.viewmenu_model(name=view_name)
            session.add(view_menu)
        session.add(sm.permissionview_model(permission=permission, view_menu=view_menu))
        added += 1
    session.commit()
    logger.info("permissions ensured: %d added", added)
    return added
