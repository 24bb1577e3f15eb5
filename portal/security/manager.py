"""The FAB security manager of SPKMS, and the service user jobs act as."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import assoc_permissionview_role

logger = logging.getLogger(__name__)


class SpkmsSecurityManager(SecurityManager):
    """FAB's manager, with the service user every job and CLI write is signed by."""

    def exist_permission_on_roles(
        self, view_name: str, permission_name: str, role_ids: list[int]
    ) -> bool:
        """Whether one of ``role_ids`` holds the permission, from one query per
        request.

        FAB asks the database once per check, and a screen's menu checks
        every item of it: dozens of queries per page. Within a request the
        roles' permissions are read once and kept in ``g``; a request that
        changes roles sees the change from the next request on.
        """
        if not has_request_context():
            return super().exist_permission_on_roles(
                view_name, permission_name, role_ids
            )
        key = tuple(sorted(role_ids))
        cache: dict[tuple[int, ...], frozenset[tuple[str, str]]] = g.setdefault(
            "spkms_role_permissions", {}
        )
        granted = cache.get(key)
        if granted is None:
            granted = cache[key] = self._granted_to(key)
        return (permission_name, view_name) in granted

    def _granted_to(self, role_ids: tuple[int, ...]) -> frozenset[tuple[str, str]]:
        """Every (permission, view or menu) pair the roles hold."""
        pv = self.permissionview_model
        rows = self.session.execute(
            sa.select(self.permission_model.name, self.viewmenu_model.name)
            .select_from(pv)
            .join(self.permission_model, self.permission_model.id == pv.permission_id)
            .join(self.viewmenu_model, self.viewmenu_model.id == pv.view_menu_id)
            .join(
                assoc_permissionview_role,
                assoc_permissionview_role.c.permission_view_id == pv.id,
            )
            .where(assoc_permissionview_role.c.role_id.in_(role_ids))
        )
        return frozenset((permission, view) for permission, view in rows)

    def service_user(self) -> Any:
        """Return (creating once) the user that jobs, the scheduler and CLI act as.

        It holds the Admin role so jobs can act on every court, but it has an
        unusable random password and is inactive for login.
        """
        username = current_app.config["SPKMS_SERVICE_USER"]
        user = self.find_user(username=username)
        if user is None:
            role = self.find_role(self.auth_role_admin) or self.add_role(
                self.auth_role_admin
            )
            user = self.add_user(
                username=username,
                first_name="SPKMS",
                last_name="Sistem",
                email=f"{username}@localhost",
                role=role,
                password=secrets.token_urlsafe(32),
            )
            user.active = False
            self.session.commit()
            logger.info("service user created: %s id=%s", username, user.id)
        return user
