"""The one loop with side effects: write-ahead, send, record.

For each batch the plan says to send: journal it as ``sending`` (fsynced) → POST
→ journal ``sent`` with its outbox ids. Only a connection that was never made is
retried, and the client does that itself; a timeout, a dropped connection, a 5xx
or a 429 leaves the batch ``unknown`` for ``reconcile`` to settle on the next run.
A 4xx other than 429 means the API refused the request, so it surely did not send:
the batch is ``failed`` and its recipients are planned again next time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from runner.api.client import IPPanelClient
from runner.errors import (
    ApiError,
    AuthenticationError,
    ConnectFailed,
    RateLimitedError,
    RequestTimedOut,
    ServerError,
    TransportError,
    Violation,
)
from runner.lockfile import (
    BatchRecord,
    Journal,
    Lock,
    State,
    pack_digests,
    recipient_digest,
    text_digest,
)
from runner.models import Batch, CampaignPlan
from runner.planner import request_body
from runner.rejections import explain, refused

# The API answers 429 to an identical request within 40 s; a re-send waits that long.
IDENTICAL_REQUEST_WINDOW = 40


@dataclass(frozen=True)
class Progress:
    """One event for the progress display: a batch finished in ``state``."""

    key: str
    state: str
    recipients: int
    outbox_ids: tuple[int, ...]
    error: str


@dataclass(frozen=True)
class SendSeams:
    """The injected side effects of a send run."""

    client: IPPanelClient
    now: Callable[[], datetime]
    sleep: Callable[[float], None]
    progress: Callable[[Progress], None]
    note: Callable[[str], None] = lambda message: None


class Sender:
    """Sends a plan's batches with bounded concurrency; the lock stays right under it."""

    def __init__(self, plan: CampaignPlan, lock: Lock, journal: Journal, seams: SendSeams) -> None:
        self.plan = plan
        self.lock = lock
        self.journal = journal
        self.seams = seams
        self._guard = threading.Lock()
        self.errors = 0
        self.stop_reason = ""
        # The API's validation errors, located in the campaign and its data files.
        self.rejections: list[Violation] = []

    def run(self, *, concurrency: int, max_errors: int) -> list[BatchRecord]:
        """Send every ``send`` batch; stop submitting after ``max_errors`` errors."""
        numbered = enumerate(self.plan.batches, start=1)
        todo = iter([(n, b) for n, b in numbered if b.action == "send"])
        done: list[BatchRecord] = []
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            running: set[Future[BatchRecord]] = set()
            for batch in self._while_healthy(todo, max_errors):
                running.add(pool.submit(self._send_one, batch))
                if len(running) >= concurrency:
                    finished, running = wait(running, return_when=FIRST_COMPLETED)
                    done.extend(f.result() for f in finished)
            finished, _ = wait(running)
            done.extend(f.result() for f in finished)
        return done

    def _while_healthy(
        self, batches: Iterator[tuple[int, Batch]], max_errors: int
    ) -> Iterator[tuple[int, Batch]]:
        for item in batches:
            with self._guard:
                if self.stop_reason or self.errors >= max_errors:
                    return
            yield item

    def _send_one(self, item: tuple[int, Batch]) -> BatchRecord:
        number, batch = item
        self._respect_identical_window(batch.key)
        record = self._record(batch)
        body = request_body(batch, file_name=f"{self.plan.campaign.name}-{number:04d}.csv")
        self._save(record)
        try:
            outbox_ids = self._post(body)
        except ApiError as err:
            record = replace(record, state=_state_after(err), error=_describe(err))
            found = explain(err, self.plan.campaign, body) if refused(err) else []
            with self._guard:
                self.errors += 1
                self.rejections.extend(found)
                if isinstance(err, AuthenticationError):
                    self.stop_reason = str(err)
        else:
            record = replace(record, state="sent", outbox_ids=outbox_ids)
        self._save(record)
        self.seams.progress(
            Progress(record.key, record.state, record.recipients, record.outbox_ids, record.error)
        )
        return record

    def _record(self, batch: Batch) -> BatchRecord:
        name = self.plan.campaign.name
        phones = (p for m in batch.messages for p in m.recipients)
        return BatchRecord(
            key=batch.key,
            state="sending",
            sending_type=batch.sending_type,
            sender=self.plan.campaign.sender or "",
            recipients=batch.recipient_count,
            digests=pack_digests(recipient_digest(name, p) for p in phones),
            attempted_at=int(self.seams.now().timestamp()),
            texts=pack_digests({text_digest(m.text) for m in batch.messages if m.text}),
        )

    def _save(self, record: BatchRecord) -> None:
        with self._guard:
            self.lock.batches[record.key] = record
            self.journal.record(record)

    def _post(self, body: dict[str, Any]) -> tuple[int, ...]:
        client = self.seams.client
        if "form" in body:
            files = [(f["name"], str(f["content"])) for f in body["files"]]
            return client.send_multipart(body["form"], files).outbox_ids
        return client.send(body).outbox_ids

    def _respect_identical_window(self, key: str) -> None:
        with self._guard:
            earlier = self.lock.batches.get(key)
        if earlier is None or not earlier.attempted_at:
            return
        waited = self.seams.now().timestamp() - earlier.attempted_at
        if waited < IDENTICAL_REQUEST_WINDOW:
            pause = IDENTICAL_REQUEST_WINDOW - waited
            self.seams.note(
                f"waiting {pause:.0f} s before sending batch {key} again: the API treats an "
                f"identical request within {IDENTICAL_REQUEST_WINDOW} s as a duplicate (429)"
            )
            self.seams.sleep(pause)


def _state_after(err: ApiError) -> State:
    """``failed`` only when the request surely did not send; otherwise ``unknown``."""
    if isinstance(err, ConnectFailed):
        return "failed"
    if isinstance(err, (RequestTimedOut, TransportError, ServerError, RateLimitedError)):
        return "unknown"
    if 400 <= err.status < 500:
        return "failed"
    return "unknown"


def _describe(err: ApiError) -> str:
    return f"{type(err).__name__}: {err}".splitlines()[0][:300]
