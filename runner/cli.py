"""The command line: the only module that imports click.

Options become plain arguments to the pipeline; the pipeline's results are
printed here; errors become exit codes here and nowhere else (``Cli.invoke``):
0 done, 1 API/network/state failure, 2 invalid input. ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

import click

from runner import __version__, lockfile
from runner.apply import ApplyOptions, ApplySeams, apply_campaign, prepare
from runner.campaign import load_campaign
from runner.client import IPPanelClient, in_process_transport
from runner.console import ProgressDisplay, estimate_lines, fancy, outcome_lines
from runner.credentials import base_url, resolve_credential
from runner.errors import (
    ConfirmationRefused,
    InputError,
    InvalidCampaign,
    RunnerError,
    Violation,
)
from runner.executor import SendSeams
from runner.models import CampaignPlan
from runner.pricing import Estimate
from runner.schema import schema_path
from runner.show import one_line, write_json, write_markdown, write_text

FORMATS = {"text": write_text, "json": write_json, "markdown": write_markdown}


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class AppContext:
    """The I/O seams of one invocation; tests pass their own through ``obj=``."""

    now: Callable[[], datetime] = _utc_now
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    sleep: Callable[[float], None] = time.sleep
    interactive: Callable[[], bool] = lambda: sys.stdin.isatty()
    debug: bool = False
    # Tests inject a transport (an in-process sandbox, a MockTransport) here.
    transport: Any = None


class Cli(click.Group):
    """``ippanel-run CAMPAIGN...`` means ``ippanel-run apply CAMPAIGN...``; errors → exit codes."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = next((a for a in args if not a.startswith("-")), None)
        if first is None:
            implied = bool(args) and not {"--help", "-h", "--version"} & set(args)
        else:
            implied = first not in self.commands
        if implied:
            args = ["apply", *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RunnerError as err:
            app = ctx.find_object(AppContext)
            if app is not None and app.debug:
                traceback.print_exc()
            _print_error(err)
            ctx.exit(err.exit_code)


def _print_error(err: RunnerError) -> None:
    if isinstance(err, InvalidCampaign):
        for violation in err.violations:
            click.echo(str(violation), err=True)
        click.echo(f"error: {_count(len(err.violations), 'problem')}; nothing was sent", err=True)
        return
    hint = getattr(err, "hint", "")
    click.echo(f"error: {err}" + (f"\nhint: {hint}" if hint else ""), err=True)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _app(ctx: click.Context) -> AppContext:
    app = ctx.find_object(AppContext)
    if app is None:
        app = ctx.ensure_object(AppContext)
    return app


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        _app(ctx).debug = True
    return value


debug_option = click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_debug,
    help="Show tracebacks for errors.",
)
skip_invalid_option = click.option(
    "--skip-invalid",
    is_flag=True,
    help="Leave out invalid phone numbers with a warning instead of stopping.",
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(FORMATS)),
    default="text",
    show_default=True,
    help="How to print the plan: text for people, json for programs, markdown for pull requests.",
)
paths_argument = click.argument(
    "paths", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="CAMPAIGN..."
)


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ippanel-run")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Send SMS campaigns described in YAML through the IPPanel Edge API, exactly once.

    \b
    ippanel-run CAMPAIGN...             plan, confirm, send, write the lockfile
    ippanel-run --dry-run CAMPAIGN...   show the plan only; nothing is sent
    ippanel-run validate PATH...        check files and folders; no network
    """
    _app(ctx)


def campaign_files(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders expanded to the campaign YAML files inside them, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.suffix in (".yaml", ".yml") and _looks_like_campaign(p)
            )
        else:
            found.append(path)
    return found


def _looks_like_campaign(path: Path) -> bool:
    # Folders also hold CI workflows and pre-commit configs: a campaign has `version:` at the top.
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return any(line.startswith("version:") for line in handle)
    except OSError:
        return False


def plan_all(
    app: AppContext, paths: Sequence[Path], *, skip_invalid: bool
) -> tuple[list[CampaignPlan], list[Violation]]:
    """Plan every campaign; collect every problem of every file instead of stopping at one."""
    plans: list[CampaignPlan] = []
    problems: list[Violation] = []
    now = app.now()
    for path in campaign_files(paths):
        try:
            campaign = load_campaign(path)
            lock = lockfile.load(campaign.lockfile_path, campaign.name)
            plans.append(prepare(campaign, lock, now=now, skip_invalid=skip_invalid))
        except InvalidCampaign as err:
            problems.extend(err.violations)
        except InputError as err:
            problems.append(Violation(str(path), 0, 0, str(err)))
    for plan in plans:
        for skipped in plan.stats.invalid:
            click.echo(f"warning: skipped {skipped}", err=True)
    return plans, problems


def _print_plans(plans: Sequence[CampaignPlan], fmt: str, out: TextIO) -> None:
    FORMATS[fmt](plans, out)


@cli.command()
@paths_argument
@skip_invalid_option
@debug_option
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...], skip_invalid: bool) -> None:
    """Check campaign files and folders: schema, templates, recipients. No network.

    Every problem in every file is printed as path:line:col: message; the exit
    code is 2 if there is any.
    """
    files = campaign_files(paths)
    if not files:
        raise InputError("no campaign files found in " + ", ".join(str(p) for p in paths))
    plans, problems = plan_all(_app(ctx), files, skip_invalid=skip_invalid)
    for plan in plans:
        recipients = plan.stats.kept
        click.echo(f"ok: {plan.campaign.path} ({plan.campaign.type}, {recipients:,} recipients)")
    if problems:
        raise InvalidCampaign(problems)


@cli.command()
@paths_argument
@format_option
@skip_invalid_option
@debug_option
@click.pass_context
def plan(ctx: click.Context, paths: tuple[Path, ...], fmt: str, skip_invalid: bool) -> None:
    """Show exactly what would be sent. Nothing is sent; no credentials needed."""
    plans, problems = plan_all(_app(ctx), paths, skip_invalid=skip_invalid)
    _print_plans(plans, fmt, sys.stdout)
    if problems:
        raise InvalidCampaign(problems)


sandbox_option = click.option(
    "--sandbox",
    is_flag=True,
    help="Use the built-in IPPanel simulator (state in .ippanel-sandbox/); nothing real is sent.",
)
api_url_option = click.option(
    "--api-url",
    metavar="URL",
    help="IPPanel API base URL [env IPPANEL_BASE_URL; default https://edge.ippanel.com/v1].",
)


@contextlib.contextmanager
def open_client(app: AppContext, *, sandbox: bool, api_url: str | None) -> Iterator[IPPanelClient]:
    """The API client: the in-process sandbox, or the real API with the user's credential."""
    if sandbox:
        from runner.sandbox import DEMO_API_KEY, IN_PROCESS_BASE_URL, SandboxApp

        click.echo("SANDBOX: using the built-in simulator; nothing real is sent.", err=True)
        simulator = SandboxApp(Path(".ippanel-sandbox"), clock=app.now)
        transport = in_process_transport(simulator)
        with IPPanelClient(
            DEMO_API_KEY, base_url=IN_PROCESS_BASE_URL, transport=transport, sleep=app.sleep
        ) as client:
            yield client
        return
    url = base_url(app.env, api_url)
    credential = resolve_credential(app.env, api_url=url, now=lambda: app.now().timestamp())
    with IPPanelClient(
        credential.value, base_url=url, transport=app.transport, sleep=app.sleep
    ) as client:
        yield client


@cli.command()
@paths_argument
@click.option("--dry-run", is_flag=True, help="Plan only; nothing is sent (same as `plan`).")
@click.option("--yes", "-y", is_flag=True, help="Send without asking (for CI).")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="Batches in flight at once.",
)
@click.option(
    "--max-errors",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Stop sending after this many batches fail or end unknown.",
)
@click.option(
    "--allow-over-limit",
    is_flag=True,
    help="Send even over the campaign's limits or the account's credit.",
)
@sandbox_option
@api_url_option
@format_option
@skip_invalid_option
@debug_option
@click.pass_context
def apply(
    ctx: click.Context,
    paths: tuple[Path, ...],
    dry_run: bool,
    yes: bool,
    concurrency: int,
    max_errors: int,
    allow_over_limit: bool,
    sandbox: bool,
    api_url: str | None,
    fmt: str,
    skip_invalid: bool,
) -> None:
    """Plan, confirm and send each campaign exactly once, then write its lockfile.

    Each campaign is handled fully; one failing does not stop the others. Exit
    code 0 when everything was sent (or nothing was left), 1 when a batch failed
    or is unresolved, 2 for invalid input or a refused confirmation.
    """
    if dry_run:
        ctx.invoke(plan, paths=paths, fmt=fmt, skip_invalid=skip_invalid)
        return
    app = _app(ctx)
    options = ApplyOptions(
        command=_command_line(),
        concurrency=concurrency,
        max_errors=max_errors,
        allow_over_limit=allow_over_limit,
        skip_invalid=skip_invalid,
    )
    files = campaign_files(paths)
    worst = 0
    with open_client(app, sandbox=sandbox, api_url=api_url) as client:
        for path in files:
            worst = max(worst, _apply_one(app, client, path, options, yes=yes, fmt=fmt))
    ctx.exit(worst)


def _apply_one(
    app: AppContext,
    client: IPPanelClient,
    path: Path,
    options: ApplyOptions,
    *,
    yes: bool,
    fmt: str,
) -> int:
    display: list[ProgressDisplay] = []

    def show(plan: CampaignPlan, quote: Estimate | None) -> None:
        _print_plans([plan], fmt, sys.stdout)
        for line in estimate_lines(quote):
            click.echo(line)
        to_send = [b for b in plan.batches if b.action == "send"]
        bar = fancy(sys.stderr, app.env)
        recipients = sum(b.recipient_count for b in to_send)
        display.append(
            ProgressDisplay(sys.stderr, batches=len(to_send), recipients=recipients, bar=bar)
        )

    def confirm(plan: CampaignPlan) -> bool:
        if yes:
            return True
        if not app.interactive():
            raise ConfirmationRefused(
                f"{path}: nothing was sent: there is no terminal to confirm on; "
                "pass --yes to send without a prompt"
            )
        return click.confirm(f"Send {plan.campaign.name} now? {one_line(plan)}", default=False)

    def progress(event: Any) -> None:
        if display:
            display[-1].update(event)

    seams = ApplySeams(
        send=SendSeams(client=client, now=app.now, sleep=app.sleep, progress=progress),
        show=show,
        confirm=confirm,
    )
    try:
        outcome = apply_campaign(path, seams, options)
    except RunnerError as err:
        _print_error(err)
        return err.exit_code
    finally:
        for shown in display:
            shown.close()
    for line in outcome_lines(outcome):
        click.echo(line, err=bool(outcome.unresolved or outcome.failed))
    return 1 if outcome.unresolved or outcome.failed or outcome.stop_reason else 0


def _command_line() -> str:
    """The command that wrote a lockfile, for its ``written_by`` (paths only, no secrets)."""
    return shlex.join(["ippanel-run", *sys.argv[1:]]) if sys.argv[1:] else "ippanel-run"


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

    app = _app(ctx)
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
        lockfile.save(path, lock, _command_line())
    click.echo(f"batch {key} recorded as {state}")


@cli.command()
@debug_option
def schema() -> None:
    """Print the campaign JSON Schema (for editors and the YAML language server)."""
    click.echo(schema_path().read_text(encoding="utf-8"), nl=False)


def main() -> None:
    """Console entry point: UTF-8 output whatever the locale."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")
    cli(prog_name="ippanel-run")
