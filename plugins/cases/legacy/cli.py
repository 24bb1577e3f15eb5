"""``spkms import-legacy``: the command over ``read_*``, ``plan_import`` and
``run_import``; it shows progress, the summary and where the rejects went."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from plugins.cases.legacy.checks import plan_import
from plugins.cases.legacy.exports import (
    LegacyError,
    read_case_export,
    read_party_export,
    write_rejects,
)
from plugins.cases.legacy.writer import DEFAULT_BATCH_SIZE, ImportSummary, run_import

#: Longest reject list the command prints when no ``--report`` file is given.
SHOWN_REJECTS = 20


@click.command("import-legacy")
@click.argument("kes_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument(
    "pihak_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the rejected rows, with line and reason, to this CSV file.",
)
@click.option("--dry-run", is_flag=True, help="Check and count; write nothing.")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Cases written per transaction.",
)
@with_appcontext
def import_legacy_command(
    kes_csv: Path,
    pihak_csv: Path,
    report: Path | None,
    dry_run: bool,
    batch_size: int,
) -> None:
    """Import cases and parties from the first SPKMS's CSV exports.

    Safe to run again: cases already imported are skipped and counted.
    """
    try:
        exports = (read_case_export(kes_csv), read_party_export(pihak_csv))
    except LegacyError as exc:
        raise click.ClickException(str(exc)) from exc
    for export in exports:
        click.echo(f"{export.name}: read as {export.encoding}")
    plan = plan_import(*exports)
    with click.progressbar(length=len(plan.cases), label="Cases") as bar:
        try:
            summary = run_import(
                plan, dry_run=dry_run, batch_size=batch_size, progress=bar.update
            )
        except LegacyError as exc:
            raise click.ClickException(str(exc)) from exc
    _echo_summary(summary)
    if report is not None:
        write_rejects(report, summary.rejects)
        click.echo(f"Rejected rows written to {report}")
    elif summary.rejects:
        for reject in summary.rejects[:SHOWN_REJECTS]:
            click.echo(f"  {reject.source} line {reject.line}: {reject.reason}")
        if len(summary.rejects) > SHOWN_REJECTS:
            click.echo(
                f"  ... {len(summary.rejects) - SHOWN_REJECTS} more;"
                " --report FILE lists them all"
            )


def _echo_summary(summary: ImportSummary) -> None:
    if summary.dry_run:
        click.echo("Dry run: nothing was written; the counts say what would be.")
    click.echo(
        f"Cases: {summary.cases_imported} imported,"
        f" {summary.cases_present} already present,"
        f" {summary.cases_rejected} rejected (of {summary.case_rows} rows)"
    )
    click.echo(
        f"Parties: {summary.parties_created} created, {summary.parties_reused}"
        f" reused; {summary.party_rows_rejected} rows rejected"
        f" (of {summary.party_rows} rows)"
    )
    click.echo(
        f"Case-party links: {summary.links_created} made,"
        f" {summary.links_present} already present"
    )
    if summary.cases_without_parties:
        click.echo(f"Cases imported without any party: {summary.cases_without_parties}")
