"""HTTP endpoints the offline counters call (``/counter-api/v1/...``).

Plain Flask routes, not FAB APIs: a counter is no officer and logs in with
no password. Every request must be signed by an enrolled counter
(``sync.authenticate``); CSRF does not apply (no cookie session), so the
blueprint is exempt from it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_appbuilder import AppBuilder

from plugins.collections import sync
from plugins.collections.services import CollectionError
from portal.extensions import db

logger = logging.getLogger(__name__)

blueprint = Blueprint("collections_counter_api", __name__, url_prefix="/counter-api/v1")


def _authenticated() -> tuple[Any, dict[str, Any]]:
    body = request.get_data(cache=True)
    counter = sync.authenticate(request.headers, request.method, request.path, body)
    try:
        payload = json.loads(body or b"{}")
    except ValueError as exc:
        raise sync.SyncRefused(400, "body", "is not JSON") from exc
    if not isinstance(payload, dict):
        raise sync.SyncRefused(400, "body", "must be a JSON object")
    return counter, payload


@blueprint.errorhandler(sync.SyncRefused)
def _refused(exc: sync.SyncRefused) -> tuple[Response, int]:
    db.session.rollback()
    return jsonify(
        message=f"{exc.field}: {exc.rule}", field=exc.field, rule=exc.rule
    ), (exc.status)


@blueprint.errorhandler(CollectionError)
def _bad_input(exc: CollectionError) -> tuple[Response, int]:
    db.session.rollback()
    return jsonify(message=str(exc), field=exc.field, rule=exc.rule), 422


@blueprint.post("/hello")
def hello() -> Response:
    """The counter's cache: fee schedule, open cases of its court, its blocks."""
    counter, _payload = _authenticated()
    return jsonify(sync.snapshot(counter))


@blueprint.post("/blocks")
def blocks() -> tuple[Response, int]:
    """Reserve a block of the counter's offline series."""
    counter, payload = _authenticated()
    block = sync.reserve_block(counter, payload.get("size", sync.DEFAULT_BLOCK_SIZE))
    return jsonify(first=block.first_number, last=block.last_number), 201


@blueprint.post("/receipts")
def receipts() -> tuple[Response, int]:
    """Take offline receipts; 422 names the one refused, the rest stand."""
    counter, payload = _authenticated()
    items = payload.get("receipts")
    if not isinstance(items, list):
        raise CollectionError("receipts", "must be a list")
    result = sync.take_receipts(counter, items)
    return jsonify(result.as_json()), 422 if result.refused else 200


@blueprint.post("/cancellations")
def cancellations() -> tuple[Response, int]:
    counter, payload = _authenticated()
    items = payload.get("cancellations")
    if not isinstance(items, list):
        raise CollectionError("cancellations", "must be a list")
    result = sync.take_cancellations(counter, items)
    return jsonify(result.as_json()), 422 if result.refused else 200


def register(appbuilder: AppBuilder) -> None:
    app = current_app._get_current_object()
    if blueprint.name in app.blueprints:
        return
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(blueprint)
    app.register_blueprint(blueprint)
