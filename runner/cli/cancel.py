"""``ippanel-run cancel``: stop a campaign's scheduled sends while they can still be stopped."""

from __future__ import annotations

from pathlib import Path

import click

from runner.api.client import IPPanelClient
from runner.cancel import BatchOutcome, CancelResult, cancel_campaign
from runner.cancel_outbox import SETTLED
from runner.cli.base import (
    AppContext,
    api_url_option,
    app_of,
    cli,
    command_line,
    each_campaign,
    open_client,
    sandbox_option,
)
from runner.cli.campaigns import sandbox_state
from runner.cli.options import debug_option
from runner.errors import InputError
from runner.safe_text import one_line
from runner.schedule import cancel_command, describe
from runner.show import shown_path

SHOWN_OUTBOXES = 5


@cli.command()
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="CAMPAIGN..."
)
@click.option("--dry-run", is_flag=True, help="Only look up and show what would be cancelled.")
@sandbox_option
@api_url_option
@debug_option
@click.pass_context
def cancel(
    ctx: click.Context,
    paths: tuple[Path, ...],
    dry_run: bool,
    sandbox: bool,
    api_url: str | None,
) -> None:
    """Cancel a campaign's scheduled sends, up to 5 minutes before they go out.

    Every outbox in the campaign's lockfile is looked up in the API; those still
    at least 5 minutes before their send time are cancelled, one request each.
    Cancelled batches are recorded as such in the lockfile, so you can fix the
    campaign and apply it again: their recipients are planned again. Exit code
    1 when a batch was too late to cancel, already sent, or its cancel could
    not be confirmed (run the command again).

    \b
    Examples:
      ippanel-run cancel --dry-run campaigns/yalda-1405.yaml
      ippanel-run cancel campaigns/yalda-1405.yaml
      ippanel-run cancel --sandbox campaigns/yalda-1405.yaml
    """
    app = app_of(ctx)
    for path in paths:
        if path.is_dir():
            raise InputError(
                f"{path} is a folder: name the campaign files to cancel one by one "
                "(a folder would stop every scheduled campaign in it)"
            )
    with open_client(app, sandbox=sandbox, api_url=api_url) as client:
        results = each_campaign(
            app,
            list(paths),
            lambda path: _cancel_one(app, client, path, dry_run=dry_run, sandbox=sandbox),
        )
    ctx.exit(max((code for code, _ in results), default=0))


def _cancel_one(
    app: AppContext, client: IPPanelClient, path: Path, *, dry_run: bool, sandbox: bool
) -> tuple[int, CancelResult]:
    result = cancel_campaign(
        path,
        client,
        now=app.now,
        command=command_line(),
        dry_run=dry_run,
        sandbox=sandbox_state(sandbox),
        sleep=app.sleep,
    )
    for line in result_lines(result):
        click.echo(one_line(line))  # outbox details can quote the API
    return (0 if result.settled else 1), result


def result_lines(result: CancelResult) -> list[str]:
    """One line per batch, then what to do next."""
    name = result.campaign.name
    lines = [f"{name}: {_batch_line(b, dry_run=result.dry_run)}" for b in result.batches]
    lines += [
        f"{name}: batch {key} may or may not have been sent (an apply was interrupted); "
        "`ippanel-run cancel` without --dry-run looks it up first"
        for key in result.unresolved
    ]
    if result.earlier:
        lines.append(f"{name}: {result.earlier} batch(es) were already cancelled earlier")
    lines.append(f"{name}: {_summary(result)}")
    return lines


def _batch_line(batch: BatchOutcome, *, dry_run: bool) -> str:
    head = f"batch {batch.key} ({batch.recipients:,} recipient(s))"
    outcome = batch.outcome
    when = describe(batch.send_at).short if batch.send_at else ""
    if outcome == "cancelled":
        return f"{head} cancelled" + (f"; it was to go out at {when}" if when else "")
    if outcome == "already cancelled":
        return f"{head} was already cancelled"
    if outcome == "would cancel":
        until = "; ".join(sorted({o.detail for o in batch.outboxes if o.outcome == outcome}))
        return f"{head} would be cancelled: it goes out at {when}, {until}"
    return _trouble_line(head, batch, dry_run=dry_run)


def _trouble_line(head: str, batch: BatchOutcome, *, dry_run: bool) -> str:
    troubled = [o for o in batch.outboxes if o.outcome not in SETTLED]
    shown = "; ".join(f"outbox {o.outbox_id} {o.detail}" for o in troubled[:SHOWN_OUTBOXES])
    if len(troubled) > SHOWN_OUTBOXES:
        shown += f"; … and {len(troubled) - SHOWN_OUTBOXES} more"
    if not batch.outboxes:
        shown = "the lockfile records no outbox id for it"
    verdict = "NOT CANCELLED" if batch.outcome == "not cancelled" else "UNKNOWN"
    line = f"{head} {verdict}: {shown}"
    cancelled = [o for o in batch.outboxes if o.outcome in ("cancelled", "already cancelled")]
    if cancelled and not dry_run:
        line += (
            f" ({len(cancelled)} of its {len(batch.outboxes)} outboxes were cancelled; the "
            "batch stays recorded as sent, so its recipients are not planned again)"
        )
    return line


def _summary(result: CancelResult) -> str:
    path = shown_path(result.campaign.path)
    sandbox = result.campaign.sandbox is not None
    again = cancel_command(path, sandbox=sandbox)
    if not result.batches and not result.unresolved:
        return "nothing to cancel: no batch of this campaign is waiting to go out"
    done = [b for b in result.batches if b.outcome in SETTLED and b.outcome != "already cancelled"]
    recipients = sum(b.recipients for b in done)
    left = [b for b in result.batches if b.outcome not in SETTLED]
    if result.dry_run:
        text = (
            f"would cancel {len(done)} batch(es), {recipients:,} recipient(s); nothing was changed"
        )
        if done:
            text += f"; to cancel: {again}"
    else:
        text = f"cancelled {len(done)} batch(es), {recipients:,} recipient(s)"
        if done:
            apply = f"ippanel-run {'--sandbox ' if sandbox else ''}{path}"
            text += f"; fix the campaign and apply it again to send to them: {apply}"
    if any(b.outcome == "unknown" for b in left):
        text += f". Not settled: run `{again}` again"
    elif left:
        text += f". {len(left)} batch(es) could not be cancelled (see above)"
    return text
