"""``ippanel-run login``: a username/password login, its cached token, and whose it is."""

from __future__ import annotations

import click

from runner.api.client import IPPanelClient
from runner.api.credentials import base_url
from runner.cli.base import api_url_option, app_of, cli, debug_option, open_client, sandbox_option


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
    from runner.api import login as flows

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
