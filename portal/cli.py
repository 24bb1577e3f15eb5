"""The ``spkms`` command: Flask's CLI group plus the portal's own commands.

``spkms run``, ``spkms db ...`` and ``spkms fab ...`` come from Flask, Flask-
Migrate and Flask-AppBuilder; ``init`` and ``demo`` are defined here, jobs add
``worker``, ``scheduler`` and ``jobs``, and plugins add theirs by hook.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

from portal.settings import ConfigError


def _make_app() -> Flask:
    from portal import create_app
    from portal.app import spkms

    try:
        app = create_app()
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from exc
    with app.app_context():
        for commands in spkms().hook.spkms_register_cli_commands():
            for command in commands or []:
                app.cli.add_command(command)
    return app


@click.group(cls=FlaskGroup, create_app=_make_app, add_version_option=False)
def main() -> None:
    """SPKMS: Sistem Pengurusan Kes Mahkamah Syariah."""
    from portal.web import configure_logging

    configure_logging()


@main.command("init", with_appcontext=False)
@click.option(
    "--state", help="State profile to load (default: SPKMS_STATE or terengganu)."
)
def init_command(state: str | None) -> None:
    """Create or upgrade the schema and load the state profile (idempotent)."""
    if state:
        os.environ["SPKMS_STATE"] = state
    app = _make_app()
    with app.app_context():
        from portal.provision import init

        try:
            report = init()
        except ConfigError as exc:
            raise click.ClickException(f"configuration error: {exc}") from exc
    click.echo(
        f"init done: {report.profile_rows} profile rows written, "
        f"{report.grants_added} permissions granted"
    )


@main.command("demo", with_appcontext=False)
@click.option("--port", default=8080, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--no-serve", is_flag=True, help="Prepare the demo database only.")
@click.option(
    "--scale",
    type=float,
    default=None,
    help="Load the bulk data set instead of the samples: 1.0 is 1,000,000 "
    "profiles and 300,000 cases, 0.01 one hundredth of that.",
)
def demo_command(port: int, host: str, no_serve: bool, scale: float | None) -> None:
    """Create the demo database if missing, print logins, serve the portal."""
    import time

    from portal.demo import prepare_demo
    from portal.scale.loader import SCALE_PASSWORD, ScaleError, estimated_rows

    started = time.perf_counter()
    if scale is None:
        app, logins = prepare_demo()
    else:
        try:
            length = estimated_rows(scale)
        except ScaleError as exc:
            raise click.BadParameter(exc.rule, param_hint="--scale") from exc
        with click.progressbar(length=length, label="Memuatkan data") as bar:
            app, logins = prepare_demo(scale, on_rows=bar.update)
        click.echo(f"Loaded in {time.perf_counter() - started:.1f} s")
        click.echo(
            f"Judges hakim.<court>.<n> and clerks kerani.<court> added by the data"
            f" set log in with the password {SCALE_PASSWORD}"
        )
    click.echo("SPKMS demo — logins (username / password / role / courts):")
    for login in logins:
        click.echo(f"  {login}")
    if no_serve:
        return
    from portal.jobs import start_inline_scheduler

    start_inline_scheduler(app)
    click.echo(f"Serving on http://{host}:{port}/ (Ctrl-C to stop)")
    # app.run() refuses to block inside a Flask CLI command; serve directly.
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False)


from portal.security.cli import certs_group  # noqa: E402

main.add_command(certs_group)


def run(argv: list[str] | None = None) -> Any:
    """Entry point for ``python -m portal``."""
    return main.main(args=argv or sys.argv[1:], prog_name="spkms")
