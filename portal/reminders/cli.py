"""``spkms reminders``: run the rules by hand, or list them as the profile set them."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext

from portal.reminders.engine import current_reminders, run_reminders


@click.group("reminders")
def reminders() -> None:
    """Peringatan: warnings of records nearing or past their deadline."""


@reminders.command("run")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Run as if today were this date (YYYY-MM-DD); default: today, Malaysia time.",
)
@click.option("--rule", default=None, help="Run only this rule.")
@with_appcontext
def run_command(day: click.DateTime | None, rule: str | None) -> None:
    """Evaluate the rules now; what was already sent is not sent again."""
    known = current_reminders().rules
    if rule is not None and rule not in known:
        raise click.BadParameter(
            f"unknown rule {rule!r}; known: {', '.join(known)}", param_hint="--rule"
        )
    when: date | None = day.date() if day is not None else None  # type: ignore[attr-defined]
    report = run_reminders(when, only=rule)
    for name, levels in report.sent.items():
        counts = ", ".join(f"{level} {count}" for level, count in levels.items())
        click.echo(f"{name}: {counts or 'nothing due'}")
    for name, error in report.failed.items():
        click.echo(f"{name}: FAILED {error}", err=True)
    click.echo(
        f"{report.day}: {report.total} record(s) warned, {report.messages} message(s)"
    )
    if report.failed:
        raise SystemExit(1)


@reminders.command("rules")
@with_appcontext
def rules_command() -> None:
    """List the active rules with their periods and who is told."""
    for name, settings in current_reminders().rules.items():
        levels = "; ".join(
            f"{level.name}: {', '.join(settings.notify[level.name])}"
            for level in settings.levels()
        )
        click.echo(
            f"{name}  {settings.rule.title}: {settings.days} {settings.unit} day(s)"
            f" (warn {settings.warn_before_days} before, escalate"
            f" {settings.escalate_after_days} after"
            f"{', by case type' if settings.by_case_type else ''}"
            f"{', by level' if settings.by_level else ''}) -> {levels}"
        )
