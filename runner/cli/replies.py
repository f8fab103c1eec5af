"""``ippanel-run replies``: what a campaign's recipients answered, and who opted out."""

from __future__ import annotations

from pathlib import Path

import click

from runner import lockfile
from runner.cli.base import api_url_option, app_of, cli, open_client, sandbox_option
from runner.cli.campaigns import campaign_for
from runner.cli.options import debug_option
from runner.files import write_atomic
from runner.replies import (
    Replies,
    add_opt_outs,
    collect_replies,
    render_replies_csv,
    replies_path,
)
from runner.safe_text import printable
from runner.schedule import describe
from runner.show import shown_path


@cli.command()
@click.argument("campaign", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--opt-outs",
    "opt_outs",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append those who answered with an opt-out word (لغو, 11, stop…) to this .txt file, "
    "each number once; list it under exclude: in your campaigns.",
)
@click.option(
    "--from-id",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Read only inbox messages after this id (skips older history of a large inbox).",
)
@sandbox_option
@api_url_option
@debug_option
@click.pass_context
def replies(
    ctx: click.Context,
    campaign: Path,
    opt_outs: Path | None,
    from_id: int,
    sandbox: bool,
    api_url: str | None,
) -> None:
    """Read the replies to a sent campaign from the account's inbox.

    Keeps the messages sent to the campaign's sender line, since it went out,
    from numbers it reached (matched by the lockfile's digests). Prints a
    summary and writes <stem>.replies.csv beside the campaign (phone numbers
    inside: keep it out of git).

    \b
    Examples:
      ippanel-run replies campaigns/spring-sale.yaml
      ippanel-run replies --opt-outs campaigns/data/opt-outs.txt campaigns/spring-sale.yaml
      ippanel-run replies --sandbox examples/peer_to_peer_file/appointment-reminders.yaml
    """
    app = app_of(ctx)
    loaded = campaign_for(campaign, sandbox=sandbox)
    lock = lockfile.load(loaded.lockfile_path, loaded.name)
    with open_client(app, sandbox=sandbox, api_url=api_url) as client:
        found = collect_replies(loaded, lock, client, from_id=from_id)
    path = replies_path(loaded)
    write_atomic(path, render_replies_csv(found))
    for line in summary_lines(found):
        click.echo(line)
    if opt_outs is not None:
        added = add_opt_outs(opt_outs, found.opt_outs, loaded, app.now())
        click.echo(
            f"{loaded.name}: added {len(added)} new opt-out(s) to {shown_path(opt_outs)} "
            f"({len(found.opt_outs) - len(added)} already listed); list it under exclude:"
        )
    elif found.opt_outs:
        click.echo(f"{loaded.name}: add them to an exclude list with --opt-outs FILE")
    click.echo(f"wrote {shown_path(path)}", err=True)


def summary_lines(found: Replies) -> list[str]:
    """How many answered, the most common answers, and the opt-outs."""
    name = found.campaign.name
    lines = [
        f"{name}: {_count(len(found.replies), 'reply', 'replies')} from {found.repliers:,} of "
        f"{_count(found.recipients, 'recipient')} since {describe(found.since).short}; "
        f"read {_count(found.scanned, 'inbox message')}"
    ]
    answers = found.common_answers()
    if answers:
        shown = ", ".join(f"«{printable(text, 30)}» × {n}" for text, n in answers)
        lines.append(f"{name}: most common answers: {shown}")
    lines.append(f"{name}: {len(found.opt_outs):,} opted out (لغو, 11, stop…)")
    return lines


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"
