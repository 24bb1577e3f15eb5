"""Request plumbing: request ids in every log line, trusted proxies, 404s.

Every request gets an id (``X-Request-ID`` from nginx, or a new one) that is
put on ``g``, on each log record and on the response, so support can follow
one request through the web tier, the access log and the jobs it queued.
"""

from __future__ import annotations

import ipaddress
import logging
import uuid
from collections.abc import Callable, Iterable
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
from portal.settings import ConfigError

logger = logging.getLogger(__name__)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every log record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return g.get("request_id") if has_request_context() else None


#: Headers only a trusted proxy may set: the forwarding ones ProxyFix reads,
#: and the client certificate nginx verified (``portal.security.certlogin``).
PROXY_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_X_SSL_CLIENT_CERT",
    "HTTP_X_SSL_CLIENT_VERIFY",
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(setting: Any) -> tuple[int, tuple[Network, ...]]:
    """Read ``SPKMS_TRUSTED_PROXIES``: a hop count, or proxy addresses.

    ``"2"`` (the older form) believes two hops of forwarding headers from any
    peer and never a forwarded certificate. ``"127.0.0.1, 10.0.0.0/24"``
    believes one hop, and the certificate headers, only from those addresses.
    """
    text = str(setting or "").strip()
    if not text:
        return 0, ()
    if text.isdigit():
        return int(text), ()
    networks: list[Network] = []
    parts: Iterable[str] = (
        setting if isinstance(setting, list | tuple) else text.split(",")
    )
    for part in parts:
        try:
            networks.append(ipaddress.ip_network(str(part).strip(), strict=False))
        except ValueError as exc:
            raise ConfigError(
                "SPKMS_TRUSTED_PROXIES",
                f"{str(part).strip()!r} is neither a hop count nor an address: {exc}",
            ) from exc
    return 1, tuple(networks)


class TrustedProxies:
    """WSGI middleware: drop proxy headers unless the peer is a trusted proxy.

    Without it anyone who reaches the portal's port directly could claim any
    client address, or present a certificate nginx never saw.
    """

    def __init__(self, wsgi_app: Callable[..., Any], networks: tuple[Network, ...]):
        self.wsgi_app = wsgi_app
        self.networks = networks

    def trusted(self, address: str | None) -> bool:
        try:
            peer = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(peer in network for network in self.networks)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        trusted = self.trusted(environ.get("REMOTE_ADDR"))
        environ["spkms.trusted_proxy"] = trusted
        if not trusted:
            for name in PROXY_HEADERS:
                environ.pop(name, None)
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    """Install request ids, proxy handling and the not-found answer."""
    hops, networks = trusted_networks(app.config.get("SPKMS_TRUSTED_PROXIES"))
    app.config["SPKMS_TRUSTED_NETWORKS"] = networks
    wsgi: Callable[..., Any] = app.wsgi_app
    if hops:
        # Only as many hops as there are trusted proxies are believed.
        wsgi = ProxyFix(wsgi, x_for=hops, x_proto=hops)
    if networks or not hops:
        wsgi = TrustedProxies(wsgi, networks)
    else:
        # A bare hop count trusts forwarding from anyone, certificates never.
        wsgi = _StripCertificateHeaders(wsgi)
    app.wsgi_app = wsgi  # type: ignore[method-assign]

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
    app.before_request(_check_api_query)


#: Largest number a REST query (``?q=``) may carry, and the highest page:
#: beyond them the database cannot take the offset (SQLite overflows).
MAX_QUERY_NUMBER = 2**53
MAX_PAGE = 10**6
#: Record keys are 32-bit integers on every table a URL names.
MAX_KEY = 2**31
#: FAB REST methods whose ``q`` argument is Rison.
RISON_METHODS = frozenset({"get_list", "get", "info"})


def _numbers(value: Any) -> Iterable[float]:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)


def _names_a_record(view_arg: str) -> bool:
    """Whether a URL part is a record key (``pk``, ``case_id``, ...)."""
    return view_arg in ("pk", "id") or view_arg.endswith("_id")


def _check_api_query() -> Any:
    """Refuse a REST query whose numbers no database column can hold.

    FAB turns every exception inside an API method into a 500; a page number
    of 10**19 reached SQLite as an offset it cannot bind. Checked here, the
    caller gets a 400 naming the rule.
    """
    for name, value in (request.view_args or {}).items():
        if not _names_a_record(name):
            continue  # a tag, a code or a number that is not a key
        text = str(value)
        if text.lstrip("-").isdigit() and abs(int(text)) >= MAX_KEY:
            # No record has such a key; the database could not even take it
            # (and FAB's API turns its refusal into a 500).
            if request.path.startswith("/api/"):
                return jsonify(message="Not found"), 404
            return _render_not_found(), 404
    raw = request.args.get("q")
    if not raw or not request.path.startswith("/api/"):
        return None
    import prison

    try:
        query = prison.loads(raw)
    except Exception:  # prison raises bare ValueErrors and IndexErrors too
        # FAB's own item and list methods read ``q`` as Rison (and crash on
        # what prison cannot parse); other endpoints may read it as text.
        method = (request.endpoint or "").rsplit(".", 1)[-1]
        if method in RISON_METHODS:
            return jsonify(message="q: not a valid Rison query"), 400
        return None
    if any(abs(number) > MAX_QUERY_NUMBER for number in _numbers(query)):
        return jsonify(message=f"q: numbers must be below {MAX_QUERY_NUMBER}"), 400
    if isinstance(query, dict):
        page = query.get("page")
        if isinstance(page, int) and page > MAX_PAGE:
            return jsonify(message=f"q: page must be at most {MAX_PAGE}"), 400
    return None


class _StripCertificateHeaders:
    def __init__(self, wsgi_app: Callable[..., Any]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        environ["spkms.trusted_proxy"] = False
        environ.pop("HTTP_X_SSL_CLIENT_CERT", None)
        environ.pop("HTTP_X_SSL_CLIENT_VERIFY", None)
        return self.wsgi_app(environ, start_response)


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
