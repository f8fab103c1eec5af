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
cancelled.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from runner.api.client import IPPanelClient
from runner.api.types import OutboxRow
from runner.campaign import load_campaign
from runner.errors import ApiError, InputError, TransportError
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
from runner.models import Campaign
from runner.reconcile import reconcile
from runner.schedule import cancel_deadline, describe

CANCELLED_STATE = 7
# Outbox states after which nothing can be cancelled any more (sent, rejected, …).
FINAL_STATES = frozenset({3, 4, 6, 8, 9})
STATE_WORDS = {
    3: "was rejected by review (nothing went out)",
    4: "had invalid recipients (nothing went out)",
    6: "was already sent",
    8: "ran out of credit (nothing went out)",
    9: "failed in the system (nothing went out)",
}

Outcome = Literal["cancelled", "would cancel", "already cancelled", "not cancelled", "unknown"]
# Outcomes that leave nothing to do; anything else makes the command exit 1.
SETTLED: frozenset[str] = frozenset({"cancelled", "would cancel", "already cancelled"})


@dataclass(frozen=True)
class OutboxOutcome:
    """What became (or, in a dry run, would become) of one outbox."""

    outbox_id: int
    outcome: Outcome
    detail: str
    send_at: datetime | None = None


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

    campaign: Campaign
    batches: tuple[BatchOutcome, ...]
    dry_run: bool
    unresolved: tuple[str, ...] = ()  # batch keys a dry run could not look up first
    earlier: int = 0  # batches an earlier cancel already recorded as cancelled

    @property
    def settled(self) -> bool:
        """Nothing is left that could still go out against the user's wish."""
        return not self.unresolved and all(b.outcome in SETTLED for b in self.batches)


def cancel_campaign(
    path: Path,
    client: IPPanelClient,
    *,
    now: Callable[[], datetime],
    command: str,
    dry_run: bool = False,
) -> CancelResult:
    """Cancel (or, with ``dry_run``, look up) every scheduled outbox of one campaign."""
    campaign = load_campaign(path)
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
        if lock.unresolved():
            # A send whose outcome is unknown may be scheduled too: find its ids first.
            journal = Journal(lockpath)
            try:
                reconcile(lock, client, journal.record)
            finally:
                journal.close()
                save(lockpath, lock, command)
        elif journal_path(lockpath).exists():
            save(lockpath, lock, command)
        earlier = _earlier(lock)
        done: list[BatchOutcome] = []
        try:
            for record in _sent(lock):
                done.append(_batch(client, record, now, dry_run=False))
        finally:
            _record(lock, done, now())
            save(lockpath, lock, command)
        return CancelResult(campaign, tuple(done), False, earlier=earlier)


def _require_batches(campaign: Campaign, lock: Lock) -> None:
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
    outboxes = tuple(_outbox(client, i, now, dry_run=dry_run) for i in record.outbox_ids)
    return BatchOutcome(record.key, record.recipients, outboxes)


def _outbox(
    client: IPPanelClient, outbox_id: int, now: Callable[[], datetime], *, dry_run: bool
) -> OutboxOutcome:
    """Look one outbox up, and cancel it if it still can be."""
    try:
        row = client.outbox_by_id(outbox_id)
    except ApiError as err:
        return OutboxOutcome(outbox_id, "unknown", f"could not look it up ({_short(err)})")
    send_at = _send_time(row)
    refusal = _not_cancellable(row, send_at, now())
    if refusal is not None:
        return refusal
    if dry_run:
        assert send_at is not None  # _not_cancellable refuses outboxes without a send time
        until = describe(cancel_deadline(send_at)).short
        return OutboxOutcome(outbox_id, "would cancel", f"cancellable until {until}", send_at)
    try:
        client.cancel(outbox_id)
    except ApiError as err:
        return _after_failed_cancel(client, outbox_id, err, send_at)
    return OutboxOutcome(outbox_id, "cancelled", "cancelled", send_at)


def _not_cancellable(
    row: OutboxRow, send_at: datetime | None, now: datetime
) -> OutboxOutcome | None:
    """Why ``row`` cannot be cancelled (already cancelled, sent, too late), or None."""
    if row.state_id == CANCELLED_STATE:
        return OutboxOutcome(row.outbox_id, "already cancelled", "already cancelled", send_at)
    if row.state_id in FINAL_STATES:
        words = STATE_WORDS.get(row.state_id or 0, f"is in final state {row.state_id}")
        return OutboxOutcome(row.outbox_id, "not cancelled", words, send_at)
    if send_at is None:
        return OutboxOutcome(
            row.outbox_id, "not cancelled", "has no send time: it goes out at once"
        )
    deadline = cancel_deadline(send_at)
    if now > deadline:
        return OutboxOutcome(
            row.outbox_id,
            "not cancelled",
            f"goes out at {describe(send_at).short}; it could be cancelled only until "
            f"{describe(deadline).short}, 5 minutes before",
            send_at,
        )
    return None


def _after_failed_cancel(
    client: IPPanelClient, outbox_id: int, err: ApiError, send_at: datetime | None
) -> OutboxOutcome:
    """The cancel failed or its answer was lost: ask the API what the outbox's state is now."""
    try:
        row = client.outbox_by_id(outbox_id)
    except ApiError as lookup:
        return OutboxOutcome(
            outbox_id,
            "unknown",
            f"the cancel failed ({_short(err)}) and the look-up too ({_short(lookup)}); "
            "it may still go out",
            send_at,
        )
    if row.state_id == CANCELLED_STATE:
        return OutboxOutcome(outbox_id, "cancelled", "cancelled (confirmed by a look-up)", send_at)
    if row.state_id in FINAL_STATES:
        words = STATE_WORDS.get(row.state_id or 0, f"is in final state {row.state_id}")
        return OutboxOutcome(outbox_id, "not cancelled", f"the API refused: it {words}", send_at)
    if err.status in (404, 405):
        # Still in time by its send time, yet refused: an API without the cancel endpoint
        # (the original document lacks it), or one that stopped taking cancels earlier.
        return OutboxOutcome(
            outbox_id,
            "not cancelled",
            f"the API refused to cancel it ({_short(err)}) although it is still 5 minutes or "
            "more before its send time; this API may have no cancel endpoint: it goes out "
            "unless you cancel it in the IPPanel panel (Reports → Outbox)",
            send_at,
        )
    maybe = "its answer was lost" if isinstance(err, TransportError) else "it failed"
    return OutboxOutcome(
        outbox_id,
        "unknown",
        f"the cancel was sent but {maybe} ({_short(err)}), and the API does not show the outbox "
        "cancelled: it may still go out",
        send_at,
    )


def _send_time(row: OutboxRow) -> datetime | None:
    # An outbox sent at once reports its creation time as its send time.
    if row.send_at is None or (row.created_at is not None and row.send_at <= row.created_at):
        return None
    return datetime.fromtimestamp(row.send_at, timezone.utc)


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


def _short(err: ApiError) -> str:
    return str(err).splitlines()[0][:200]
