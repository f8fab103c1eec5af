"""``ippanel-run resolve``: record by hand what became of a batch that reconciliation left open."""

from __future__ import annotations

from pathlib import Path

import click

from runner import lockfile
from runner.cli.base import cli, command_line
from runner.cli.campaigns import campaign_for
from runner.cli.options import debug_option
from runner.errors import InputError


@cli.command()
@click.argument("campaign", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("key")
@click.option("--sent", "outbox_ids", type=int, multiple=True, help="Outbox id(s) of the batch.")
@click.option("--not-sent", is_flag=True, help="The batch did not go out: send it again.")
@click.option(
    "--sandbox",
    is_flag=True,
    help="The sandbox's lockfile (in .ippanel-sandbox/) of a --sandbox run.",
)
@debug_option
def resolve(
    campaign: Path, key: str, outbox_ids: tuple[int, ...], not_sent: bool, sandbox: bool
) -> None:
    """Record by hand what became of a batch whose send is unknown.

    KEY is the batch's key: apply names it when it stops ("batch 3f2a… may have been
    sent, and the API has no report/new_list to look it up"), the plan lists it with ?
    reconcile, and the lockfile keeps it under "batches". Look the outbox ids up in the
    IPPanel panel first: --sent records the ones that carried the batch; --not-sent
    lets the next apply send it. --sandbox: a --sandbox run's lockfile.

    \b
    Examples:
      ippanel-run resolve campaigns/spring-sale.yaml 3f2a9c0d1e2b4a5c --sent 1123544244
      ippanel-run resolve campaigns/spring-sale.yaml 3f2a9c0d1e2b4a5c --not-sent
    """
    if bool(outbox_ids) == not_sent:
        raise InputError("say either --sent ID... or --not-sent")
    loaded = campaign_for(campaign, sandbox=sandbox)
    path = loaded.lockfile_path
    with lockfile.exclusive(path):
        lock = lockfile.load(path, loaded.name)
        record = lock.batches.get(key)
        if record is None:
            raise InputError(f"{path} has no batch {key}")
        state: lockfile.State = "failed" if not_sent else "sent"
        lock.batches[key] = lockfile.replace_record(record, state=state, outbox_ids=outbox_ids)
        lockfile.save(path, lock, command_line())
    click.echo(f"batch {key} recorded as {state}")
