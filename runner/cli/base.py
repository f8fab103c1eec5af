"""The command line's shared parts: the group, the I/O seams, errors → exit codes.

``runner.cli`` is the only package that imports click. Options become plain
arguments to the pipeline; errors become exit codes in exactly one place
(``exit_code_for``): 0 done, 1 API/network/disk failure, 2 invalid input, 3 a bug.
``--debug`` shows tracebacks. The shared options are in ``runner.cli.options``,
finding and planning the campaigns given in ``runner.cli.campaigns``.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

import click

from runner import __version__
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
from runner.errors import InvalidCampaign, RunnerError
from runner.safe_text import inert, one_line

# Every command module imports its shared parts from here, the API connection's too.
__all__ = [
    "SANDBOX_APIS",
    "SANDBOX_API_ENV",
    "SANDBOX_STATE",
    "AppContext",
    "api_url_option",
    "app_of",
    "cli",
    "command_line",
    "each_campaign",
    "endpoint",
    "exit_code_for",
    "open_client",
    "print_error",
    "sandbox_option",
]

T = TypeVar("T")
R = TypeVar("R")


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


def command_line() -> str:
    """The command that wrote a lockfile, for its ``written_by`` (paths only, no secrets)."""
    return shlex.join(["ippanel-run", *sys.argv[1:]]) if sys.argv[1:] else "ippanel-run"
