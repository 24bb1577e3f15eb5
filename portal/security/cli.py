"""``spkms certs``: the development CA, officer certificates, the CRL, and the
registry (register, list, revoke) from the command line.

``ca``, ``issue``, ``server``, ``revoke-ca`` and ``crl`` work on files only and
need no database; ``register``, ``list``, ``revoke`` and ``identity`` act on
the portal's registry as the service user.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from flask.cli import with_appcontext

from portal.security import pki

certs_group = click.Group(
    "certs", help="Officers' certificates: development CA, issuing, registry."
)

_dir = click.Path(file_okay=False, path_type=Path)
_file = click.Path(dir_okay=False, exists=True, path_type=Path)


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@certs_group.command("ca")
@click.argument("directory", type=_dir)
@click.option("--name", default="SPKMS Development CA", show_default=True)
@click.option("--days", default=3650, show_default=True)
@click.option("--key-type", type=click.Choice(pki.KEY_TYPES), default="ec")
def ca_command(directory: Path, name: str, days: int, key_type: str) -> None:
    """Create a development CA in DIRECTORY (ca.pem, ca-key.pem, crl.pem)."""
    try:
        path = pki.create_ca(directory, name, days=days, key_type=key_type)
    except pki.PkiError as exc:
        raise _fail(exc) from exc
    click.echo(f"CA written: {path} (CRL: {directory / 'crl.pem'})")


@certs_group.command("issue")
@click.argument("ca_dir", type=_dir)
@click.argument("out_dir", type=_dir)
@click.option("--name", required=True, help="The officer's name, as on the MyKad.")
@click.option("--id-number", required=True, help="The officer's MyKad number.")
@click.option(
    "--identity-field",
    type=click.Choice(sorted(pki.IDENTITY_FIELDS)),
    default="serialNumber",
    show_default=True,
    help="Subject field that carries the MyKad number.",
)
@click.option("--days", default=365, show_default=True)
@click.option(
    "--expired", is_flag=True, help="Make one that expired yesterday (for tests)."
)
@click.option("--password", default=None, help="PKCS#12 password (none if absent).")
@click.option("--key-type", type=click.Choice(pki.KEY_TYPES), default="rsa")
def issue_command(
    ca_dir: Path,
    out_dir: Path,
    name: str,
    id_number: str,
    identity_field: str,
    days: int,
    expired: bool,
    password: str | None,
    key_type: str,
) -> None:
    """Issue an officer certificate (PEM, key and PKCS#12) into OUT_DIR."""
    window: dict[str, datetime] = {}
    if expired:
        now = datetime.now(UTC)
        window = {
            "not_before": now - timedelta(days=days + 1),
            "not_after": now - timedelta(days=1),
        }
    try:
        issued = pki.issue_officer(
            ca_dir,
            out_dir,
            name=name,
            id_number=id_number,
            identity_field=identity_field,
            days=days,
            key_type=key_type,
            p12_password=password,
            **window,
        )
    except pki.PkiError as exc:
        raise _fail(exc) from exc
    click.echo(f"certificate: {issued.cert}")
    click.echo(f"key:         {issued.key}")
    click.echo(f"PKCS#12:     {issued.p12}")
    click.echo(f"serial:      {issued.serial:x}")
    click.echo(f"sha256:      {issued.fingerprint}")


@certs_group.command("server")
@click.argument("ca_dir", type=_dir)
@click.argument("out_dir", type=_dir)
@click.option("--hostname", default="localhost", show_default=True)
def server_command(ca_dir: Path, out_dir: Path, hostname: str) -> None:
    """Issue a TLS server certificate for nginx into OUT_DIR."""
    try:
        issued = pki.issue_server(ca_dir, out_dir, hostname)
    except pki.PkiError as exc:
        raise _fail(exc) from exc
    click.echo(f"server certificate: {issued.cert} key: {issued.key}")


@certs_group.command("revoke-ca")
@click.argument("ca_dir", type=_dir)
@click.argument("cert", type=_file)
def revoke_ca_command(ca_dir: Path, cert: Path) -> None:
    """List CERT on the development CA's CRL and rewrite crl.pem."""
    try:
        serial = pki.revoke(ca_dir, cert)
    except pki.PkiError as exc:
        raise _fail(exc) from exc
    click.echo(f"revoked serial {serial:x}; CRL: {ca_dir / 'crl.pem'}")


@certs_group.command("crl")
@click.argument("ca_dir", type=_dir)
@click.option("--days", default=7, show_default=True, help="Valid for this long.")
def crl_command(ca_dir: Path, days: int) -> None:
    """Sign a fresh CRL (run it daily: a stale CRL refuses every login)."""
    try:
        path = pki.write_crl(ca_dir, days=days)
    except pki.PkiError as exc:
        raise _fail(exc) from exc
    click.echo(f"CRL written: {path}")


@certs_group.command("register")
@click.argument("username")
@click.argument("cert", type=_file)
@with_appcontext
def register_command(username: str, cert: Path) -> None:
    """Register CERT (PEM) to the officer USERNAME."""
    from portal.security import registry

    try:
        row = registry.register_for_username(username, cert.read_text("ascii"))
    except registry.RegistryError as exc:
        raise _fail(exc) from exc
    click.echo(f"registered to {username}: {row.subject} sha256={row.fingerprint}")


@certs_group.command("identity")
@click.argument("username")
@click.argument("id_number")
@with_appcontext
def identity_command(username: str, id_number: str) -> None:
    """Record USERNAME's MyKad number (certificates naming it map to them)."""
    from portal.security import registry

    try:
        registry.set_identity_for_username(username, id_number)
    except registry.RegistryError as exc:
        raise _fail(exc) from exc
    click.echo(f"{username}: identity number recorded")


@certs_group.command("list")
@click.option("--username", default=None)
@with_appcontext
def list_command(username: str | None) -> None:
    """List registered certificates (newest expiry first)."""
    from portal.security import registry

    for row in registry.listing(username):
        state = "DIBATALKAN" if row.revoked_at else "aktif"
        click.echo(
            f"{row.id}\t{row.user.username}\t{row.not_after:%Y-%m-%d}\t{state}\t"
            f"{row.fingerprint[:16]}\t{row.subject}"
        )


@certs_group.command("revoke")
@click.argument("certificate_id", type=int)
@click.option("--reason", required=True)
@with_appcontext
def revoke_command(certificate_id: int, reason: str) -> None:
    """Revoke registered certificate CERTIFICATE_ID in the portal's registry."""
    from portal.security import registry

    try:
        row = registry.revoke(certificate_id, reason)
    except registry.RegistryError as exc:
        raise _fail(exc) from exc
    click.echo(f"revoked: {row.subject} sha256={row.fingerprint}")
