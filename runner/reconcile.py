"""Settle batches whose send may or may not have happened, before anything new is sent.

A batch left ``unknown`` (a timeout, a dropped connection, a 5xx, a 429, a gateway's
answer, the wrong number of ids) or ``sending`` (the run died mid-POST) is never
taken for "not sent" while the API may still store it: reconciliation first waits
until its ``settles_at`` (attempt + the client's deadline + the commit margin), then
looks it up in the account's outbox (``Outbox.settle``):

- rows with its sender and text whose recipients are exactly the batch's → their ids
  are adopted (``sent``);
- anything else → ``failed``: its recipients are planned again, and what the outbox
  shows of them (a partial match, another run's send) is adopted recipient by
  recipient before anything goes out (``Outbox.already_sent``); a re-send of the same
  batch looks once more right before it goes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from runner.api.client import IPPanelClient
from runner.errors import RunnerError
from runner.lockfile import BatchRecord, Journal, Lock, journal_line
from runner.outbox import Outbox
from runner.stopping import Stop, pause

# How long after the client gave up on a send the API may still store it (``--commit-margin``).
COMMIT_MARGIN = 30.0


class UnsettledBatch(RunnerError):
    """A send's outcome is unknown and the API cannot say: a person must decide."""


@dataclass(frozen=True)
class Settled:
    """What reconciliation decided for one batch."""

    key: str
    state: str
    outbox_ids: tuple[int, ...]
    detail: str


@dataclass(frozen=True)
class Waits:
    """How to wait for the API to be done with a send: the seams and the fallback span."""

    now: Callable[[], datetime]
    sleep: Callable[[float], None]
    stop: Stop
    note: Callable[[str], None]
    # For records written before ``settles_at`` existed: the client's deadline + margin.
    fallback: float


def reconcile(
    lock: Lock, outbox: Outbox, save: Callable[[BatchRecord], None], waits: Waits
) -> list[Settled]:
    """Settle every unresolved batch in ``lock``, saving each decision as it is made.

    Returns early (settling nothing more) when a stop is requested during the wait.
    """
    records = sorted(lock.unresolved(), key=lambda r: r.key)
    if not records:
        return []
    ready = max(_settles_at(r, waits.fallback) for r in records)
    if not _wait_until(ready, records, waits):
        return []
    settled: list[Settled] = []
    for record in records:
        updated = _decide(record, outbox, ready, int(waits.now().timestamp()))
        save(updated)
        lock.batches[record.key] = updated
        settled.append(Settled(record.key, updated.state, updated.outbox_ids, updated.error))
    return settled


def _decide(record: BatchRecord, outbox: Outbox, ready: int, now: int) -> BatchRecord:
    """``record`` settled: its ids found in the account's outbox (sent), or not there (failed)."""
    ids = outbox.settle(record, fresh_after=ready)
    if outbox.missing:
        raise UnsettledBatch(
            f"batch {record.key} ({record.recipients} recipient(s)) may have been sent, "
            f"and {outbox.missing} to look it up. Nothing more was sent. Check the "
            "IPPanel panel (Reports → Outbox) and record what you find: `ippanel-run "
            f"resolve CAMPAIGN {record.key} --sent ID...` or `--not-sent`."
        )
    if ids:
        outbox.know(ids)
        return replace(
            record, state="sent", outbox_ids=ids, error="found in the account's outbox; ids adopted"
        )
    return replace(
        record,
        state="failed",
        outbox_ids=(),
        error=f"not in the account's outbox {now - record.attempted_at} s after the attempt; "
        "planned again",
    )


def settle_unresolved(
    lock: Lock,
    client: IPPanelClient,
    journal: Journal,
    *,
    now: Callable[[], datetime],
    sleep: Callable[[float], None],
    note: Callable[[str], None] = lambda message: None,
) -> list[Settled]:
    """``reconcile`` for commands other than apply (``cancel``): one run, default margin."""
    outbox = Outbox(client, lock.campaign, known_ids=lock.outbox_ids(), now=now)
    waits = Waits(now, sleep, Stop(), note, client.deadline + COMMIT_MARGIN)
    return reconcile(lock, outbox, lambda record: journal.record(journal_line(record)), waits)


def _settles_at(record: BatchRecord, fallback: float) -> int:
    return record.settles_at or record.attempted_at + math.ceil(fallback)


def _wait_until(ready: int, records: list[BatchRecord], waits: Waits) -> bool:
    """Wait until ``ready`` (unix time); False if a stop came first."""
    left = ready - waits.now().timestamp()
    if left <= 0:
        return True
    at = datetime.fromtimestamp(ready, timezone.utc).strftime("%H:%M:%S UTC")
    waits.note(
        f"{len(records)} batch(es) may still be stored by the API (a send was in its hands "
        f"when the last run ended); looking them up in the account's outbox at {at}, in "
        f"{math.ceil(left)} s"
    )
    return pause(left, waits.sleep, waits.stop)
