"""The command line's shared parts: the group, the I/O seams, options, errors → exit codes.

``runner.cli`` is the only package that imports click. Options become plain
arguments to the pipeline; errors become exit codes in exactly one place
(``exit_code_for``): 0 done, 1 API/network/disk failure, 2 invalid input, 3 a bug.
``--debug`` shows tracebacks.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click

from runner import __version__, lockfile
from runner.campaign import load_campaign
from runner.cli.connect import (
    SANDBOX_API_ENV,
    SANDBOX_APIS,
    SANDBOX_STATE,
    api_url_option,
    endpoint,
    open_client,
    sandbox_option,
)
from runner.cli.group import Cli
from runner.diff import diff
from runner.durations import parse_duration
from runner.errors import InputError, InvalidCampaign, RunnerError, Violation
from runner.limits import recipient_problems
from runner.loader import MAX_BYTES
from runner.models import Campaign, CampaignPlan
from runner.paths import is_regular_inside, repository_root
from runner.safe_text import inert, one_line
from runner.show import write_json, write_markdown, write_text

# Every command module imports its shared parts from here, the API connection's too.
__all__ = [
    "DURATION",
    "SANDBOX_APIS",
    "SANDBOX_API_ENV",
    "SANDBOX_STATE",
    "AppContext",
    "allow_over_limit_option",
    "api_url_option",
    "app_of",
    "campaign_files",
    "campaign_for",
    "cli",
    "command_line",
    "debug_option",
    "each_campaign",
    "endpoint",
    "exit_code_for",
    "format_option",
    "open_client",
    "paths_argument",
    "plan_all",
    "print_error",
    "print_plans",
    "sandbox_option",
    "sandbox_state",
    "skip_invalid_option",
    "timeout_option",
]

T = TypeVar("T")
R = TypeVar("R")
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


# Exit codes: 0 done, 1 the world failed (API, network, disk), 2 the user's input, 3 our bug.
EXIT_BUG = 3


# Violations printed at most; the count line still says how many there are in all.
SHOWN_VIOLATIONS = 100


def exit_code_for(err: Exception, app: AppContext | None, note: str = "nothing was sent") -> int:
    """Say what went wrong and return its exit code: the one place errors become codes.

    A ``RunnerError`` carries its code (2 for the user's mistakes, 1 for the API or
    the network); an ``OSError`` is the machine's (a full disk, a read-only folder):
    one line naming the path, exit 1; anything else is a bug in ippanel-run: exit 3.
    """
    if app is not None and app.debug:
        traceback.print_exc()
    if isinstance(err, RunnerError):
        print_error(err, note)
        return err.exit_code
    if isinstance(err, BrokenPipeError):
        return 1  # `ippanel-run plan … | head` closed our stdout: nothing to report
    if isinstance(err, OSError):
        where = f"{err.filename}: " if err.filename else ""
        reason = err.strerror or str(err)
        click.echo(
            one_line(
                f"error: {where}{reason}; check that the folder exists, is writable and the "
                "disk has room, then run the same command again"
            ),
            err=True,
        )
        return 1
    click.echo(
        f"error: this is a bug in ippanel-run ({type(err).__name__}: {one_line(str(err)[:200])}). "
        "Please report it on the project's issue tracker with the command you ran and the "
        "output of the same command with --debug (it adds a traceback).",
        err=True,
    )
    return EXIT_BUG


def print_error(err: RunnerError, note: str = "nothing was sent") -> None:
    """Say what went wrong on stderr; control characters in it are made visible.

    ``note`` ends the count of problems (what became of the sending).
    """
    if isinstance(err, InvalidCampaign):
        for violation in err.violations[:SHOWN_VIOLATIONS]:
            click.echo(one_line(str(violation)), err=True)
        if len(err.violations) > SHOWN_VIOLATIONS:
            click.echo(f"… and {len(err.violations) - SHOWN_VIOLATIONS:,} more", err=True)
        count = len(err.violations)
        if err.command:
            note = f"fix {'it' if count == 1 else 'them'} and run {err.command} again"
        ending = f"; {note}" if note else ""
        click.echo(f"error: {_count(count, 'problem')}{ending}", err=True)
        return
    hint = getattr(err, "hint", "")
    click.echo(inert(f"error: {err}" + (f"\nhint: {hint}" if hint else "")), err=True)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def each_campaign(
    app: AppContext,
    items: Iterable[T],
    run: Callable[[T], tuple[int, R]],
    note: Callable[[T], str] = lambda _item: "nothing was sent",
) -> list[tuple[int, R | None]]:
    """``run`` every item; an error in one is reported (``exit_code_for``) and the rest go on.

    ``note(item)`` says, after an item's problems, what became of it. Bugs are not
    caught here: they stop the whole command with exit code 3.
    """
    results: list[tuple[int, R | None]] = []
    for item in items:
        try:
            results.append(run(item))
        except (RunnerError, OSError) as err:
            results.append((exit_code_for(err, app, note(item)), None))
    return results


def app_of(ctx: click.Context) -> AppContext:
    app = ctx.find_object(AppContext)
    if app is None:
        app = ctx.ensure_object(AppContext)
    return app


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        app_of(ctx).debug = True
    return value


debug_option = click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_debug,
    help="Show tracebacks for errors.",
)
allow_over_limit_option = click.option(
    "--allow-over-limit",
    is_flag=True,
    help="Send (or plan) even over the campaign's limits or the account's credit.",
)
skip_invalid_option = click.option(
    "--skip-invalid",
    is_flag=True,
    help="Leave out invalid phone numbers with a warning instead of stopping.",
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    default="text",
    show_default=True,
    help="How to print the plan: text for people, json for programs, markdown for pull requests.",
)
paths_argument = click.argument(
    "paths",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, path_type=Path),
    metavar="CAMPAIGN...",
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
    ippanel-run new NAME                start a campaign that validates as written
    ippanel-run status                  every campaign's state at a glance
    ippanel-run cancel CAMPAIGN...      stop scheduled sends (until 5 minutes before)

    Without a command, the options of apply come before the campaigns: --sandbox
    (the built-in simulator; nothing real is sent), --yes (no prompt, for CI),
    --dry-run, --report and the rest of `ippanel-run apply --help`.

    \b
    Examples:
      ippanel-run --sandbox --yes --report examples/peer_to_peer/nowruz-discount.yaml
      ippanel-run validate campaigns/
      ippanel-run plan --format markdown campaigns/yalda-1405.yaml
    """
    app_of(ctx)


def campaign_files(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders expanded to the campaign YAML files inside them, sorted.

    In a folder, only regular files that resolve inside its repository are taken: a
    symlink to ``/dev/zero`` or out of the repository is not a campaign.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            root = repository_root(path / "campaign.yaml")
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.suffix in (".yaml", ".yml")
                and is_regular_inside(p, root)
                and _looks_like_campaign(p)
            )
        else:
            found.append(path)
    return found


def _looks_like_campaign(path: Path) -> bool:
    # Folders also hold CI workflows and pre-commit configs: a campaign has `version:` at the top.
    try:
        with path.open("rb") as handle:
            head = handle.read(MAX_BYTES)
    except OSError:
        return False
    return head.startswith(b"version:") or b"\nversion:" in head


def plan_all(
    app: AppContext,
    paths: Sequence[Path],
    *,
    skip_invalid: bool,
    allow_over_limit: bool = False,
    sandbox: bool = False,
) -> tuple[list[CampaignPlan], list[Violation]]:
    """Plan every campaign; collect every problem of every file instead of stopping at one.

    A plan over its campaign's ``limits.max_recipients`` is a problem too (apply would
    refuse it), unless ``allow_over_limit``. With ``sandbox``, against the sandbox's
    lockfiles (``campaign_for``).
    """
    plans: list[CampaignPlan] = []
    problems: list[Violation] = []
    now = app.now()
    for path in campaign_files(paths):
        try:
            campaign = campaign_for(path, sandbox=sandbox)
            lock = lockfile.load(campaign.lockfile_path, campaign.name)
            plan = diff(campaign, lock, now=now, skip_invalid=skip_invalid)
            over = [] if allow_over_limit else recipient_problems(plan)
            if over:
                raise InvalidCampaign(over)
            plans.append(plan)
        except InvalidCampaign as err:
            problems.extend(err.violations)
        except InputError as err:
            problems.append(_located(path, str(err)))
    for plan in plans:
        for skipped in plan.stats.invalid:
            click.echo(one_line(f"warning: skipped {skipped}"), err=True)
    return plans, problems


def _located(path: Path, text: str) -> Violation:
    """An input error as a violation: at the file (and line) it names, else at ``path``."""
    head, sep, rest = text.partition(": ")
    file, _, line = head.partition(":")
    if sep and file.endswith(_FILES) and (not line or line.isdigit()):
        number = int(line) if line else 0
        return Violation(file, number, 1 if number else 0, rest)
    file, _, rest = text.partition(" is ")  # "x.lock.json is damaged: …"
    if rest and " " not in file and file.endswith(_FILES):
        return Violation(file, 0, 0, rest)
    return Violation(str(path), 0, 0, text)


_FILES = (".yaml", ".yml", ".json")


def print_plans(plans: Sequence[CampaignPlan], fmt: str, out: TextIO) -> None:
    FORMATS[fmt](plans, out)


def sandbox_state(sandbox: bool) -> Path | None:
    """Where a ``--sandbox`` run keeps its lockfiles, reports and replies (None: beside)."""
    return SANDBOX_STATE if sandbox else None


def campaign_for(path: Path, *, sandbox: bool) -> Campaign:
    """The campaign file; for ``--sandbox``, with its lockfile and reports in the sandbox.

    A sandbox run never writes where a real apply reads: ``.ippanel-sandbox/lockfiles/``
    mirrors the campaign's path (``Campaign.state_stem``).
    """
    campaign = load_campaign(path)
    return dataclasses.replace(campaign, sandbox=SANDBOX_STATE) if sandbox else campaign


class Duration(click.ParamType):  # type: ignore[type-arg]
    """``30m``, ``24h``, ``3d`` → seconds."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as err:
            self.fail(str(err), param, ctx)


DURATION = Duration()
timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(0.1, 600),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for the API to answer; no request takes longer than twice this.",
)


def command_line() -> str:
    """The command that wrote a lockfile, for its ``written_by`` (paths only, no secrets)."""
    return shlex.join(["ippanel-run", *sys.argv[1:]]) if sys.argv[1:] else "ippanel-run"
