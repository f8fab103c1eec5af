"""``ippanel-run login``: a username/password login, its cached token, and whose it is."""

from __future__ import annotations

from collections.abc import Mapping

import click

from runner.api.client import IPPanelClient
from runner.cli.base import (
    SANDBOX_STATE,
    AppContext,
    api_url_option,
    app_of,
    cli,
    endpoint,
    open_client,
    sandbox_option,
)
from runner.cli.options import debug_option
from runner.safe_text import one_line


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
    With --sandbox the login goes to the built-in simulator (users demo, sms-user,
    ga-user) and its token is kept in .ippanel-sandbox/login/, never beside a real one.

    \b
    Examples:
      ippanel-run login                      log in to IPPanel, cache a 10-hour token
      ippanel-run login --check              show whose credential is in use
      ippanel-run login --sandbox --username sms-user   try the flow on the simulator
    """
    app = app_of(ctx)
    # A sandbox login is cached apart: it must never replace or remove the user's real token.
    env = {**app.env, "IPPANEL_CONFIG_DIR": str(SANDBOX_STATE / "login")} if sandbox else app.env
    if check or log_out:
        _check_or_log_out(app, env, log_out=log_out, sandbox=sandbox, api_url=api_url)
        return
    from runner.api import login as flows

    # The sandbox's banner comes first; prompts go to the terminal (stderr), like apply's.
    target = endpoint(app, sandbox=sandbox, api_url=api_url)
    user = username or click.prompt("Username", err=True)
    password = click.prompt("Password", hide_input=True, err=True)
    with IPPanelClient(
        None, base_url=target.base_url, transport=target.transport, sleep=app.sleep
    ) as client:
        cached = flows.run_login(
            client,
            user,
            password,
            ask_otp=lambda prompt: str(
                click.prompt(prompt, default="", show_default=False, err=True)
            ),
            notify=lambda message: click.echo(message, err=True),
            now=lambda: app.now().timestamp(),
            env=env,
        )
    click.echo(f"logged in as {cached.username}; the token is valid for 10 hours")


def _check_or_log_out(
    app: AppContext, env: Mapping[str, str], *, log_out: bool, sandbox: bool, api_url: str | None
) -> None:
    """``login --check`` (whose credential is in use) or ``login --logout``."""
    from runner.api import login as flows

    with open_client(app, sandbox=sandbox, api_url=api_url) as client:
        if log_out:
            forgot = flows.logout(client, env)
            click.echo("logged out" + ("; cached token removed" if forgot else ""))
            return
        account = flows.check(client)
        click.echo(
            one_line(f"logged in as {account.name} ({account.user_name}, id {account.user_id})")
        )
