"""``ippanel-run report``: follow up a sent campaign (also used by ``apply --report``)."""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from runner import lockfile
from runner.api.client import IPPanelClient
from runner.cli.base import (
    AppContext,
    api_url_option,
    app_of,
    cli,
    each_campaign,
    open_client,
    sandbox_option,
)
from runner.cli.campaigns import campaign_files, campaign_for
from runner.cli.console import fancy
from runner.cli.options import debug_option, paths_argument
from runner.cli.progress import CountDisplay
from runner.errors import InputError
from runner.safe_text import one_line

if TYPE_CHECKING:
    from runner.lockfile import Lock
    from runner.models import Campaign
    from runner.report import Report


@dataclass(frozen=True)
class ReportOptions:
    """How to report: wait for final states (``watch``) every ``interval`` s, what to write."""

    watch: bool = False
    interval: float = 30.0
    with_csv: bool = False
    as_json: bool = False
    concurrency: int = 4
    sandbox: bool = False  # the sandbox's lockfile, and the report beside it


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
    "--concurrency",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="Outboxes read at once (their recipients, or by_bulk).",
)
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
    concurrency: int,
    fmt: str,
    sandbox: bool,
    api_url: str | None,
) -> None:
    """Follow up a sent campaign: delivery per batch, operator and recipient.

    Writes <stem>.report.json, .report.md and .report.html beside each campaign
    (with --sandbox, beside its sandbox lockfile in .ippanel-sandbox/) and prints
    a short summary. What can no longer change is kept in <stem>.report.cache.json,
    so running it again asks the API only about the rest. Exit code 1 when a batch
    was rejected, ran out of credit, failed in the system, or is still unresolved.

    \b
    Examples:
      ippanel-run report campaigns/yalda-1405.yaml
      ippanel-run report --watch --interval 60 campaigns/
      ippanel-run report --sandbox --csv --concurrency 16 examples/file/autumn-sale.yaml
    """
    app = app_of(ctx)
    options = ReportOptions(
        watch=watch,
        interval=interval,
        with_csv=with_csv,
        as_json=fmt == "json",
        concurrency=concurrency,
    )
    options = replace(options, sandbox=sandbox)
    with open_client(app, sandbox=sandbox, api_url=api_url) as client:
        results = each_campaign(
            app, campaign_files(paths), lambda path: (run_report(app, client, path, options), None)
        )
    ctx.exit(max((code for code, _ in results), default=0))


def run_report(app: AppContext, client: IPPanelClient, path: Path, options: ReportOptions) -> int:
    """Report one campaign; its exit code (1 when it needs attention)."""
    from runner import report as reports

    campaign = campaign_for(path, sandbox=options.sandbox)
    lock = lockfile.load(campaign.lockfile_path, campaign.name)
    lockfile.check_owner(campaign.lockfile_path, lock, client.base_url, "")
    if not lock.batches:
        raise InputError(f"{campaign.lockfile_path} does not exist or is empty: send first")
    result = _fetch(app, client, campaign, lock, options)
    written = reports.write_report(result, csv=options.with_csv, beside=campaign.state_stem)
    if options.as_json:
        click.echo(reports.render_json(result), nl=False)
    else:
        for line in reports.summary_lines(result):
            click.echo(line)
    click.echo("wrote " + ", ".join(str(p) for p in written), err=True)
    return 1 if reports.needs_attention(result) else 0


def _fetch(
    app: AppContext, client: IPPanelClient, campaign: Campaign, lock: Lock, options: ReportOptions
) -> Report:
    """The campaign's report from the API, once or (``watch``) until every outbox is final."""
    from runner import report as reports

    shown = CountDisplay(
        sys.stderr,
        "outboxes",
        bar=fancy(sys.stderr, app.env),
        clock=lambda: app.now().timestamp(),
    )
    cache = reports.cache_path(campaign.state_file(".yaml"))  # beside the report
    warn = functools.partial(_warn, campaign.name)
    try:
        if options.watch:
            return reports.watch(
                campaign,
                lock,
                client,
                interval=options.interval,
                sleep=app.sleep,
                now=app.now,
                concurrency=options.concurrency,
                progress=shown.update,
                waiting_for=functools.partial(_waiting_for, campaign.name, options.interval),
                cache=cache,
                warn=warn,
            )
        return reports.build_report(
            campaign,
            lock,
            client,
            now=app.now(),
            concurrency=options.concurrency,
            progress=shown.update,
            cache=cache,
            warn=warn,
        )
    finally:
        shown.close()


def _waiting_for(name: str, interval: float, count: int) -> None:
    click.echo(
        f"{name}: {count} outbox(es) not final yet; checking again in {interval:g} s", err=True
    )


def _warn(name: str, message: str) -> None:
    click.echo(one_line(f"{name}: warning: {message}"), err=True)
