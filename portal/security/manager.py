"""The FAB security manager of SPKMS, and the service user jobs act as."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import current_app
from flask_appbuilder.security.sqla.manager import SecurityManager

logger = logging.getLogger(__name__)


class SpkmsSecurityManager(SecurityManager):
    """FAB's manager, with the service user every job and CLI write is signed by."""

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
