"""The WSGI application for gunicorn: ``gunicorn portal.wsgi:app``.

Built from the environment (``SPKMS_*``) like every other entry point. With
gunicorn's ``preload_app`` off (see deploy/gunicorn.conf.py) each worker
imports this module after the fork and builds its own app, database pool and
Redis client.
"""

from __future__ import annotations

from portal import create_app
from portal.web import configure_logging

configure_logging()
app = create_app()
