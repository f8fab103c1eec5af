"""Cancel a campaign's scheduled sends: every outbox still at least 5 minutes before its time.

For each batch the lockfile records as ``sent``, each outbox id is looked up
(``report/by_bulk``: its state and send time, the API being the source of truth)
and, if it can still be cancelled, ``POST /api/send/cancel`` is made for it, one
request per id. A batch whose every outbox is confirmed cancelled is recorded as
``cancelled`` (under a key of its own: ``lockfile.cancelled_key``), so the next
apply plans its recipients again.

Exactly once, in reverse: a batch is recorded as cancelled only when the API says
so — a success answer, or ``state_id`` 7 on a look-up. A cancel whose answer was
lost (timeout, dropped connection, 5xx, 429) is looked up, never guessed: if the
outbox is not shown cancelled it is reported ``unknown`` (it may still go out) and
the lockfile keeps it as sent, so its recipients are never sent to twice. Running
``cancel`` again settles it. Decisions are saved when the run ends, even when it is
interrupted; a run killed before that leaves the lockfile saying ``sent``, which
under-sends rather than double-sends, and the next ``cancel`` finds the outboxes
cancelled. One outbox's look-up and cancel are ``runner.cancel_outbox``'s.

A campaign file being fixed may not validate: its name then comes from its lockfile,
so the send can still be stopped.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from runner.api.client import IPPanelClient
from runner.campaign import load_campaign
from runner.cancel_outbox import SETTLED, OutboxOutcome, Outcome, cancel_outbox
from runner.errors import InputError
from runner.lockfile import (
    BatchRecord,
    Journal,
    Lock,
    cancelled_key,
    exclusive,
    journal_path,
    load,
    save,
)
from runner.models import sandbox_stem
from runner.reconcile import settle_unresolved

NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")


@dataclass(frozen=True)
class BatchOutcome:
    """One lockfile batch and what cancelling it did."""

    key: str
    recipients: int
    outboxes: tuple[OutboxOutcome, ...]

    @property
    def outcome(self) -> Outcome:
        """The batch's outcome: its outboxes' when they agree, else the one needing action."""
        found = {o.outcome for o in self.outboxes}
        if not found:
            return "unknown"  # a sent batch without outbox ids: nothing to look up
        for worst in ("unknown", "not cancelled", "would cancel", "cancelled"):
            if worst in found:
                return worst
        return "already cancelled"

    @property
    def confirmed(self) -> bool:
        """Every outbox is cancelled, as the API confirmed: the batch goes to ``cancelled``."""
        return all(o.outcome in ("cancelled", "already cancelled") for o in self.outboxes)

    @property
    def send_at(self) -> datetime | None:
        return min((o.send_at for o in self.outboxes if o.send_at), default=None)


@dataclass(frozen=True)
class CancelResult:
    """Everything one ``cancel`` of one campaign found and did."""

    campaign: Target
    batches: tuple[BatchOutcome, ...]
    dry_run: bool
    unresolved: tuple[str, ...] = ()  # batch keys a dry run could not look up first
    earlier: int = 0  # batches an earlier cancel already recorded as cancelled

    @property
    def settled(self) -> bool:
        """Nothing is left that could still go out against the user's wish."""
        return not self.unresolved and all(b.outcome in SETTLED for b in self.batches)


@dataclass(frozen=True)
class Target:
    """The campaign being cancelled: its name and file (its lockfile is beside it, or in
    the sandbox's folder for a ``--sandbox`` run: ``sandbox``)."""

    name: str
    path: Path
    sandbox: Path | None = None

    @property
    def lockfile_path(self) -> Path:
        if self.sandbox is not None:
            stem = sandbox_stem(self.sandbox, self.path)
            return stem.with_name(stem.name + ".lock.json")
        return self.path.with_name(self.path.stem + ".lock.json")


def target(path: Path, sandbox: Path | None = None) -> Target:
    """The campaign's name from its file or, while the file is being fixed and does not
    validate, from its lockfile: a broken campaign must still be cancellable."""
    try:
        return Target(load_campaign(path).name, path, sandbox)
    except InputError:
        recorded = _recorded_name(Target("", path, sandbox).lockfile_path)
        if recorded is None:
            raise
        return Target(recorded, path, sandbox)


def _recorded_name(lockpath: Path) -> str | None:
    try:
        data = json.loads(lockpath.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = data.get("campaign") if isinstance(data, dict) else None
    return name if isinstance(name, str) and NAME.fullmatch(name) else None


def cancel_campaign(
    path: Path,
    client: IPPanelClient,
    *,
    now: Callable[[], datetime],
    command: str,
    dry_run: bool = False,
    sandbox: Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> CancelResult:
    """Cancel (or, with ``dry_run``, look up) every scheduled outbox of one campaign.

    ``sandbox``: the sandbox's folder, where ``--sandbox`` runs keep their lockfiles.
    """
    campaign = target(path, sandbox)
    lockpath = campaign.lockfile_path
    if dry_run:
        lock = load(lockpath, campaign.name)
        _require_batches(campaign, lock)
        unresolved = tuple(sorted(r.key for r in lock.unresolved()))
        outcomes = tuple(_batch(client, r, now, dry_run=True) for r in _sent(lock))
        return CancelResult(campaign, outcomes, True, unresolved, _earlier(lock))
    with exclusive(lockpath):
        lock = load(lockpath, campaign.name)
        _require_batches(campaign, lock)
        _settle(lockpath, lock, client, command=command, now=now, sleep=sleep)
        earlier = _earlier(lock)
        done: list[BatchOutcome] = []
        try:
            for record in _sent(lock):
                done.append(_batch(client, record, now, dry_run=False))
        finally:
            _record(lock, done, now())
            save(lockpath, lock, command)
        return CancelResult(campaign, tuple(done), False, earlier=earlier)


def _settle(
    lockpath: Path,
    lock: Lock,
    client: IPPanelClient,
    *,
    command: str,
    now: Callable[[], datetime],
    sleep: Callable[[float], None],
) -> None:
    """Before cancelling: settle the sends a run left unknown, and fold in its journal."""
    if lock.unresolved():
        # A send whose outcome is unknown may be scheduled too: find its ids first.
        journal = Journal(lockpath)
        try:
            settle_unresolved(lock, client, journal, now=now, sleep=sleep)
        finally:
            journal.close()
            save(lockpath, lock, command)
    elif journal_path(lockpath).exists():
        save(lockpath, lock, command)


def _require_batches(campaign: Target, lock: Lock) -> None:
    if not lock.batches:
        raise InputError(
            f"{campaign.path}: nothing to cancel: {campaign.lockfile_path.name} records no "
            "send (the campaign was never applied)"
        )


def _earlier(lock: Lock) -> int:
    return sum(1 for r in lock.batches.values() if r.state == "cancelled")


def _sent(lock: Lock) -> list[BatchRecord]:
    """Batches that went to the API, in the order they were sent."""
    sent = [r for r in lock.batches.values() if r.state == "sent"]
    return sorted(sent, key=lambda r: (r.attempted_at, min(r.outbox_ids, default=0), r.key))


def _batch(
    client: IPPanelClient, record: BatchRecord, now: Callable[[], datetime], *, dry_run: bool
) -> BatchOutcome:
    outboxes = tuple(cancel_outbox(client, i, now, dry_run=dry_run) for i in record.outbox_ids)
    return BatchOutcome(record.key, record.recipients, outboxes)


def _record(lock: Lock, outcomes: Iterable[BatchOutcome], now: datetime) -> None:
    """Move every fully cancelled batch to ``cancelled``; the campaign is no longer finished."""
    stamp = now.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    for outcome in outcomes:
        if not outcome.confirmed or not outcome.outboxes:
            continue
        record = lock.batches.pop(outcome.key)
        cancelled = dataclasses.replace(
            record,
            state="cancelled",
            error=f"cancelled by ippanel-run cancel at {stamp} (batch {record.key})",
        )
        lock.batches[cancelled_key(record)] = cancelled
        lock.inputs = ""
