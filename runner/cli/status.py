"""``ippanel-run status``: one table of every campaign's state, offline unless asked otherwise."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import click
from rich.cells import cell_len

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
from runner.cli.campaigns import campaign_files, campaign_for, sandbox_state
from runner.cli.options import debug_option
from runner.errors import InputError
from runner.report.fmt import money
from runner.safe_text import one_line, printable
from runner.schedule import describe
from runner.show import FORMAT_VERSION
from runner.status import CampaignStatus, campaign_status

DEFAULT_FOLDER = Path("campaigns")
HEAD = (
    "CAMPAIGN",
    "TYPE",
    "STATE",
    "RECIPIENTS",
    "SENT",
    "DELIVERED",
    "COST (RIAL)",
    "LAST REPORT (TEHRAN)",
)

NUMERIC = frozenset({3, 4, 5, 6})
MAX_CELL = 60


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[PATH]...")
@click.option(
    "--online",
    is_flag=True,
    help="Refresh the report of every campaign that went out from the API first "
    "(writes <stem>.report.*; needs credentials).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="A table for people, or JSON for scripts.",
)
@sandbox_option
@api_url_option
@debug_option
@click.pass_context
def status(
    ctx: click.Context,
    paths: tuple[Path, ...],
    online: bool,
    fmt: str,
    sandbox: bool,
    api_url: str | None,
) -> None:
    """Every campaign's state at a glance, one row per campaign file.

    PATH is campaign files or folders (default: campaigns/). States: invalid,
    not sent, scheduled for <time>, sending, sent, partly sent, cancelled, needs
    attention. Read from the campaign, its lockfile and its last report:
    no network, unless --online (or --sandbox) refreshes the reports first. Exit
    code 1 when a campaign needs attention.

    \b
    Examples:
      ippanel-run status
      ippanel-run status --online campaigns/
      ippanel-run status --format json campaigns/ examples/
    """
    app = app_of(ctx)
    folders = paths or (DEFAULT_FOLDER,)
    for path in folders:
        if not path.exists():
            raise InputError(f"{path} does not exist; name the folder that holds your campaigns")
    files = campaign_files(folders)
    if not files:
        raise InputError("no campaign files found in " + ", ".join(str(p) for p in folders))
    code = 0
    if online or sandbox:
        with open_client(app, sandbox=sandbox, api_url=api_url) as client:
            refreshed = each_campaign(
                app, files, lambda path: (_refresh(app, client, path, sandbox), None)
            )
        code = max(c for c, _ in refreshed)
    rows = [campaign_status(path, app.now(), sandbox_state(sandbox)) for path in files]
    _print(rows, fmt)
    if any(r.state == "needs attention" for r in rows):
        code = max(code, 1)
    ctx.exit(code)


def _print(rows: Sequence[CampaignStatus], fmt: str) -> None:
    if fmt == "json":
        document = {"format_version": FORMAT_VERSION, "campaigns": [r.to_json() for r in rows]}
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    for line in table_lines(rows):
        click.echo(line)


def _refresh(app: AppContext, client: IPPanelClient, path: Path, sandbox: bool) -> int:
    """Write a fresh report for a campaign that went out (asking the API only about what
    its report cache does not hold for good); nothing for the others. ``sandbox``: the
    sandbox's lockfile, and the report beside it."""
    from runner import report as reports

    try:
        campaign = campaign_for(path, sandbox=sandbox)
    except InputError:
        return 0  # the table says it is invalid
    lock = lockfile.load(campaign.lockfile_path, campaign.name)
    if not any(r.state == "sent" for r in lock.batches.values()):
        return 0

    def warn(message: str) -> None:
        click.echo(one_line(f"{campaign.name}: warning: {message}"), err=True)

    cache = reports.cache_path(campaign.state_file(".yaml"))  # beside the report
    result = reports.build_report(campaign, lock, client, now=app.now(), cache=cache, warn=warn)
    reports.write_report(result, beside=campaign.state_stem)
    return 0


def table_lines(rows: Sequence[CampaignStatus]) -> list[str]:
    """The table, then one line per note."""
    cells = [HEAD] + [_cells(r) for r in rows]
    widths = [max(cell_len(row[i]) for row in cells) for i in range(len(HEAD))]
    lines = [_line(row, widths) for row in cells]
    notes = [f"{_clean(r.name)}: {_clean(note, 300)}" for r in rows for note in r.notes]
    return lines + (["", *notes] if notes else [])


def _cells(row: CampaignStatus) -> tuple[str, ...]:
    report = row.report
    percent = row.delivered_percent
    return (
        _clean(row.name),
        row.type or "–",
        row.state_text,
        "–" if row.recipients is None else f"{row.recipients:,}",
        f"{row.sent:,}",
        "–" if percent is None else f"{percent:.1f}%",
        "–" if report is None else money(report.cost),
        "never" if report is None else describe(report.generated_at).jalali_clock,
    )


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    out = []
    for index, (cell, width) in enumerate(zip(cells, widths, strict=True)):
        pad = " " * (width - cell_len(cell))
        out.append(pad + cell if index in NUMERIC else cell + pad)
    return "  ".join(out).rstrip()


def _clean(text: str, limit: int = MAX_CELL) -> str:
    """No control characters (terminal escapes from a file name), clipped to ``limit``."""
    return printable(text, limit)
