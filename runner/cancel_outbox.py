"""One outbox of a cancel: look it up, cancel it if it still can be, and say what became of it.

``cancel_outbox`` asks ``report/by_bulk`` for the outbox's state and send time; an
outbox at least 5 minutes before its send time gets one ``POST /api/send/cancel``.
An answer that is not a plain success is never guessed at: the outbox is looked up
again, and only ``state_id`` 7 counts as cancelled (see ``runner.cancel``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from runner.api.client import IPPanelClient
from runner.api.envelope import missing_endpoint
from runner.api.types import OutboxRow
from runner.errors import ApiError, TransportError
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


def cancel_outbox(
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
    if missing_endpoint(err):
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


def _short(err: ApiError) -> str:
    return str(err).splitlines()[0][:200]
