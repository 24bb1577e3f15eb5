"""The public pages: e-filing (``/efiling/``) and case status (``/status/``).

Plain Flask routes, not FAB views: they serve anyone, logged in or not, and
need no FAB permission (the FAB "Public" role holds none). CSRF protection
stays on, as for every form of the portal: the templates carry the token.
Identity numbers travel only in POST bodies, never in URLs, so they stay out
of server logs and browser history.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    Flask,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from plugins.cases import efiling, public_status
from plugins.cases.services import CaseError

logger = logging.getLogger(__name__)

blueprint = Blueprint("cases_public", __name__, template_folder="templates")

#: ``session`` key holding the reference of the visitor's last filing.
_LAST_REFERENCE = "spkms_efiling_reference"

# Posts here are rate-limited per client address by the host
# (SPKMS_PUBLIC_RATE_LIMIT over SPKMS_PUBLIC_PATHS, portal.security.hardening).


def _identity_types() -> dict[str, str]:
    from plugins.parties.identity import IDENTITY_TYPES

    return IDENTITY_TYPES


def _form_values() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in efiling.FIELDS}


def _render_efiling_form(
    form: dict[str, str], error: CaseError | None = None, status: int = 200
) -> tuple[str, int]:
    page = render_template(
        "cases/efiling_form.html",
        form=form,
        error=error,
        labels=efiling.LABELS,
        courts=efiling.efiling_courts(),
        case_types=efiling.online_case_types(),
        identity_types=_identity_types(),
    )
    return page, status


@blueprint.route("/efiling/", methods=["GET", "POST"])
def efiling_form() -> Any:
    """e-Failing: file a case at a district court, without an account."""
    if request.method == "GET":
        return _render_efiling_form({})
    form = _form_values()
    try:
        filing = efiling.submit_efiling(**form)
    except CaseError as exc:
        logger.info("efiling refused: %s", exc.field)
        return _render_efiling_form(form, exc, 422)
    # Post/redirect/get: a reload of the confirmation does not file twice.
    session[_LAST_REFERENCE] = filing.reference
    return redirect(url_for("cases_public.efiling_done"))


@blueprint.route("/efiling/done")
def efiling_done() -> Any:
    """The reference of the visitor's own last filing (kept in their session)."""
    reference = session.get(_LAST_REFERENCE)
    if not reference:
        return redirect(url_for("cases_public.efiling_form"))
    return render_template("cases/efiling_submitted.html", reference=reference)


@blueprint.route("/status/", methods=["GET", "POST"])
def status() -> Any:
    """Status Kes: a case's status, court and next hearing, for its parties."""
    form = {
        name: request.form.get(name, "")
        for name in ("number", "identity_type", "identity_number", "nationality")
    }
    answer = None
    error = None
    asked = request.method == "POST"
    code = 200
    if asked:
        try:
            answer = public_status.public_status(
                form["number"],
                form["identity_type"],
                form["identity_number"],
                form["nationality"],
            )
        except CaseError as exc:
            error, asked, code = exc, False, 422
    page = render_template(
        "cases/public_status.html",
        # A neutral answer repeats nothing typed: every "not found" page is
        # the same, whatever was on file.
        form=form if error is not None else {},
        error=error,
        asked=asked,
        answer=answer,
        identity_types=_identity_types(),
    )
    return page, code


def register(app: Flask) -> None:
    """Serve the public pages on ``app`` (once per app)."""
    if blueprint.name not in app.blueprints:
        app.register_blueprint(blueprint)
