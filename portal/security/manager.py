"""The FAB security manager of SPKMS, and the service user jobs act as."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import sqlalchemy as sa
from flask import current_app, flash, g, has_request_context, session
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import assoc_permissionview_role

from portal.security.apis import SpkmsPermissionViewMenuApi, SpkmsUserApi

logger = logging.getLogger(__name__)


class SpkmsSecurityManager(SecurityManager):
    """FAB's manager, with the service user every job and CLI write is signed by,
    password logins written to the audit trail, and password login closed
    while certificate login is on (``portal.security.certlogin``)."""

    user_api = SpkmsUserApi
    permission_view_menu_api = SpkmsPermissionViewMenuApi

    def auth_user_db(self, username: str, password: str) -> Any:
        """FAB's password check, audited, and narrowed under certificate login.

        With ``SPKMS_CERT_LOGIN`` on a password opens the portal only (a) with
        the certificate of the same officer on the request (the API's token
        login), or (b) for an emergency account named in the state profile;
        every (b) is flagged ``emergency_login`` in the audit trail.
        """
        from portal.audit.access_log import record_security_event
        from portal.security import certlogin

        user = super().auth_user_db(username, password)
        if user is None:
            known = self.find_user(username=username) if username else None
            record_security_event(
                "login_failed",
                user_id=getattr(known, "id", None),
                username=username,
                allowed=False,
                detail="wrong username or password",
            )
            return None
        if not certlogin.enabled():
            record_security_event(
                "login",
                user_id=user.id,
                username=user.username,
                allowed=True,
                detail="password",
            )
            return user
        match = certlogin.request_certificate()
        if match is not None and match.user.id == user.id:
            record_security_event(
                "login",
                user_id=user.id,
                username=user.username,
                allowed=True,
                detail=f"password and certificate sha256={match.fingerprint}",
            )
            return user
        if user.username in certlogin.emergency_accounts():
            if has_request_context():
                session[certlogin.SESSION_EMERGENCY] = user.id
            record_security_event(
                "emergency_login",
                user_id=user.id,
                username=user.username,
                allowed=True,
                detail="EMERGENCY: password without certificate",
            )
            return user
        record_security_event(
            "login_failed",
            user_id=user.id,
            username=user.username,
            allowed=False,
            detail="password login closed: a registered certificate is required",
        )
        if has_request_context():
            flash(
                "Log masuk dengan kata laluan ditutup; gunakan sijil digital.", "danger"
            )
        return None

    def load_user_jwt(self, _jwt_header: Any, jwt_data: Any) -> Any:
        """FAB's token user, refused when the request's certificate is another's."""
        from portal.security import certlogin

        user = super().load_user_jwt(_jwt_header, jwt_data)
        if user is None or not certlogin.enabled():
            return user
        match = certlogin.request_certificate()
        if match is None or match.user.id != user.id:
            g.pop("user", None)
            logger.warning(
                "token of user id=%s refused: certificate is %s",
                user.id,
                "missing" if match is None else f"user id={match.user.id}",
            )
            return None
        return user

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
