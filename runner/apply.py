"""Apply one campaign: lock → settle → diff against the lockfile and the outbox → confirm → send.

``apply_campaign`` runs the exactly-once protocol (README, "Exactly once") under the
campaign's file lock:

1. the lockfile must be this API's and this account's (``lockfile.check_owner``);
2. a crashed run's journal is folded in; batches it left open are settled
   (``reconcile``: after the API can no longer store them, in the account's outbox);
3. the plan (``runner.diff``) is checked against the account's outbox: recipients who
   already got the same text from the same sender within the window are adopted, not
   sent (``Outbox.already_sent``); the plan says so;
4. confirm, then send (``runner.executor``) and fold the journal into the lockfile.

Signals (``runner.stopping``): where nothing is written the run stops at once; while
the journal is folded, batches are settled or sent, it finishes what is safe first.
The CLI passes in how to show a plan, how to confirm, the client and the stop flag.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from runner.adoption import Landing, find_sent, with_note
from runner.campaign import inputs_digest, load_campaign
from runner.checks import check_account, check_before_send, refuse
from runner.diff import diff
from runner.errors import ConfirmationRefused, Violation
from runner.executor import Sender, SendOutcome, SendSeams, SendSettings
from runner.limits import cost_problems
from runner.lockfile import (
    BatchRecord,
    Journal,
    Lock,
    check_owner,
    exclusive,
    journal_line,
    journal_path,
    load,
    save,
)
from runner.models import Campaign, CampaignPlan
from runner.outbox import CLOCK_SLACK, Outbox, adopted_record
from runner.pricing import Estimate, estimate
from runner.reconcile import Waits, reconcile
from runner.saved_plan import Fingerprint, check_batches, check_inputs
from runner.sending_types import spec_of


@dataclass(frozen=True)
class ApplyOptions:
    """What the user asked for on the command line."""

    command: str
    concurrency: int | None = None  # None: the sending type's default
    max_errors: int = 1
    allow_over_limit: bool = False
    skip_invalid: bool = False
    # Sending now outside send_hours: refused; only the sandbox, where nothing real is sent, warns.
    outside_hours: Literal["refuse", "warn"] = "refuse"
    commit_margin: float = 30.0
    outbox_window: int | None = None  # seconds; None: the campaign's (default 24 h)
    sandbox: Path | None = None  # the sandbox's state folder, for --sandbox runs


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
    adopted: tuple[BatchRecord, ...] = ()
    not_started: int = 0  # batches a stop (errors, a signal) kept from starting
    stopped_by: int = 0  # the signal that stopped the run, if one did


@dataclass(frozen=True)
class ApplySeams:
    """Side effects of an apply, injected by the CLI (and by tests)."""

    send: SendSeams
    show: Callable[[CampaignPlan, Estimate | None], None]
    confirm: Callable[[CampaignPlan], bool]
    # The account's id as the API tells it (``check_token``); "" when it does not.
    account: Callable[[], str] = lambda: ""


def load_for(path: Path, options: ApplyOptions) -> Campaign:
    """The campaign, placed in the sandbox for ``--sandbox`` runs, with its outbox window."""
    campaign = load_campaign(path)
    changes: dict[str, object] = {"sandbox": options.sandbox}
    if options.outbox_window is not None:
        changes["outbox_window"] = options.outbox_window
    return dataclasses.replace(campaign, **changes)  # type: ignore[arg-type]


def apply_campaign(
    path: Path, seams: ApplySeams, options: ApplyOptions, saved: Fingerprint | None = None
) -> ApplyOutcome:
    """Run the exactly-once protocol for one campaign file, under its file lock.

    With ``saved`` (from ``apply plan.json``) nothing is sent unless the campaign,
    its data, the lockfile and the batches are exactly what that plan showed.
    """
    campaign = load_for(path, options)
    lockpath = campaign.lockfile_path
    with exclusive(lockpath):
        if saved is not None:
            check_inputs(saved, campaign)
        run = _Run(campaign, load(lockpath, campaign.name), seams, options)
        return run.apply(saved)


class _Run:
    """One campaign's apply, from the loaded lockfile on."""

    def __init__(
        self, campaign: Campaign, lock: Lock, seams: ApplySeams, options: ApplyOptions
    ) -> None:
        self.campaign = campaign
        self.lock = lock
        self.seams = seams
        self.options = options
        self.client = seams.send.client
        self.stop = seams.send.stop
        self.path = campaign.lockfile_path
        self.outbox = Outbox(
            self.client,
            campaign.name,
            known_ids=lock.outbox_ids(),
            now=seams.send.now,
            warn=lambda message: seams.send.note(f"warning: {message}"),
        )
        self._claimed = False
        check_owner(self.path, lock, self.client.base_url, "")

    def apply(self, saved: Fingerprint | None) -> ApplyOutcome:
        reopened = self._settle()
        now = self.seams.send.now()
        plan = diff(self.campaign, self.lock, now=now, skip_invalid=self.options.skip_invalid)
        if saved is not None:
            check_batches(saved, plan)
        adopted: BatchRecord | None = None
        if _to_send(plan):
            check_before_send(
                plan, self.seams.send, self.options.allow_over_limit, self.options.outside_hours
            )  # no API call needed
            plan, adopted = self._adopt(plan, reopened)
        if _to_send(plan):
            check_account(plan, self.seams.send)
        quote = estimate(plan, self.client) if _to_send(plan) else None
        self.seams.show(plan, quote)
        if not _to_send(plan):
            with self.stop.deferred():
                self._finish_without_sending(adopted)
            return ApplyOutcome(plan, (), (), (), None, adopted=_listed(adopted))
        if quote is not None:
            for warning in quote.warnings:
                self.seams.send.note(f"warning: {warning}")
            if not self.options.allow_over_limit:
                refuse(cost_problems(plan, quote))
        if not self.seams.confirm(plan):
            raise ConfirmationRefused(f"{self.campaign.path}: not confirmed; nothing was sent")
        return self._send(plan, quote, adopted)

    def _claim(self) -> None:
        """Before the first call that may change anything: whose lockfile this is."""
        if self._claimed:
            return
        self._claimed = True
        account = self.seams.account()
        check_owner(self.path, self.lock, self.client.base_url, account)
        self.lock.api = self.lock.api or self.client.base_url
        self.lock.account = self.lock.account or account

    def _settle(self) -> int | None:
        """Fold a crashed run's journal in, and settle what it left open; the earliest attempt."""
        with self.stop.deferred():
            if journal_path(self.path).exists():
                # Make the lockfile whole first, so the ids never live only in a stray journal.
                save(self.path, self.lock, self.options.command)
            open_records = self.lock.unresolved()
            if open_records:
                self._claim()
                journal = Journal(self.path)
                try:
                    reconcile(self.lock, self.outbox, _journaled(journal), self._waits())
                finally:
                    journal.close()
                    save(self.path, self.lock, self.options.command)
        self.stop.check()
        return min((r.attempted_at for r in open_records), default=None)

    def _waits(self) -> Waits:
        send = self.seams.send
        fallback = self.client.deadline + self.options.commit_margin
        return Waits(send.now, send.sleep, send.stop, send.note, fallback)

    def _adopt(
        self, plan: CampaignPlan, reopened: int | None
    ) -> tuple[CampaignPlan, BatchRecord | None]:
        """Recipients who already got this text from this sender (the outbox says) are adopted."""
        self._claim()
        since = int(self.seams.send.now().timestamp()) - self.campaign.outbox_window
        if reopened is not None:
            since = min(since, reopened - CLOCK_SLACK)
        send = self.seams.send
        span = self.client.deadline + self.options.commit_margin
        found = find_sent(
            plan, self.outbox, since, Landing(send.now, send.sleep, send.stop, send.note, span)
        )
        if not found.rows:
            return plan, None
        record = adopted_record(self.campaign, found, int(send.now().timestamp()))
        self.lock.batches[record.key] = record
        self.outbox.know(found.ids)
        replanned = diff(
            self.campaign,
            self.lock,
            now=send.now(),
            skip_invalid=self.options.skip_invalid,
            adopted=frozenset({record.key}),
        )
        return with_note(replanned, found), record

    def _finish_without_sending(self, adopted: BatchRecord | None) -> None:
        lock = self.lock
        finished = bool(lock.batches) and not lock.unresolved() and not lock.inputs
        if finished:
            # Everyone is covered (say, the killed run had sent its last batch): finished.
            lock.inputs = inputs_digest(self.campaign)
            self._claim()
        if finished or adopted is not None:
            save(self.path, lock, self.options.command)

    def _send(
        self, plan: CampaignPlan, quote: Estimate | None, adopted: BatchRecord | None
    ) -> ApplyOutcome:
        journal = Journal(self.path)
        settings = SendSettings(
            concurrency=self.options.concurrency or spec_of(self.campaign.type).concurrency,
            max_errors=self.options.max_errors,
            commit_margin=self.options.commit_margin,
        )
        sender = Sender(plan, self.lock, journal, self.seams.send, settings, self.outbox)
        result = SendOutcome()
        with self.stop.deferred():
            try:
                if adopted is not None:
                    journal.record(journal_line(adopted))
                result = sender.run()
            finally:
                sender.attempt.close()
                journal.close()
                self._close_lock(plan, result)
        records = result.records
        return ApplyOutcome(
            plan,
            sent=tuple(r for r in records if r.state == "sent"),
            unresolved=tuple(r for r in records if r.state in ("unknown", "sending")),
            failed=tuple(r for r in records if r.state == "failed"),
            estimate=quote,
            stop_reason=result.stop_reason,
            rejections=tuple(result.rejections),
            adopted=_listed(adopted),
            not_started=result.not_started,
            stopped_by=result.stopped_by,
        )

    def _close_lock(self, plan: CampaignPlan, result: SendOutcome) -> None:
        planned = sum(1 for b in plan.batches if b.action == "send")
        records = result.records
        complete = len(records) == planned and all(r.state == "sent" for r in records)
        whole = complete and not self.lock.unresolved()
        self.lock.inputs = inputs_digest(self.campaign) if whole else ""
        save(self.path, self.lock, self.options.command)


def _journaled(journal: Journal) -> Callable[[BatchRecord], None]:
    return lambda record: journal.record(journal_line(record))


def _to_send(plan: CampaignPlan) -> bool:
    return any(b.action == "send" for b in plan.batches)


def _listed(record: BatchRecord | None) -> tuple[BatchRecord, ...]:
    return () if record is None else (record,)
