"""One batch's attempt: the look before a re-send, the write-ahead record, the POST, the answer.

``Attempt.send`` runs on the sender's threads (``runner.executor``), one batch at a time:

1. A batch tried before (its key is in the lockfile) waits until the API's 40-second
   identical-request window is over and its earlier POST can no longer be stored
   (``settles_at``), then looks in the account's outbox once more — right before the
   re-send, never before the wait. Found → its ids are adopted, nothing is sent.
2. ``sending`` is journaled, on disk, before the POST starts.
3. The answer decides the state:
   - ``sent``: the API's envelope with as many outbox ids as the request creates;
   - ``failed`` (surely not sent, planned again): no connection was ever made, or the
     API's own envelope refused the request (a 4xx other than 429);
   - ``unknown`` (looked up before anything is sent again): everything else — a
     timeout or the overall deadline, a dropped connection, a 5xx, a 429, an answer
     that is not the API's JSON envelope (a gateway's page, an empty body, any
     status), a 200 with the wrong number of outbox ids.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import replace
from typing import Any, Literal

from runner.batching import request_body
from runner.errors import (
    ApiError,
    AuthenticationError,
    ConnectFailed,
    RateLimitedError,
)
from runner.lockfile import (
    BatchRecord,
    Journal,
    Lock,
    State,
    forget_line,
    journal_line,
    pack_digests,
    recipient_digest,
)
from runner.models import Batch, CampaignPlan
from runner.outbox import CLOCK_SLACK, Adoption, Outbox, adopted_record, text_digests
from runner.rejections import explain, refused
from runner.send_seams import Finished, SendSeams, SendSettings
from runner.sending_types import expected_outbox_ids
from runner.stopping import pause

# The API answers 429 to an identical request within 40 s; a re-send waits that long.
IDENTICAL_REQUEST_WINDOW = 40
# A ``sending`` line written ahead (``prepare``) may precede its POST by this much at
# most; older, the line is written again with the time of the POST.
PREPARED_SLACK = 2


class Attempt:
    """Sends single batches for a ``Sender``, keeping the lock and the journal in step."""

    def __init__(
        self,
        plan: CampaignPlan,
        lock: Lock,
        journal: Journal,
        seams: SendSeams,
        settings: SendSettings,
        outbox: Outbox,
    ) -> None:
        self.plan = plan
        self.lock = lock
        self.journal = journal
        self.seams = seams
        self.settings = settings
        self.outbox = outbox
        self._guard = threading.Lock()
        self._closed = False
        self._posting: dict[int, float] = {}  # batch number → when its POST started

    def prepare(self, batch: Batch) -> BatchRecord | None:
        """Write ``batch``'s ``sending`` line ahead of its POST (the caller fsyncs a group).

        None for a batch tried before: that one waits and looks first (``send``).
        """
        with self._guard:
            if batch.key in self.lock.batches:
                return None
        record = self._record(batch, slack=PREPARED_SLACK)
        return record if self._save(record, durable=False) else None

    def sync(self) -> None:
        """Make the lines written so far durable (one fsync for a group of ``prepare``)."""
        self.journal.sync()

    def withdraw(self, batch: Batch) -> None:
        """Take back a ``prepare``d line whose POST never started."""
        with self._guard:
            if self._closed:
                return
            self.lock.batches.pop(batch.key, None)
        self.journal.record(forget_line(batch.key), durable=False)

    def send(self, item: tuple[int, Batch], prepared: BatchRecord | None = None) -> Finished:
        """Send one batch (or adopt it, when it turns out to be in the outbox already).

        ``prepared``: its ``sending`` line, written and synced ahead by the caller.
        """
        number, batch = item
        if self.seams.stop.requested:
            if prepared is not None:
                self.withdraw(batch)
            return Finished(number, batch, None)
        if prepared is not None and self._now() - prepared.attempted_at <= PREPARED_SLACK:
            record = prepared
        else:
            if prepared is None:
                with self._guard:
                    earlier = self.lock.batches.get(batch.key)
                if earlier is not None and earlier.attempted_at:
                    looked = self._look_before_resend(batch, earlier)
                    if looked != "send":
                        return Finished(number, batch, None if looked == "stopped" else looked)
            record = self._record(batch)
            if self.seams.stop.requested or not self._save(record, durable=True):
                return Finished(number, batch, None)
        body = request_body(batch, file_name=f"{self.plan.campaign.name}-{number:04d}.csv")
        try:
            outbox_ids = self._post(number, body)
        except ApiError as err:
            return self._refused(number, batch, record, err, body)
        return Finished(number, batch, self._answered(batch, record, outbox_ids))

    def settles_at(self, attempted_at: int) -> int:
        """When a send begun at ``attempted_at`` can no longer be stored by the API."""
        extra = self.seams.client.deadline + self.settings.commit_margin
        return attempted_at + math.ceil(extra)

    def abandon(self, batch: Batch, why: str) -> BatchRecord | None:
        """Record a send still in flight at a stop as ``unknown``; None if it never began."""
        with self._guard:
            record = self.lock.batches.get(batch.key)
        if record is None or record.state != "sending":
            return None
        record = replace(record, state="unknown", error=why)
        self._save(record, durable=True)
        return record

    def close(self) -> None:
        """From now on nothing is recorded: a send that outlives the run is looked up later."""
        with self._guard:
            self._closed = True

    def _now(self) -> int:
        return int(self.seams.now().timestamp())

    def _record(self, batch: Batch, slack: int = 0) -> BatchRecord:
        name = self.plan.campaign.name
        phones = (p for m in batch.messages for p in m.recipients)
        now = self._now()
        return BatchRecord(
            key=batch.key,
            state="sending",
            sending_type=batch.sending_type,
            sender=self.plan.campaign.sender or "",
            recipients=batch.recipient_count,
            digests=pack_digests(recipient_digest(name, p) for p in phones),
            attempted_at=now,
            texts=text_digests(batch),
            settles_at=self.settles_at(now + slack),
        )

    def _save(self, record: BatchRecord, *, durable: bool) -> bool:
        with self._guard:
            if self._closed:
                return False
            self.lock.batches[record.key] = record
        self.journal.record(journal_line(record), durable=durable)
        return True

    def _post(self, number: int, body: dict[str, Any]) -> tuple[int, ...]:
        client = self.seams.client
        with self._guard:
            self._posting[number] = time.monotonic()
        try:
            # On the sender's own thread: it keeps the deadline (``overdue``).
            if "form" in body:
                files = [(f["name"], str(f["content"])) for f in body["files"]]
                return client.send_multipart(body["form"], files, own_thread=True).outbox_ids
            return client.send(body, own_thread=True).outbox_ids
        finally:
            with self._guard:
                self._posting.pop(number, None)

    def overdue(self) -> list[int]:
        """The batches (by number) whose POST is older than the client's deadline."""
        expired = time.monotonic() - self.seams.client.deadline
        with self._guard:
            return [n for n, started in self._posting.items() if started < expired]

    def give_up(self, batch: Batch) -> BatchRecord | None:
        """A POST past its deadline is ``unknown`` (its thread is left to end on its own);
        what the lockfile holds for it, if the answer came after all."""
        deadline = self.seams.client.deadline
        given_up = self.abandon(
            batch,
            f"RequestTimedOut: no complete answer within {deadline:g} s; it may have arrived",
        )
        if given_up is not None:
            return given_up
        with self._guard:
            return self.lock.batches.get(batch.key)

    def _refused(
        self, number: int, batch: Batch, record: BatchRecord, err: ApiError, body: dict[str, Any]
    ) -> Finished:
        state, settled = _state_after(err)
        settles_at = self._now() if settled else record.settles_at
        record = replace(record, state=state, error=_describe(err), settles_at=settles_at)
        self._save(record, durable=False)
        throttle = None
        if isinstance(err, RateLimitedError) and err.enveloped:
            throttle = err.retry_after or 0.0
        fatal = str(err) if isinstance(err, AuthenticationError) else ""
        found = explain(err, self.plan.campaign, body) if refused(err) else []
        return Finished(number, batch, record, throttle, fatal, tuple(found))

    def _answered(
        self, batch: Batch, record: BatchRecord, outbox_ids: tuple[int, ...]
    ) -> BatchRecord:
        expected = expected_outbox_ids(batch)
        if len(outbox_ids) == expected:
            record = replace(record, state="sent", outbox_ids=outbox_ids)
        else:
            # Evidence kept, but not trusted: the next run looks the batch up.
            record = replace(
                record,
                state="unknown",
                outbox_ids=outbox_ids,
                settles_at=self._now(),
                error=f"the API answered with {len(outbox_ids)} outbox id(s) for a request "
                f"that creates {expected}",
            )
        self._save(record, durable=False)
        return record

    def _look_before_resend(
        self, batch: Batch, earlier: BatchRecord
    ) -> BatchRecord | Literal["send", "stopped"]:
        """Before sending a batch again: wait, then look; what was found, or what to do."""
        window = IDENTICAL_REQUEST_WINDOW + PREPARED_SLACK  # its POST came up to that late
        ready = max(earlier.attempted_at + window, earlier.settles_at)
        wait = ready - self.seams.now().timestamp()
        if wait > 0:
            self.seams.note(
                f"waiting {wait:.0f} s before sending batch {batch.key} again: the API treats "
                f"an identical request within {IDENTICAL_REQUEST_WINDOW} s as a duplicate (429), "
                "and may still be storing the earlier one; then its outbox is checked once more"
            )
            if not pause(wait, self.seams.sleep, self.seams.stop):
                return "stopped"
        sender = self.plan.campaign.sender or ""
        since = earlier.attempted_at - CLOCK_SLACK
        found = self.outbox.already_sent([batch], sender, since, fresh_after=ready)
        if not found.rows:
            return "send"
        self.outbox.know(found.ids)
        return self._adopt(batch, earlier, found)

    def _adopt(self, batch: Batch, earlier: BatchRecord, found: Adoption) -> BatchRecord:
        """The batch is in the outbox already: all of it (sent), or part of it (failed)."""
        everyone = {p for m in batch.messages for p in m.recipients}
        record = replace(self._record(batch), attempted_at=earlier.attempted_at, settles_at=0)
        if found.phones >= everyone:
            adopted = replace(
                record,
                state="sent",
                outbox_ids=found.ids,
                error="found in the account's outbox right before sending it again; ids adopted",
            )
            self._save(adopted, durable=True)
            return adopted
        self._save(adopted_record(self.plan.campaign, found, self._now()), durable=True)
        partly = replace(
            record,
            state="failed",
            error=f"partly found in the account's outbox (outboxes {_ids(found.ids)}); "
            "its other recipients are planned again",
        )
        self._save(partly, durable=True)
        return partly


def _state_after(err: ApiError) -> tuple[State, bool]:
    """The state after an error, and whether the API can no longer store the send."""
    if isinstance(err, ConnectFailed):
        return "failed", True
    if not err.enveloped:
        return "unknown", False  # a gateway's answer says nothing about the API
    if isinstance(err, RateLimitedError):
        return "unknown", True  # answered: only the identical-request window remains
    if 400 <= err.status < 500:
        return "failed", True
    return "unknown", False


def _describe(err: ApiError) -> str:
    return f"{type(err).__name__}: {err}".splitlines()[0][:300]


def _ids(ids: tuple[int, ...]) -> str:
    return ", ".join(str(i) for i in ids[:10]) + (" …" if len(ids) > 10 else "")
