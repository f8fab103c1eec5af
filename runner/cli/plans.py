"""``validate``, ``plan`` (and ``--dry-run``), ``schema``: everything that never sends."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from runner.cli.base import (
    api_url_option,
    app_of,
    campaign_files,
    cli,
    debug_option,
    format_option,
    open_client,
    paths_argument,
    plan_all,
    print_plans,
    sandbox_option,
    skip_invalid_option,
)
from runner.cli.console import estimate_lines
from runner.errors import InputError, InvalidCampaign
from runner.pricing import estimate
from runner.saved_plan import write_saved_plan
from runner.schema import schema_path

# `plan --detailed-exitcode`: like terraform, 4 (not 2, which means invalid input here).
CHANGES_PENDING = 4


@cli.command()
@paths_argument
@skip_invalid_option
@debug_option
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...], skip_invalid: bool) -> None:
    """Check campaign files and folders: schema, templates, recipients. No network.

    Every problem in every file is printed as path:line:col: message; the exit
    code is 2 if there is any. In folders, YAML files with a top-level
    `version:` key are taken as campaigns.
    """
    files = campaign_files(paths)
    if not files:
        raise InputError("no campaign files found in " + ", ".join(str(p) for p in paths))
    plans, problems = plan_all(app_of(ctx), files, skip_invalid=skip_invalid)
    for plan in plans:
        recipients = plan.stats.kept
        click.echo(f"ok: {plan.campaign.path} ({plan.campaign.type}, {recipients:,} recipients)")
    if problems:
        raise InvalidCampaign(problems)


@cli.command()
@paths_argument
@format_option
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save the plan to this JSON file; `ippanel-run apply FILE` sends exactly it.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when nothing is left to send, 4 when something would be sent.",
)
@click.option(
    "--online",
    is_flag=True,
    help="Also show the account's credit and a price estimate (needs credentials).",
)
@sandbox_option
@api_url_option
@skip_invalid_option
@debug_option
@click.pass_context
def plan(
    ctx: click.Context,
    paths: tuple[Path, ...],
    fmt: str,
    out_file: Path | None,
    detailed_exitcode: bool,
    online: bool,
    sandbox: bool,
    api_url: str | None,
    skip_invalid: bool,
) -> None:
    """Show exactly what would be sent. Nothing is sent; no credentials needed.

    Batches are marked + send, = skip (already sent) or ? reconcile (a send whose
    outcome is unknown; apply looks it up before sending anything). With
    --online (or --sandbox) the plan also shows the account's credit and a price
    estimate from the API; nothing is sent either way.
    """
    app = app_of(ctx)
    plans, problems = plan_all(app, paths, skip_invalid=skip_invalid)
    print_plans(plans, fmt, sys.stdout)
    if (online or sandbox) and plans and fmt != "json":
        with open_client(app, sandbox=sandbox, api_url=api_url) as client:
            for shown in plans:
                quote = estimate(shown, client)
                for line in estimate_lines(quote):
                    click.echo(f"{shown.campaign.name}: {line}")
    if out_file is not None and plans:
        write_saved_plan(out_file, plans)
        click.echo(
            f"saved the plan to {out_file}; send it with: ippanel-run apply {out_file}", err=True
        )
    if problems:
        raise InvalidCampaign(problems)
    if detailed_exitcode and any(b.action != "skip" for p in plans for b in p.batches):
        ctx.exit(CHANGES_PENDING)


@cli.command()
@debug_option
def schema() -> None:
    """Print the campaign JSON Schema (for editors and the YAML language server)."""
    click.echo(schema_path().read_text(encoding="utf-8"), nl=False)
