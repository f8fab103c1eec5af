"""Apply one campaign: lock → reconcile → diff against the lockfile → confirm → send → save.

``apply_campaign`` runs the exactly-once protocol (README, "Exactly once") under the
campaign's file lock; ``runner.diff`` computes what ``plan`` and ``--dry-run`` show.
The CLI passes in how to show a plan, how to confirm, and the client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from runner.campaign import inputs_digest, load_campaign
from runner.diff import diff
from runner.errors import ConfirmationRefused, InvalidCampaign, Violation
from runner.executor import Sender, SendSeams
from runner.limits import cost_problems, recipient_problems
from runner.lockfile import (
    BatchRecord,
    Journal,
    Lock,
    exclusive,
    journal_path,
    load,
    save,
)
from runner.models import Campaign, CampaignPlan
from runner.preflight import AccountCheck
from runner.pricing import Estimate, estimate
from runner.reconcile import reconcile
from runner.saved_plan import Fingerprint, check_batches, check_inputs
from runner.send_hours import now_problem


@dataclass(frozen=True)
class ApplyOptions:
    """What the user asked for on the command line."""

    command: str
    concurrency: int = 4
    max_errors: int = 1
    allow_over_limit: bool = False
    skip_invalid: bool = False
    # Sending now outside send_hours: refused; only the sandbox, where nothing real is sent, warns.
    outside_hours: Literal["refuse", "warn"] = "refuse"


@dataclass(frozen=True)
class ApplyOutcome:
    """What one apply did, for the summary and the exit code."""

    plan: CampaignPlan
    sent: tuple[BatchRecord, ...]
    unresolved: tuple[BatchRecord, ...]
    failed: tuple[BatchRecord, ...]
    estimate: Estimate | None
    stop_reason: str = ""
    # The API's validation errors, located in the campaign and its data files.
    rejections: tuple[Violation, ...] = ()


@dataclass(frozen=True)
class ApplySeams:
    """Side effects of an apply, injected by the CLI (and by tests)."""

    send: SendSeams
    show: Callable[[CampaignPlan, Estimate | None], None]
    confirm: Callable[[CampaignPlan], bool]


def apply_campaign(
    path: Path, seams: ApplySeams, options: ApplyOptions, saved: Fingerprint | None = None
) -> ApplyOutcome:
    """Run the exactly-once protocol for one campaign file, under its file lock.

    With ``saved`` (from ``apply plan.json``) nothing is sent unless the campaign,
    its data, the lockfile and the batches are exactly what that plan showed.
    """
    campaign = load_campaign(path)
    lockpath = campaign.lockfile_path
    with exclusive(lockpath):
        if saved is not None:
            check_inputs(saved, campaign)
        lock = _settled_lock(lockpath, campaign.name, seams.send, options.command)
        plan = diff(campaign, lock, now=seams.send.now(), skip_invalid=options.skip_invalid)
        if saved is not None:
            check_batches(saved, plan)
        to_send = [b for b in plan.batches if b.action == "send"]
        quote = _checked_quote(plan, seams, options) if to_send else None
        seams.show(plan, quote)
        if not to_send:
            if lock.batches and not lock.unresolved() and not lock.inputs:
                # Everyone is covered (say, the killed run had sent its last batch): finished.
                lock.inputs = inputs_digest(campaign)
                save(lockpath, lock, options.command)
            return ApplyOutcome(plan, (), (), (), None)
        if quote is not None and not options.allow_over_limit:
            _refuse(cost_problems(plan, quote))
        if not seams.confirm(plan):
            raise ConfirmationRefused(f"{path}: not confirmed; nothing was sent")
        return _send(campaign, plan, lock, seams, options, quote)


def _send(
    campaign: Campaign,
    plan: CampaignPlan,
    lock: Lock,
    seams: ApplySeams,
    options: ApplyOptions,
    quote: Estimate | None,
) -> ApplyOutcome:
    lockpath = campaign.lockfile_path
    journal = Journal(lockpath)
    sender = Sender(plan, lock, journal, seams.send)
    planned = sum(1 for b in plan.batches if b.action == "send")
    records: list[BatchRecord] = []
    try:
        records = sender.run(concurrency=options.concurrency, max_errors=options.max_errors)
    finally:
        journal.close()
        complete = len(records) == planned and all(r.state == "sent" for r in records)
        lock.inputs = inputs_digest(campaign) if complete and not lock.unresolved() else ""
        save(lockpath, lock, options.command)
    return ApplyOutcome(
        plan,
        sent=tuple(r for r in records if r.state == "sent"),
        unresolved=tuple(r for r in records if r.state == "unknown"),
        failed=tuple(r for r in records if r.state == "failed"),
        estimate=quote,
        stop_reason=sender.stop_reason,
        rejections=tuple(sender.rejections),
    )


def _settled_lock(lockpath: Path, name: str, seams: SendSeams, command: str) -> Lock:
    """The campaign's lockfile, its journal folded in and unsettled batches reconciled."""
    lock = load(lockpath, name)
    if journal_path(lockpath).exists():
        # A run died before folding its journal in: make the lockfile whole first, so the
        # outbox ids never live only in a file that looks like litter.
        save(lockpath, lock, command)
    if lock.unresolved():
        journal = Journal(lockpath)
        try:
            reconcile(lock, seams.client, journal.record)
        finally:
            journal.close()
            save(lockpath, lock, command)
    return lock


def _checked_quote(plan: CampaignPlan, seams: ApplySeams, options: ApplyOptions) -> Estimate:
    """The checks before a send, cheapest first, then the price estimate (warnings noted)."""
    _check_before_quote(plan, seams, options)
    _check_account(plan, seams.send)
    quote = estimate(plan, seams.send.client)
    for warning in quote.warnings:
        seams.send.note(f"warning: {warning}")
    return quote


def _check_account(plan: CampaignPlan, seams: SendSeams) -> None:
    """The sender and pattern exist in the account: refuse (exit 2) before anything is sent."""
    findings = AccountCheck(seams.client).check(plan)
    for warning in findings.warnings:
        seams.note(f"warning: {warning}")
    findings.raise_errors()


def _check_before_quote(plan: CampaignPlan, seams: ApplySeams, options: ApplyOptions) -> None:
    """What needs no API call: the recipient limit, and the send hours when sending now."""
    if not options.allow_over_limit:
        _refuse(recipient_problems(plan))
    hours = now_problem(plan.campaign, seams.send.now()) if plan.send_time is None else None
    if hours is not None:
        if options.outside_hours == "refuse":
            _refuse([hours])
        seams.send.note(
            f"warning: {hours.message} (the sandbox sends anyway; nothing real is sent)"
        )


def _refuse(problems: list[Violation]) -> None:
    if problems:
        raise InvalidCampaign(problems)
