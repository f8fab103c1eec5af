"""``apply`` (and the implied ``ippanel-run CAMPAIGN...``): the only command that sends."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from runner.api.client import IPPanelClient
from runner.apply import ApplyOutcome, ApplySeams, apply_campaign
from runner.cli.apply_parts import ApplyCommand, Screen, account_of, send_seams, settings
from runner.cli.base import (
    AppContext,
    api_url_option,
    app_of,
    cli,
    each_campaign,
    open_client,
    sandbox_option,
)
from runner.cli.campaigns import campaign_files
from runner.cli.console import last_line, outcome_lines, results_json
from runner.cli.options import (
    DURATION,
    allow_over_limit_option,
    debug_option,
    paths_argument,
    skip_invalid_option,
    timeout_option,
)
from runner.cli.report import ReportOptions, run_report
from runner.cli.signals import catching_signals
from runner.errors import ConfirmationRefused
from runner.safe_text import inert
from runner.saved_plan import Fingerprint, is_saved_plan, read_saved_plan
from runner.show import shown_path
from runner.stopping import Interrupted, Stop
from runner.trial import run_test_send


@cli.command()
@paths_argument
@click.option("--dry-run", is_flag=True, help="Plan only; nothing is sent (same as `plan`).")
@click.option("--yes", "-y", is_flag=True, help="Send without asking (for CI).")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=None,
    help="Requests in flight at once [default: 4; 16 for pattern and votp, which send one "
    "request a recipient]. A 429 from the API lowers it for a while.",
)
@click.option(
    "--max-errors",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Stop sending after this many batches fail or end unknown.",
)
@allow_over_limit_option
@click.option(
    "--test-to",
    "test_to",
    multiple=True,
    metavar="NUMBER",
    help="Send the first rendered message to NUMBER only, as a test (repeatable); "
    "not campaign progress, no lockfile.",
)
@click.option(
    "--report", "with_report", is_flag=True, help="Write the delivery report after sending."
)
@click.option(
    "--watch",
    is_flag=True,
    help="With --report: wait until every batch reaches a final state first.",
)
@click.option(
    "--outbox-window",
    type=DURATION,
    default=None,
    metavar="DURATION",
    help="How far back the account's outbox is searched for an earlier send of the same "
    "text to the same recipients before anything is sent (30m, 24h, 3d) [default: the "
    "campaign's outbox_window, else 24h].",
)
@click.option(
    "--commit-margin",
    type=click.FloatRange(0, 3600),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="How long after ippanel-run gave up on a send the API may still store it: an "
    "uncertain send is looked up again, and sent again if missing, only after this.",
)
@timeout_option
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary and errors.")
@click.option("--verbose", "-v", is_flag=True, help="One line per batch, even on a terminal.")
@sandbox_option
@api_url_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text or markdown: print each plan that way before sending. json: print no plan, "
    "and the result (what was sent, with outbox ids) as one JSON document, for scripts.",
)
@skip_invalid_option
@debug_option
@click.pass_context
def apply(ctx: click.Context, /, paths: tuple[Path, ...], **flags: Any) -> None:
    """Plan, confirm and send each campaign exactly once, then write its lockfile.

    CAMPAIGN may be campaign files, folders of them, or a plan saved with
    `ippanel-run plan --out plan.json` (sent only if nothing changed since).
    Each campaign is handled fully; one failing does not stop the others.
    Before anything is sent, the account's outbox is searched for the same
    text already sent to the same recipients (see --outbox-window).
    Exit code 0 when everything was sent (or nothing was left), 1 when a batch
    failed or is unresolved, 2 for invalid input or a refused confirmation,
    130 / 143 / 129 when SIGINT / SIGTERM / SIGHUP stopped it (the lockfile
    is written first; run the same command again to send the rest).

    \b
    Examples:
      ippanel-run apply --sandbox campaigns/spring-sale.yaml
      ippanel-run apply --yes --report campaigns/
      ippanel-run apply --sandbox --yes --test-to 09120000000 campaigns/spring-sale.yaml
    """
    options = ApplyCommand(**flags)
    if options.dry_run:
        _plan_only(ctx, paths, options)
        return
    app = app_of(ctx)
    targets = _targets(paths)
    results: list[tuple[int, ApplyOutcome | None]] = []
    try:
        _apply_all(app, targets, options, results)
    except Interrupted as err:
        left = len(targets) - len(results)
        click.echo(
            f"stopped by {err}; every lockfile is written. "
            + (f"{left} campaign(s) not started or not finished. " if left else "")
            + "Run the same command again to send the rest.",
            err=True,
        )
        if options.fmt == "json":
            _print_json(results)
        ctx.exit(128 + err.signum)
    if options.fmt == "json":
        _print_json(results)
    code = max((code for code, _ in results), default=0)
    if len(targets) > 1 and options.fmt != "json":
        click.echo(last_line(targets, results), err=code != 0)
    ctx.exit(code)


def _plan_only(ctx: click.Context, paths: tuple[Path, ...], options: ApplyCommand) -> None:
    """``--dry-run``: exactly what ``ippanel-run plan`` does with the same options."""
    from runner.cli.plans import plan

    ctx.invoke(
        plan,
        paths=paths,
        fmt=options.fmt,
        skip_invalid=options.skip_invalid,
        allow_over_limit=options.allow_over_limit,
        sandbox=options.sandbox,
    )


Target = tuple[Path, "Fingerprint | None"]


def _apply_all(
    app: AppContext,
    targets: list[Target],
    options: ApplyCommand,
    results: list[tuple[int, ApplyOutcome | None]],
) -> None:
    """Apply each target in turn into ``results``; ``Interrupted`` when a signal stops it."""
    stop = Stop()

    def not_sent(target: Target) -> str:
        return f"{shown_path(target[0])} was not sent" if len(targets) > 1 else "nothing was sent"

    with (
        catching_signals(stop),
        open_client(
            app, sandbox=options.sandbox, api_url=options.api_url, timeout=options.timeout
        ) as client,
    ):
        if options.test_to:
            for path, _ in targets:
                _test_send(app, client, path, options.test_to, yes=options.yes)
            return
        account = account_of(client)
        for target in targets:
            results += each_campaign(
                app,
                [target],
                lambda t: _apply_one(app, client, t, options, stop, account),
                note=not_sent,
            )
            stopped = results[-1][1]
            if stopped is not None and stopped.stopped_by:
                raise Interrupted(stopped.stopped_by)
        if options.with_report or options.watch:
            report = ReportOptions(watch=options.watch, sandbox=options.sandbox)
            results[:] = [
                _then_report(app, client, code, outcome, report) for code, outcome in results
            ]


def _then_report(
    app: AppContext,
    client: IPPanelClient,
    code: int,
    outcome: ApplyOutcome | None,
    options: ReportOptions,
) -> tuple[int, ApplyOutcome | None]:
    if outcome is None or not (outcome.sent or outcome.plan.batches):
        return code, outcome
    path = outcome.plan.campaign.path
    ((reported, _),) = each_campaign(
        app, [path], lambda target: (run_report(app, client, target, options), None)
    )
    return max(code, reported), outcome


def _targets(paths: Sequence[Path]) -> list[tuple[Path, Fingerprint | None]]:
    """Campaign files, with the fingerprint to hold them to when they come from a saved plan."""
    targets: list[tuple[Path, Fingerprint | None]] = []
    for path in paths:
        if is_saved_plan(path):
            targets.extend((c.path, c.fingerprint) for c in read_saved_plan(path))
        else:
            targets.extend((p, None) for p in campaign_files([path]))
    return targets


def _apply_one(
    app: AppContext,
    client: IPPanelClient,
    target: tuple[Path, Fingerprint | None],
    options: ApplyCommand,
    stop: Stop,
    account: Callable[[], str],
) -> tuple[int, ApplyOutcome]:
    path, saved = target
    screen = Screen(app, path, options)
    seams = ApplySeams(
        send=send_seams(app, client, stop, screen.progress),
        show=screen.show,
        confirm=screen.confirm,
        account=account,
    )
    try:
        outcome = apply_campaign(path, seams, settings(options), saved)
    finally:
        screen.close()
    troubled = bool(
        outcome.unresolved or outcome.failed or outcome.stop_reason or outcome.not_started
    )
    if options.fmt != "json":
        for line in outcome_lines(outcome):
            click.echo(line, err=troubled)
    return (1 if troubled else 0), outcome


def _print_json(results: list[tuple[int, ApplyOutcome | None]]) -> None:
    click.echo(results_json(results))


def _test_send(
    app: AppContext, client: IPPanelClient, path: Path, numbers: tuple[str, ...], *, yes: bool
) -> None:
    def confirm(summary: str) -> bool:
        if yes:
            return True
        if not app.interactive():
            raise ConfirmationRefused("no terminal to confirm the test send on; pass --yes")
        return click.confirm(summary, default=False, err=True)

    for line in run_test_send(path, numbers, client, now=app.now(), confirm=confirm):
        click.echo(inert(line))
