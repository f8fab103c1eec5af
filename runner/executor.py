"""The one loop with side effects: write-ahead, send, record.

For each batch the plan says to send: journal it as ``sending`` (on disk) → POST →
journal what became of it (``runner.attempt``). Batches go out on a few daemon
threads; this module's ``Sender`` hands them out and takes the results back:

- At most ``concurrency`` batches are in flight. A 429 (the API's own answer) halves
  that and pauses for its ``Retry-After``; successes win the concurrency back one
  batch at a time. The 429's batch is ``unknown``: it is sent again only at the end
  of the run, after the 40-second identical-request window and one more look at
  the account's outbox — never blindly.
- ``max_errors`` failed or unknown batches (429s aside) stop new batches.
- A stop request (a signal) starts no new batch, gives the batches in flight
  ``GRACE_SECONDS`` (a second signal: none), records those still in flight as
  ``unknown``, and returns. The threads are daemons: one stuck on a slow server
  never holds up the exit.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from runner.attempt import Attempt
from runner.errors import Violation
from runner.lockfile import BatchRecord, Journal, Lock
from runner.models import Batch, CampaignPlan
from runner.outbox import Outbox
from runner.send_seams import Finished, Progress, SendSeams, SendSettings
from runner.stopping import GRACE_SECONDS, pause, signal_name

__all__ = ["Progress", "SendOutcome", "SendSeams", "SendSettings", "Sender"]

POLL_SECONDS = 0.25
RETRY_ROUNDS = 3  # rounds of re-sending rate-limited batches before leaving them unknown
DEFAULT_RETRY_AFTER = 2.0  # a 429 without Retry-After

Item = tuple[int, Batch]


@dataclass
class SendOutcome:
    """What one run of the sender did: finished batches, and what it never started."""

    records: list[BatchRecord] = field(default_factory=list)
    not_started: int = 0
    stopped_by: int = 0  # the signal that stopped it, if one did
    stop_reason: str = ""
    # The API's validation errors, located in the campaign and its data files.
    rejections: list[Violation] = field(default_factory=list)


class Sender:
    """Sends a plan's batches with bounded, adaptive concurrency; the lock stays right under it."""

    def __init__(
        self,
        plan: CampaignPlan,
        lock: Lock,
        journal: Journal,
        seams: SendSeams,
        settings: SendSettings,
        outbox: Outbox,
    ) -> None:
        self.seams = seams
        self.settings = settings
        self.attempt = Attempt(plan, lock, journal, seams, settings, outbox)
        self.outcome = SendOutcome()
        self._limit = settings.concurrency
        self._streak = 0
        self._errors = 0
        self._throttled: list[Item] = []
        self._latest: dict[str, BatchRecord] = {}  # each batch's last outcome this run

    def run(self) -> SendOutcome:
        """Send every ``send`` batch of the plan; return what became of them."""
        numbered = enumerate(self.attempt.plan.batches, start=1)
        todo: deque[Item] = deque((n, b) for n, b in numbered if b.action == "send")
        with _Workers(self.settings.concurrency, self.attempt.send) as workers:
            for _ in range(RETRY_ROUNDS + 1):
                self._pump(todo, workers)
                if self.seams.stop.requested or not self._throttled or self._unhealthy():
                    break
                todo, self._throttled = deque(self._throttled), []
        # Sends abandoned at a stop may still answer: from here on nothing is recorded.
        self.attempt.close()
        self.outcome.not_started += len(todo)
        self.outcome.records = list(self._latest.values())
        return self.outcome

    def _pump(self, todo: deque[Item], workers: _Workers) -> None:
        in_flight: dict[int, Item] = {}
        ready: deque[tuple[Item, BatchRecord | None]] = deque()
        try:
            while todo or ready or in_flight:
                if self.seams.stop.requested:
                    self._wind_down(in_flight, workers)
                    return
                self._prepare(todo, ready)
                while ready and len(in_flight) < self._limit and not self._unhealthy():
                    item, prepared = ready.popleft()
                    in_flight[item[0]] = item
                    workers.submit(item, prepared)
                if not in_flight:
                    return  # stopped by errors: the rest is not started
                done = workers.next(POLL_SECONDS)
                if done is not None:
                    del in_flight[done.number]
                    self._take(done, in_flight)
        finally:
            for (_, batch), prepared in ready:
                if prepared is not None:
                    self.attempt.withdraw(batch)
                self.outcome.not_started += 1

    def _prepare(self, todo: deque[Item], ready: deque[tuple[Item, BatchRecord | None]]) -> None:
        """Write the ``sending`` lines of the next round of batches, one fsync for all.

        So a POST never waits for the disk: its line was on disk before its turn came.
        """
        if len(ready) > self._limit:
            return  # a round is still ready: refill in groups, one fsync for many lines
        wrote = False
        while todo and len(ready) < 2 * self._limit and not self._unhealthy():
            item = todo.popleft()
            prepared = self.attempt.prepare(item[1])
            ready.append((item, prepared))
            wrote |= prepared is not None
        if wrote:
            self.attempt.sync()

    def _take(self, done: Finished, in_flight: dict[int, Item]) -> None:
        if done.record is None:
            self.outcome.not_started += 1
            return
        record = done.record
        self._latest[record.key] = record
        self.outcome.rejections.extend(done.rejections)
        if done.throttle is not None:
            self._throttled.append((done.number, done.batch))
            self._slow_down(done.throttle)
            return  # not finished: it goes again at the end of the run
        self.seams.progress(
            Progress(record.key, record.state, record.recipients, record.outbox_ids, record.error)
        )
        if record.state == "sent":
            self._speed_up()
        else:
            self._errors += 1
            if done.fatal:
                self.outcome.stop_reason = done.fatal

    def _unhealthy(self) -> bool:
        return bool(self.outcome.stop_reason) or self._errors >= self.settings.max_errors

    def _slow_down(self, retry_after: float) -> None:
        self._limit = max(1, self._limit // 2)
        self._streak = 0
        wait = retry_after or DEFAULT_RETRY_AFTER
        self.seams.note(
            f"the API asked to slow down (429); {self._limit} batch(es) at a time from now on, "
            f"next batch in {wait:g} s; the refused batch is looked up before it is sent again"
        )
        pause(wait, self.seams.sleep, self.seams.stop)

    def _speed_up(self) -> None:
        self._streak += 1
        if self._streak >= self._limit and self._limit < self.settings.concurrency:
            self._limit += 1
            self._streak = 0

    def _wind_down(self, in_flight: dict[int, Item], workers: _Workers) -> None:
        """After a stop request: let sends in flight finish for a while, then record the rest."""
        give_up = time.monotonic() + GRACE_SECONDS
        while in_flight and not self.seams.stop.hurried and time.monotonic() < give_up:
            done = workers.next(min(POLL_SECONDS, max(0.0, give_up - time.monotonic())))
            if done is not None:
                del in_flight[done.number]
                self._take(done, in_flight)
        name = signal_name(self.seams.stop.signum)
        for _, batch in in_flight.values():
            record = self.attempt.abandon(batch, f"the run was stopped ({name}) during its send")
            if record is not None:
                self._latest[record.key] = record
        self.outcome.stopped_by = self.seams.stop.signum


class _Workers:
    """Daemon threads that send batches; a stop abandons them, so they never hold up an exit."""

    def __init__(self, count: int, send: Callable[[Item, BatchRecord | None], Finished]) -> None:
        self._send = send
        self._jobs: queue.SimpleQueue[tuple[Item, BatchRecord | None] | None] = queue.SimpleQueue()
        self._results: queue.SimpleQueue[Finished | BaseException] = queue.SimpleQueue()
        self._count = count
        for n in range(count):
            threading.Thread(target=self._loop, name=f"ippanel-send-{n}", daemon=True).start()

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        for _ in range(self._count):
            self._jobs.put(None)

    def submit(self, item: Item, prepared: BatchRecord | None) -> None:
        self._jobs.put((item, prepared))

    def next(self, timeout: float) -> Finished | None:
        """The next finished batch, or None after ``timeout`` seconds; a bug is re-raised."""
        try:
            done = self._results.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(done, BaseException):
            raise done
        return done

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                self._results.put(self._send(*job))
            except BaseException as err:  # a bug: the coordinator re-raises it
                self._results.put(err)
