"""``validate``, ``plan`` (and ``--dry-run``), ``schema``: everything that never sends."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from runner.api.client import IPPanelClient
from runner.cli.base import api_url_option, app_of, cli, open_client, sandbox_option
from runner.cli.campaigns import campaign_files, plan_all, print_plans
from runner.cli.console import estimate_lines
from runner.cli.options import (
    allow_over_limit_option,
    debug_option,
    format_option,
    paths_argument,
    skip_invalid_option,
)
from runner.errors import InputError, InvalidCampaign, Violation
from runner.models import CampaignPlan
from runner.preflight import AccountCheck
from runner.pricing import estimate
from runner.safe_text import one_line
from runner.saved_plan import write_saved_plan
from runner.schema import schema_path

# `plan --detailed-exitcode`: like terraform, 4 (not 2, which means invalid input here).
CHANGES_PENDING = 4


@cli.command()
@paths_argument
@skip_invalid_option
@click.option(
    "--allow-over-limit",
    is_flag=True,
    help="Report a campaign over its limits (max_recipients) as valid, as apply "
    "--allow-over-limit would send it.",
)
@debug_option
@click.pass_context
def validate(
    ctx: click.Context, paths: tuple[Path, ...], skip_invalid: bool, allow_over_limit: bool
) -> None:
    """Check campaign files and folders: schema, templates, recipients. No network.

    Every problem in every file is printed as path:line:col: message; the exit
    code is 2 if there is any. In folders, YAML files with a top-level
    `version:` key are taken as campaigns.

    \b
    Examples:
      ippanel-run validate campaigns/
      ippanel-run validate campaigns/spring-sale.yaml examples/
    """
    files = campaign_files(paths)
    if not files:
        raise InputError("no campaign files found in " + ", ".join(str(p) for p in paths))
    plans, problems = plan_all(
        app_of(ctx), files, skip_invalid=skip_invalid, allow_over_limit=allow_over_limit
    )
    for plan in plans:
        recipients = sum(b.recipient_count for b in plan.batches)
        click.echo(
            one_line(f"ok: {plan.campaign.path} ({plan.campaign.type}, {recipients:,} recipients)")
        )
    if problems:
        raise InvalidCampaign(problems, command="validate")


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
    help="Also check the sender and pattern against the account, and show the credit and "
    "a price estimate (needs credentials).",
)
@sandbox_option
@api_url_option
@skip_invalid_option
@allow_over_limit_option
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
    allow_over_limit: bool,
) -> None:
    """Show exactly what would be sent. Nothing is sent; no credentials needed.

    Batches are marked + send, = skip (already sent) or ? reconcile (a send whose
    outcome is unknown; apply looks it up before sending anything). With
    --online (or --sandbox) the plan is also checked against the account (the
    sender is one of its lines; the pattern exists, is active and gets its
    variables) and shows the credit and a price estimate; nothing is sent.
    --sandbox plans against the sandbox's lockfiles (in .ippanel-sandbox/).

    \b
    Examples:
      ippanel-run plan campaigns/spring-sale.yaml
      ippanel-run plan --format markdown campaigns/ > plan.md
      ippanel-run plan --out plan.json campaigns/   (then: ippanel-run apply plan.json)
    """
    app = app_of(ctx)
    plans, problems = plan_all(
        app, paths, skip_invalid=skip_invalid, allow_over_limit=allow_over_limit, sandbox=sandbox
    )
    print_plans(plans, fmt, sys.stdout)
    if (online or sandbox) and plans:
        with open_client(app, sandbox=sandbox, api_url=api_url) as client:
            problems += _online(plans, client, estimates=fmt != "json")
    if out_file is not None and plans:
        write_saved_plan(out_file, plans)
        click.echo(
            f"saved the plan to {out_file}; send it with: ippanel-run apply {out_file}", err=True
        )
    if problems:
        raise InvalidCampaign(problems, command="plan")
    if detailed_exitcode and any(b.action != "skip" for p in plans for b in p.batches):
        ctx.exit(CHANGES_PENDING)


def _online(
    plans: Sequence[CampaignPlan], client: IPPanelClient, *, estimates: bool
) -> list[Violation]:
    """Check each campaign against the account (errors returned, warnings printed); and,
    unless the plan is JSON, print the credit and a price estimate."""
    checker = AccountCheck(client)
    problems: list[Violation] = []
    for shown in plans:
        findings = checker.check(shown)
        for warning in findings.warnings:
            click.echo(f"warning: {warning}", err=True)
        problems.extend(findings.errors)
        if estimates:
            try:
                quote = estimate(shown, client)
            except InvalidCampaign as err:  # the API refused the quote's sender or text
                problems.extend(err.violations)
                continue
            for line in estimate_lines(shown.campaign.name, quote):
                click.echo(line)
            for warning in quote.warnings:
                click.echo(f"warning: {shown.campaign.name}: {warning}", err=True)
    return problems


@cli.command()
@debug_option
def schema() -> None:
    """Print the campaign JSON Schema (for editors and the YAML language server).

    \b
    Examples:
      ippanel-run schema > campaign.schema.json
    """
    click.echo(schema_path().read_text(encoding="utf-8"), nl=False)
