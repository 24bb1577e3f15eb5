"""Request plumbing: request ids in every log line, trusted proxies, 404s.

Every request gets an id (``X-Request-ID`` from nginx, or a new one) that is
put on ``g``, on each log record and on the response, so support can follow
one request through the web tier, the access log and the jobs it queued.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    jsonify,
    render_template,
    request,
)
from sqlalchemy.exc import DataError
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.security.access import OutOfScope

logger = logging.getLogger(__name__)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every log record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return g.get("request_id") if has_request_context() else None


def init_app(app: Flask) -> None:
    """Install request ids, proxy handling and the not-found answer."""
    proxies = int(app.config.get("SPKMS_TRUSTED_PROXIES") or 0)
    if proxies:
        # Only as many hops as there are trusted proxies are believed.
        fixed = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
        app.wsgi_app = fixed  # type: ignore[method-assign]

    from portal.timezone import show_local

    # Templates print stored times as the court reads them: {{ t|local_time }}.
    app.jinja_env.filters["local_time"] = show_local

    id_filter = RequestIdFilter()
    for handler in logging.getLogger().handlers:
        handler.addFilter(id_filter)

    @app.before_request
    def _assign_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = (
            incoming[:64] if incoming.isprintable() and incoming else uuid.uuid4().hex
        )

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        if g.get("request_id"):
            response.headers["X-Request-ID"] = g.request_id
        return response

    @app.errorhandler(404)
    @app.errorhandler(OutOfScope)
    def _not_found(exc: Exception) -> Any:
        # One answer for a record out of scope and one that never existed.
        if request.path.startswith("/api/"):
            return jsonify(message="Not found"), 404
        return _render_not_found(), 404

    app.register_error_handler(DataError, _bad_value)


def _bad_value(exc: DataError) -> Any:
    """A value the database could not take (e.g. ``/courts/show/abc``).

    Nothing was written: the session is rolled back. On a record URL the answer
    is the same 404 as for a missing record; elsewhere a plain 400.
    """
    from portal.extensions import db

    db.session.rollback()
    logger.info("value refused by the database: %s", str(exc.orig).splitlines()[0])
    if (request.view_args or {}).get("pk") is not None:
        if request.path.startswith("/api/"):
            return jsonify(message="Not found"), 404
        return _render_not_found(), 404
    if request.path.startswith("/api/"):
        return jsonify(message="A value does not fit its field"), 400
    return "Nilai tidak sah", 400


def _render_not_found() -> str:
    appbuilder = current_app.appbuilder
    return render_template(
        "spkms/not_found.html",
        base_template=appbuilder.base_template,
        appbuilder=appbuilder,
    )


def configure_logging(level: int = logging.INFO) -> None:
    """Log lines with time, level, logger, request id (for CLI entry points)."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(RequestIdFilter())
