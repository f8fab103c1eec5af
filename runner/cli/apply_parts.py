"""The parts of ``apply`` that face the terminal and the options: what one campaign's run
shows and asks (``Screen``), the send seams and settings made from the options, and the
account the API names.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from runner.api.client import IPPanelClient
from runner.apply import ApplyOptions
from runner.cli.base import AppContext, command_line
from runner.cli.campaigns import print_plans, sandbox_state
from runner.cli.console import estimate_lines, fancy
from runner.cli.progress import ProgressDisplay
from runner.errors import ApiError, ConfirmationRefused, TransportError
from runner.executor import Progress, SendSeams
from runner.models import CampaignPlan
from runner.pricing import Estimate
from runner.stopping import Stop


@dataclass(frozen=True)
class ApplyCommand:
    """The options of ``ippanel-run apply``, as parsed by click."""

    dry_run: bool
    yes: bool
    concurrency: int | None
    max_errors: int
    allow_over_limit: bool
    test_to: tuple[str, ...]
    with_report: bool
    watch: bool
    outbox_window: int | None
    commit_margin: float
    timeout: float
    quiet: bool
    verbose: bool
    sandbox: bool
    api_url: str | None
    fmt: str
    skip_invalid: bool


def account_of(client: IPPanelClient) -> Callable[[], str]:
    """The account's id as ``check_token`` tells it, asked once; "" when the API does not say."""
    found: list[str] = []

    def account() -> str:
        if not found:
            try:
                found.append(str(client.check_token().user_id))
            except TransportError:
                raise
            except ApiError:
                found.append("")
        return found[0]

    return account


class Screen:
    """What one campaign's apply shows and asks: the plan, its progress, the prompt."""

    def __init__(self, app: AppContext, path: Path, options: ApplyCommand) -> None:
        self.app = app
        self.path = path
        self.options = options
        self.display: list[ProgressDisplay] = []

    def show(self, plan: CampaignPlan, quote: Estimate | None) -> None:
        options, app = self.options, self.app
        if not options.quiet and options.fmt != "json":
            print_plans([plan], options.fmt, sys.stdout)
            for line in estimate_lines(plan.campaign.name, quote):
                click.echo(line)
        if options.quiet:
            return
        to_send = [b for b in plan.batches if b.action == "send"]
        self.display.append(
            ProgressDisplay(
                sys.stderr,
                batches=len(to_send),
                recipients=sum(b.recipient_count for b in to_send),
                bar=fancy(sys.stderr, app.env) and not options.verbose,
                verbose=options.verbose,
                clock=lambda: app.now().timestamp(),
            )
        )

    def confirm(self, plan: CampaignPlan) -> bool:
        if self.options.yes:
            return True
        if not self.app.interactive():
            raise ConfirmationRefused(
                f"{self.path}: nothing was sent: there is no terminal to confirm on; "
                "pass --yes to send without a prompt"
            )
        to_send = sum(1 for b in plan.batches if b.action == "send")
        # The prompt goes to the terminal (stderr): `ippanel-run x.yaml > plan.txt` still asks.
        question = f"Send {plan.campaign.name} now ({to_send} batch(es))?"
        return click.confirm(question, default=False, err=True)

    def progress(self, event: Progress) -> None:
        if self.display:
            self.display[-1].update(event)

    def close(self) -> None:
        for shown in self.display:
            shown.close()


def send_seams(
    app: AppContext, client: IPPanelClient, stop: Stop, progress: Callable[[Progress], None]
) -> SendSeams:
    return SendSeams(
        client=client,
        now=app.now,
        # Real waits end at once on a signal; tests pass their own (fake) sleep.
        sleep=stop.sleep if app.sleep is time.sleep else app.sleep,
        progress=progress,
        note=lambda message: click.echo(message, err=True),
        stop=stop,
    )


def settings(options: ApplyCommand) -> ApplyOptions:
    return ApplyOptions(
        command=command_line(),
        concurrency=options.concurrency,
        max_errors=options.max_errors,
        allow_over_limit=options.allow_over_limit,
        skip_invalid=options.skip_invalid,
        outside_hours="warn" if options.sandbox else "refuse",
        commit_margin=options.commit_margin,
        outbox_window=options.outbox_window,
        sandbox=sandbox_state(options.sandbox),
    )
