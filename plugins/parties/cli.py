"""``spkms parties ...``: look a party up, search by name, rebuild search keys."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from plugins.parties import services
from plugins.parties.identity import IDENTITY_TYPES, MYKAD
from portal.extensions import db

parties_group = AppGroup("parties", help="Party profiles (pihak).")


@parties_group.command("find")
@click.argument("number")
@click.option(
    "--type",
    "identity_type",
    type=click.Choice(list(IDENTITY_TYPES)),
    default=MYKAD,
    show_default=True,
)
@click.option("--nationality", help="ISO 3166 alpha-3 code (passports).")
def find_command(number: str, identity_type: str, nationality: str | None) -> None:
    """Show the profile holding an identity number."""
    try:
        party = services.find_by_identity(identity_type, number, nationality)
    except services.PartyError as exc:
        raise click.ClickException(str(exc)) from exc
    if party is None:
        raise click.ClickException("no profile holds this number")
    click.echo(f"{party.id}\t{party.identity_display}\t{party.full_name}")


@parties_group.command("search")
@click.argument("name", nargs=-1, required=True)
@click.option("--limit", default=10, show_default=True)
def search_command(name: tuple[str, ...], limit: int) -> None:
    """List profiles whose name resembles NAME, best first."""
    for match in services.search_by_name(" ".join(name), limit=limit):
        party = match.party
        click.echo(
            f"{match.score:.2f}\t{party.id}\t{party.identity_display}\t"
            f"{party.full_name}"
        )


@parties_group.command("reindex")
def reindex_command() -> None:
    """Rewrite every profile's search key (after the naming rules changed)."""
    changed = services.reindex_names()
    db.session.commit()
    click.echo(f"search keys rewritten: {changed}")
