"""``ippanel-run sandbox``: serve the built-in IPPanel simulator over HTTP."""

from __future__ import annotations

from pathlib import Path

import click

from runner.cli.base import SANDBOX_API_ENV, SANDBOX_APIS, cli
from runner.cli.options import debug_option


@cli.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8585,
    show_default=True,
    help="TCP port to listen on, on 127.0.0.1 only (0: any free port, printed at start).",
)
@click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".ippanel-sandbox"),
    show_default=True,
    help="Folder for the simulator's SQLite state.",
)
@click.option(
    "--api",
    type=click.Choice(sorted(SANDBOX_APIS)),
    envvar=SANDBOX_API_ENV,
    help="Which API to play: the current documentation's, or only the original document's "
    "endpoints (the others answer 404). The state keeps it until switched back (fresh: "
    f"current) [env {SANDBOX_API_ENV}; --sandbox runs read it too].",
)
@debug_option
def sandbox(port: int, state_dir: Path, api: str | None) -> None:
    """Serve the built-in IPPanel simulator over HTTP on 127.0.0.1 until Ctrl-C.

    \b
    Examples:
      ippanel-run sandbox --port 8585
      ippanel-run sandbox --api original      only the original API document's endpoints
      IPPANEL_SANDBOX_API=original ippanel-run --sandbox --yes campaigns/x.yaml
    """
    from runner.sandbox import DEMO_API_KEY, SandboxApp
    from runner.sandbox.server import serve

    simulator = SandboxApp(state_dir, api=api)
    api = simulator.api
    server = serve(simulator, port=port)
    click.echo(f"IPPanel sandbox listening on {server.base_url}")
    click.echo(f"  export IPPANEL_BASE_URL={server.base_url}")
    click.echo(f"  export IPPANEL_API_KEY={DEMO_API_KEY}")
    click.echo(f"API: {api} ({SANDBOX_APIS[api]})", err=True)
    click.echo(f"State: {state_dir}/ (delete it to start over). Nothing real is sent.", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("sandbox stopped", err=True)
    finally:
        server.server_close()
