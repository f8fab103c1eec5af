"""``apply`` (and the implied ``ippanel-run CAMPAIGN...``): the only command that sends."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from runner.apply import ApplyOptions, ApplyOutcome, ApplySeams, apply_campaign
from runner.cli.base import (
    AppContext,
    api_url_option,
    app_of,
    campaign_files,
    cli,
    command_line,
    debug_option,
    format_option,
    open_client,
    paths_argument,
    print_error,
    print_plans,
    sandbox_option,
    skip_invalid_option,
)
from runner.cli.more import run_report
from runner.client import IPPanelClient
from runner.console import ProgressDisplay, estimate_lines, fancy, outcome_lines
from runner.errors import ConfirmationRefused, RunnerError
from runner.executor import Progress, SendSeams
from runner.models import CampaignPlan
from runner.pricing import Estimate
from runner.saved_plan import Fingerprint, is_saved_plan, read_saved_plan
from runner.show import FORMAT_VERSION
from runner.test_send import run_test_send


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
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary and errors.")
@click.option("--verbose", "-v", is_flag=True, help="One line per batch, even on a terminal.")
@sandbox_option
@api_url_option
@format_option
@skip_invalid_option
@debug_option
@click.pass_context
def apply(
    ctx: click.Context,
    /,
    paths: tuple[Path, ...],
    dry_run: bool,
    test_to: tuple[str, ...],
    sandbox: bool,
    api_url: str | None,
    **flags: Any,
) -> None:
    """Plan, confirm and send each campaign exactly once, then write its lockfile.

    CAMPAIGN may be campaign files, folders of them, or a plan saved with
    `ippanel-run plan --out plan.json` (sent only if nothing changed since).
    Each campaign is handled fully; one failing does not stop the others.
    Exit code 0 when everything was sent (or nothing was left), 1 when a batch
    failed or is unresolved, 2 for invalid input or a refused confirmation.
    """
    if dry_run:
        from runner.cli.plans import plan

        ctx.invoke(plan, paths=paths, fmt=flags["fmt"], skip_invalid=flags["skip_invalid"])
        return
    app = app_of(ctx)
    targets = _targets(paths)
    with open_client(app, sandbox=sandbox, api_url=api_url) as client:
        if test_to:
            for path, _ in targets:
                _test_send(app, client, path, test_to, yes=flags["yes"])
            return
        results = [_apply_one(app, client, path, saved, flags) for path, saved in targets]
        if flags["with_report"] or flags["watch"]:
            results = [
                _then_report(app, client, code, outcome, watch=flags["watch"])
                for code, outcome in results
            ]
    if flags["fmt"] == "json":
        _print_json(results)
    ctx.exit(max((code for code, _ in results), default=0))


def _then_report(
    app: AppContext, client: IPPanelClient, code: int, outcome: ApplyOutcome | None, *, watch: bool
) -> tuple[int, ApplyOutcome | None]:
    if outcome is None or not (outcome.sent or outcome.plan.batches):
        return code, outcome
    try:
        reported = run_report(app, client, outcome.plan.campaign.path, watch, 30.0, False)
    except RunnerError as err:
        print_error(err)
        reported = err.exit_code
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
    path: Path,
    saved: Fingerprint | None,
    flags: dict[str, Any],
) -> tuple[int, ApplyOutcome | None]:
    display: list[ProgressDisplay] = []
    quiet, fmt = flags["quiet"], flags["fmt"]

    def show(plan: CampaignPlan, quote: Estimate | None) -> None:
        if not quiet and fmt != "json":
            print_plans([plan], fmt, sys.stdout)
            for line in estimate_lines(quote):
                click.echo(line)
        to_send = [b for b in plan.batches if b.action == "send"]
        bar = fancy(sys.stderr, app.env) and not flags["verbose"]
        recipients = sum(b.recipient_count for b in to_send)
        if not quiet:
            display.append(
                ProgressDisplay(sys.stderr, batches=len(to_send), recipients=recipients, bar=bar)
            )

    def confirm(plan: CampaignPlan) -> bool:
        if flags["yes"]:
            return True
        if not app.interactive():
            raise ConfirmationRefused(
                f"{path}: nothing was sent: there is no terminal to confirm on; "
                "pass --yes to send without a prompt"
            )
        to_send = sum(1 for b in plan.batches if b.action == "send")
        return click.confirm(f"Send {plan.campaign.name} now ({to_send} batch(es))?", default=False)

    def progress(event: Progress) -> None:
        if display:
            display[-1].update(event)

    seams = ApplySeams(
        send=SendSeams(
            client=client,
            now=app.now,
            sleep=app.sleep,
            progress=progress,
            note=lambda message: click.echo(message, err=True),
        ),
        show=show,
        confirm=confirm,
    )
    options = ApplyOptions(
        command=command_line(),
        concurrency=flags["concurrency"],
        max_errors=flags["max_errors"],
        allow_over_limit=flags["allow_over_limit"],
        skip_invalid=flags["skip_invalid"],
    )
    try:
        outcome = apply_campaign(path, seams, options, saved)
    except RunnerError as err:
        print_error(err)
        return err.exit_code, None
    finally:
        for shown in display:
            shown.close()
    troubled = bool(outcome.unresolved or outcome.failed or outcome.stop_reason)
    if fmt != "json":
        for line in outcome_lines(outcome):
            click.echo(line, err=troubled)
    return (1 if troubled else 0), outcome


def _print_json(results: list[tuple[int, ApplyOutcome | None]]) -> None:
    campaigns: list[dict[str, Any]] = []
    for code, outcome in results:
        if outcome is None:
            campaigns.append({"exit_code": code})
            continue
        c = outcome.plan.campaign

        def batches(records: Sequence[Any]) -> list[dict[str, Any]]:
            return [
                {"key": r.key, "outbox_ids": list(r.outbox_ids), "recipients": r.recipients}
                for r in records
            ]

        campaigns.append(
            {
                "name": c.name,
                "file": str(c.path),
                "lockfile": str(c.lockfile_path),
                "exit_code": code,
                "sent": batches(outcome.sent),
                "unresolved": batches(outcome.unresolved),
                "failed": batches(outcome.failed),
                "estimated_cost": outcome.estimate.cost if outcome.estimate else None,
            }
        )
    document = {"format_version": FORMAT_VERSION, "campaigns": campaigns}
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


def _test_send(
    app: AppContext, client: IPPanelClient, path: Path, numbers: tuple[str, ...], *, yes: bool
) -> None:
    def confirm(summary: str) -> bool:
        if yes:
            return True
        if not app.interactive():
            raise ConfirmationRefused("no terminal to confirm the test send on; pass --yes")
        return click.confirm(summary, default=False)

    for line in run_test_send(path, numbers, client, now=app.now(), confirm=confirm):
        click.echo(line)
