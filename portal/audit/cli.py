"""``spkms audit verify``: check the access log's hash chain end to end."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.audit import chain
from portal.extensions import db

audit_group = AppGroup("audit", help="The audit trail.")


@audit_group.command("verify")
def verify_command() -> None:
    """Report the first access log record altered or removed (exit 1), or OK."""
    with db.engine.connect() as connection:
        report = chain.verify(connection)
    if report.ok:
        click.echo(
            f"audit chain OK: {report.checked} records chained"
            + (f", {report.unchained} older unchained" if report.unchained else "")
        )
        return
    click.echo(f"AUDIT CHAIN BROKEN: {report.problem}", err=True)
    click.echo(f"checked before the break: {report.checked}", err=True)
    raise SystemExit(1)
