"""``ippanel-run new``: start a campaign from a commented skeleton that validates as written."""

from __future__ import annotations

from pathlib import Path

import click

from runner.cli.base import cli
from runner.cli.options import debug_option
from runner.scaffold import new_campaign
from runner.sending_types import SENDING_TYPES
from runner.show import shown_path


@cli.command()
@click.argument("name")
@click.option(
    "--type",
    "sending_type",
    type=click.Choice(SENDING_TYPES),
    default="peer_to_peer",
    show_default=True,
    help="The sending type (see the README's table of types).",
)
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("campaigns"),
    show_default=True,
    help="Where to write the campaign (its data file goes into data/ below it).",
)
@debug_option
def new(name: str, sending_type: str, folder: Path) -> None:
    """Write a commented campaign NAME and its data file, ready to edit.

    The campaign (<dir>/NAME.yaml) validates as written; its data file
    (<dir>/data/NAME.csv or .txt) holds two sample recipients. Its first line
    points editors at schemas/campaign.schema.json for completion and help,
    written there if missing. Existing files are never overwritten.

    \b
    Examples:
      ippanel-run new spring-sale
      ippanel-run new --type pattern login-code
      ippanel-run new --type webservice --dir campaigns/2026 maintenance
    """
    written = new_campaign(name, sending_type, folder, root=Path.cwd())
    click.echo(f"wrote {shown_path(written.campaign)} and {shown_path(written.data)}")
    if written.schema is not None:
        click.echo(f"wrote {shown_path(written.schema)} (for editors: completion, help on hover)")
    click.echo(
        f"next: edit them, then `ippanel-run validate {shown_path(written.campaign)}` and "
        f"`ippanel-run plan {shown_path(written.campaign)}`"
    )
