"""``spkms agency-sim``: serve the agency simulator with werkzeug."""

from __future__ import annotations

import click


@click.command("agency-sim")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8090, show_default=True, type=int)
@click.option(
    "--portal-url",
    default=None,
    help="Where to call the portal back (default: [links].public_url).",
)
@click.option(
    "--agency", default="*", show_default=True, help="Whom the options below affect."
)
@click.option("--down", is_flag=True, help="Answer 503 to every request.")
@click.option(
    "--delay", default=0.0, type=float, help="Seconds to wait before answering."
)
@click.option("--answer-twice", is_flag=True, help="Send every callback twice.")
@click.option("--reject", is_flag=True, help="Reject every request (422).")
def agency_sim_command(
    host: str,
    port: int,
    portal_url: str | None,
    agency: str,
    down: bool,
    delay: float,
    answer_twice: bool,
    reject: bool,
) -> None:
    """Play JPN, PDRM, JIM, BHEUU and JAKIM for the portal (see docs/links.md).

    The shared secrets come from the state profile's ``[links.<agency>]``
    tables; ``POST /_control`` changes the behaviour while it runs.
    """
    from werkzeug.serving import run_simple

    from plugins.links import services
    from plugins.links.simulator import Simulator

    links = services.settings()
    simulator = Simulator(
        secrets={key: config.secret for key, config in links.agencies.items()},
        portal_url=(portal_url or links.public_url).rstrip("/"),
    )
    simulator.set(
        agency, down=down, delay=delay, answer_twice=answer_twice, reject=reject
    )
    click.echo(
        f"agency simulator on http://{host}:{port}/ (agencies: "
        f"{', '.join(sorted(links.agencies))}); calling back {simulator.portal_url}"
    )
    run_simple(host, port, simulator, threaded=True, use_reloader=False)
