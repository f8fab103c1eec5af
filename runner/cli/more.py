"""``sandbox``, ``login``, ``resolve`` and ``report``: the simulator, accounts, and afterwards."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from runner import lockfile
from runner.campaign import load_campaign
from runner.cli.base import (
    AppContext,
    api_url_option,
    app_of,
    campaign_files,
    cli,
    command_line,
    debug_option,
    open_client,
    paths_argument,
    sandbox_option,
)
from runner.client import IPPanelClient
from runner.console import CountDisplay, fancy
from runner.credentials import base_url
from runner.errors import InputError


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8585, show_default=True)
@click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".ippanel-sandbox"),
    show_default=True,
    help="Folder for the simulator's SQLite state.",
)
@debug_option
def sandbox(port: int, state_dir: Path) -> None:
    """Serve the built-in IPPanel simulator over HTTP on 127.0.0.1 until Ctrl-C."""
    from runner.sandbox import DEMO_API_KEY, SandboxApp
    from runner.sandbox.server import serve

    server = serve(SandboxApp(state_dir), port=port)
    click.echo(f"IPPanel sandbox listening on {server.base_url}")
    click.echo(f"  export IPPANEL_BASE_URL={server.base_url}")
    click.echo(f"  export IPPANEL_API_KEY={DEMO_API_KEY}")
    click.echo(f"State: {state_dir}/ (delete it to start over). Nothing real is sent.", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("sandbox stopped", err=True)
    finally:
        server.server_close()


@cli.command()
@click.option("--username", help="IPPanel username (asked for when not given).")
@click.option("--check", is_flag=True, help="Only show whose credential is in use.")
@click.option("--logout", "log_out", is_flag=True, help="End the session and forget the token.")
@sandbox_option
@api_url_option
@debug_option
@click.pass_context
def login(
    ctx: click.Context,
    username: str | None,
    check: bool,
    log_out: bool,
    sandbox: bool,
    api_url: str | None,
) -> None:
    """Log in with username and password (plus a code) and cache a 10-hour token.

    For users without an API key. The token is kept with 0600 permissions in
    $IPPANEL_CONFIG_DIR, else $XDG_CONFIG_HOME/ippanel-run, else ~/.config/ippanel-run.
    """
    from runner import login as flows

    app = app_of(ctx)
    if check or log_out:
        with open_client(app, sandbox=sandbox, api_url=api_url) as client:
            if log_out:
                forgot = flows.logout(client, app.env)
                click.echo("logged out" + ("; cached token removed" if forgot else ""))
                return
            account = flows.check(client)
            click.echo(f"logged in as {account.name} ({account.user_name}, id {account.user_id})")
        return
    user = username or click.prompt("Username")
    password = click.prompt("Password", hide_input=True)
    url = base_url(app.env, api_url)
    with IPPanelClient(None, base_url=url, transport=app.transport, sleep=app.sleep) as client:
        cached = flows.run_login(
            client,
            user,
            password,
            ask_otp=lambda prompt: str(click.prompt(prompt, default="", show_default=False)),
            notify=lambda message: click.echo(message, err=True),
            now=lambda: app.now().timestamp(),
            env=app.env,
        )
    click.echo(f"logged in as {cached.username}; the token is valid for 10 hours")


@cli.command()
@click.argument("campaign", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("key")
@click.option("--sent", "outbox_ids", type=int, multiple=True, help="Outbox id(s) of the batch.")
@click.option("--not-sent", is_flag=True, help="The batch did not go out: send it again.")
@debug_option
def resolve(campaign: Path, key: str, outbox_ids: tuple[int, ...], not_sent: bool) -> None:
    """Record by hand what became of a batch reconciliation could not settle."""
    if bool(outbox_ids) == not_sent:
        raise InputError("say either --sent ID... or --not-sent")
    loaded = load_campaign(campaign)
    path = loaded.lockfile_path
    with lockfile.exclusive(path):
        lock = lockfile.load(path, loaded.name)
        record = lock.batches.get(key)
        if record is None:
            raise InputError(f"{path} has no batch {key}")
        state: lockfile.State = "failed" if not_sent else "sent"
        lock.batches[key] = lockfile.replace_record(record, state=state, outbox_ids=outbox_ids)
        lockfile.save(path, lock, command_line())
    click.echo(f"batch {key} recorded as {state}")


@cli.command()
@paths_argument
@click.option("--watch", is_flag=True, help="Poll until every batch reaches a final state.")
@click.option(
    "--interval",
    type=click.FloatRange(1),
    default=30.0,
    show_default=True,
    help="Seconds between polls with --watch.",
)
@click.option("--csv", "with_csv", is_flag=True, help="Also write <stem>.report.csv per recipient.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Print a short summary (text) or the whole report (json, as in <stem>.report.json).",
)
@sandbox_option
@api_url_option
@debug_option
@click.pass_context
def report(
    ctx: click.Context,
    paths: tuple[Path, ...],
    watch: bool,
    interval: float,
    with_csv: bool,
    fmt: str,
    sandbox: bool,
    api_url: str | None,
) -> None:
    """Follow up a sent campaign: delivery per batch, operator and recipient.

    Writes <stem>.report.json, .report.md and .report.html beside each campaign
    and prints a short summary. Exit code 1 when a batch was rejected, ran out
    of credit, failed in the system, or is still unresolved.
    """
    app = app_of(ctx)
    worst = 0
    with open_client(app, sandbox=sandbox, api_url=api_url) as client:
        for path in campaign_files(paths):
            code = run_report(app, client, path, watch, interval, with_csv, as_json=fmt == "json")
            worst = max(worst, code)
    ctx.exit(worst)


def run_report(
    app: AppContext,
    client: IPPanelClient,
    path: Path,
    watching: bool,
    interval: float,
    with_csv: bool,
    *,
    as_json: bool = False,
) -> int:
    """Report one campaign; its exit code (1 when it needs attention)."""
    from runner import report as reports

    campaign = load_campaign(path)
    lock = lockfile.load(campaign.lockfile_path, campaign.name)
    if not lock.batches:
        raise InputError(f"{campaign.lockfile_path} does not exist or is empty: send first")
    shown = CountDisplay(sys.stderr, "outboxes", bar=fancy(sys.stderr, app.env))

    def waiting_for(count: int) -> None:
        click.echo(
            f"{campaign.name}: {count} outbox(es) not final yet; checking again in {interval:g} s",
            err=True,
        )

    try:
        if watching:
            result = reports.watch(
                campaign,
                lock,
                client,
                interval=interval,
                sleep=app.sleep,
                now=app.now,
                progress=shown.update,
                waiting_for=waiting_for,
            )
        else:
            result = reports.build_report(
                campaign, lock, client, now=app.now(), progress=shown.update
            )
    finally:
        shown.close()
    written = reports.write_report(result, csv=with_csv)
    if as_json:
        click.echo(reports.render_json(result), nl=False)
    else:
        for line in reports.summary_lines(result):
            click.echo(line)
    click.echo("wrote " + ", ".join(str(p) for p in written), err=True)
    return 1 if reports.needs_attention(result) else 0
