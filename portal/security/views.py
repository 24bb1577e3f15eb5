"""The administrator's screens of the certificate registry (Sijil Digital):
list, register by uploading a PEM, revoke with a reason; and officers'
identity numbers. The rules are in ``portal.security.registry``.
"""

# TODO(i18n): the certificate screens and templates are Malay only; only their menu
#   names are in the catalogs.
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name

from portal.extensions import db
from portal.i18n import N_
from portal.security import registry
from portal.security.models import OfficerCertificate, OfficerIdentity

CERT_COLUMNS = [
    "user",
    "subject",
    "serial",
    "not_before",
    "not_after",
    "revoked_at",
    "revoked_by",
    "revoked_reason",
]
LABELS = {
    "user": "Pegawai",
    "subject": "Subjek",
    "issuer": "Pengeluar",
    "serial": "Nombor Siri",
    "fingerprint": "Cap Jari SHA-256",
    "not_before": "Sah Dari",
    "not_after": "Tamat Tempoh",
    "revoked_at": "Dibatalkan Pada",
    "revoked_by": "Dibatalkan Oleh",
    "revoked_reason": "Sebab Pembatalan",
    "registered_by": "Didaftar Oleh",
    "created_at": "Didaftar Pada",
    "id_number": "No. MyKad",
}


def _officers() -> list[Any]:
    from flask_appbuilder.security.sqla.models import User

    return list(
        db.session.scalars(sa.select(User).where(User.active).order_by(User.username))
    )


class CertificateView(ModelView):
    """Registered officers' certificates (Sijil Digital Pegawai)."""

    datamodel = SQLAInterface(OfficerCertificate)
    route_base = "/certificates"
    list_title = "Sijil Digital Pegawai"
    show_title = "Sijil Digital"
    base_permissions = ["can_list", "can_show", "can_register", "can_revoke"]
    list_columns = ["user", "subject", "not_after", "revoked_at"]
    show_columns = [
        *CERT_COLUMNS,
        "issuer",
        "fingerprint",
        "registered_by",
        "created_at",
    ]
    search_columns = ["user", "subject", "fingerprint", "not_after", "revoked_at"]
    base_order = ("not_after", "desc")
    label_columns = LABELS
    show_template = "spkms/cert_show.html"

    @expose("/register", methods=["GET", "POST"])
    @has_access
    @permission_name("register")
    def register(self) -> Any:
        """Upload an officer's certificate (PEM) and register it to them."""
        values = {"user_id": request.form.get("user_id", ""), "pem": ""}
        if request.method == "POST":
            upload = request.files.get("pem_file")
            pem = (
                upload.read().decode("ascii", "replace")
                if upload and upload.filename
                else request.form.get("pem", "")
            )
            values["pem"] = pem
            try:
                user_id = int(values["user_id"])
            except ValueError:
                flash("user_id: pilih pegawai / choose an officer", "danger")
            else:
                try:
                    row = registry.register(user_id, pem)
                except registry.RegistryError as exc:
                    db.session.rollback()
                    flash(str(exc), "danger")
                else:
                    flash(f"Sijil didaftarkan: {row.subject}", "success")
                    return redirect(url_for(".show", pk=row.id))
        return self.render_template(
            "spkms/cert_register.html", officers=_officers(), values=values
        ), (422 if request.method == "POST" else 200)

    @expose("/revoke/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("revoke")
    def revoke(self, pk: int) -> Any:
        """Revoke a registered certificate, with the reason."""
        try:
            registry.revoke(pk, request.form.get("reason", ""))
        except registry.RegistryError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash("Sijil dibatalkan", "success")
        return redirect(url_for(".show", pk=pk))


class OfficerIdentityView(ModelView):
    """Officers' MyKad numbers: a certificate naming one maps to its officer."""

    datamodel = SQLAInterface(OfficerIdentity)
    route_base = "/officer-identities"
    list_title = "No. MyKad Pegawai"
    list_columns = ["user", "id_number"]
    show_columns = ["user", "id_number", "created_at"]
    add_columns = edit_columns = ["user", "id_number"]
    label_columns = LABELS

    def pre_add(self, item: OfficerIdentity) -> None:
        from portal.security.pki import PkiError, normalise_id_number

        try:
            item.id_number = normalise_id_number(item.id_number)
        except PkiError as exc:
            raise ValueError(str(exc)) from exc

    pre_update = pre_add


def register_views(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(
        CertificateView,
        N_("Sijil Digital"),
        icon="fa-id-card",
        category=N_("Keselamatan"),
    )
    appbuilder.add_view(
        OfficerIdentityView,
        N_("No. MyKad Pegawai"),
        icon="fa-id-badge",
        category=N_("Keselamatan"),
    )
