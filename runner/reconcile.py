"""Settle batches whose send may or may not have happened, before anything new is sent.

A batch left ``unknown`` (timeout, dropped connection, 5xx, 429) or ``sending``
(the process died mid-POST) is looked up in ``report/new_list`` — same sender,
created around the attempt — and each candidate outbox's recipients
(``report/recipients``) are compared with the batch's recipient digests:

- the candidates cover the batch exactly, without overlapping → adopt their ids (``sent``);
- no candidate holds any of its recipients → it never went out (``failed``; sent again);
- anything else (two outboxes with the same recipients, a partial match) → stop and
  say which outboxes to check: guessing could send twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from runner.api.client import IPPanelClient
from runner.api.types import OutboxRow
from runner.errors import RunnerError
from runner.lockfile import (
    BatchRecord,
    Lock,
    State,
    recipient_digest,
    text_digest,
    unpack_digests,
)
from runner.recipients import InvalidNumber, normalize_phone

# How far around the recorded attempt to look: clocks differ, and queues are slow.
WINDOW_BEFORE = 10 * 60
WINDOW_AFTER = 30 * 60


class AmbiguousBatch(RunnerError):
    """The API shows outboxes that may or may not be this batch; a person must decide."""


@dataclass(frozen=True)
class Settled:
    """What reconciliation decided for one batch."""

    key: str
    state: str
    outbox_ids: tuple[int, ...]
    detail: str


def reconcile(
    lock: Lock, client: IPPanelClient, save: Callable[[BatchRecord], None]
) -> list[Settled]:
    """Settle every unresolved batch in ``lock``, saving each decision as it is made."""
    settled: list[Settled] = []
    for record in sorted(lock.unresolved(), key=lambda r: r.key):
        outcome = _settle(lock, record, client)
        new_state: State = "sent" if outcome.outbox_ids else "failed"
        updated = replace(
            record, state=new_state, outbox_ids=outcome.outbox_ids, error=outcome.detail
        )
        save(updated)
        lock.batches[record.key] = updated
        settled.append(outcome)
    return settled


def _settle(lock: Lock, record: BatchRecord, client: IPPanelClient) -> Settled:
    wanted = unpack_digests(record.digests)
    # Another campaign may have gone to the same people at the same time: match texts too.
    texts = unpack_digests(record.texts) if record.texts else None
    known = lock.outbox_ids()
    filters: dict[str, Any] = {
        "create_from_date": str(record.attempted_at - WINDOW_BEFORE),
        "create_to_date": str(record.attempted_at + WINDOW_AFTER),
    }
    if record.sender:
        filters["number"] = record.sender
    matches: list[tuple[OutboxRow, set[bytes]]] = []
    for row in client.iter_outbox(**filters):
        if row.outbox_id in known or row.recipients > record.recipients:
            continue
        if texts is not None and text_digest(row.message) not in texts:
            continue
        got = _digests(lock.campaign, client, row.outbox_id)
        if got & wanted:
            matches.append((row, got))
    if not matches:
        return Settled(record.key, "failed", (), "not found in the API's outbox; sent again")
    covered: set[bytes] = set()
    overlap = False
    for _, got in matches:
        overlap |= bool(covered & got)
        covered |= got
    ids = tuple(sorted(row.outbox_id for row, _ in matches))
    if covered == wanted and not overlap:
        return Settled(record.key, "sent", ids, "found in the API's outbox; ids adopted")
    raise AmbiguousBatch(_ambiguity(record, matches, wanted))


def _digests(campaign: str, client: IPPanelClient, outbox_id: int) -> set[bytes]:
    found: set[bytes] = set()
    for row in client.recipients(outbox_id):
        try:
            found.add(recipient_digest(campaign, normalize_phone(row.recipient)))
        except InvalidNumber:
            continue
    return found


def _ambiguity(
    record: BatchRecord, matches: list[tuple[OutboxRow, set[bytes]]], wanted: set[bytes]
) -> str:
    lines = [
        f"batch {record.key} ({record.recipients} recipients, {record.sending_type} from "
        f"{record.sender or 'the voice line'}) may have been sent, but the API's outbox does not "
        "say so unambiguously:"
    ]
    for row, got in matches:
        lines.append(
            f"  outbox {row.outbox_id}: {len(got & wanted)} of its {row.recipients} recipients "
            f"are in this batch (state {row.state_id}, created {row.created_at})"
        )
    lines.append(
        "Check these outboxes in the IPPanel panel (Reports → Outbox). Nothing more was sent. "
        f"Then record the answer: `ippanel-run resolve CAMPAIGN {record.key} --sent ID...` "
        "if they are this batch, or `--not-sent` to send it again."
    )
    return "\n".join(lines)
