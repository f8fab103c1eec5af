"""The one loop with side effects: write-ahead, send, record.

For each batch the plan says to send: journal it as ``sending`` (on disk) → POST →
journal what became of it (``runner.attempt``). The ``Sender`` writes the
``sending`` lines of the next round of batches ahead (one fsync for the round) and
queues them; a few daemon threads (``runner.lanes``) each take the next one and send it,
straight on from their last, so no request waits for a hand-off or for the disk:

- At most ``concurrency`` batches are in flight (the lanes' gate). A 429 (the API's
  own answer) halves that and pauses for its ``Retry-After``; successes win the
  concurrency back one batch at a time. The 429's batch is ``unknown``: it is sent
  again only at the end of the run, after the 40-second identical-request window and
  one more look at the account's outbox — never blindly.
- ``max_errors`` failed or unknown batches (429s aside) start no new batch.
- A stop request (a signal) starts no new batch, gives the batches in flight
  ``GRACE_SECONDS`` (a second signal: none), records those still in flight as
  ``unknown``, withdraws the lines written ahead for batches never started, and
  returns. The threads are daemons: one stuck on a slow server never holds up the exit.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

from runner.attempt import Attempt
from runner.errors import Violation
from runner.lanes import POLL_SECONDS, Gate, Item, Job, Lanes
from runner.lockfile import BatchRecord, Journal, Lock
from runner.models import CampaignPlan
from runner.outbox import Outbox
from runner.send_seams import Finished, Progress, SendSeams, SendSettings
from runner.stopping import GRACE_SECONDS, pause, signal_name

__all__ = ["Progress", "SendOutcome", "SendSeams", "SendSettings", "Sender"]

RETRY_ROUNDS = 3  # rounds of re-sending rate-limited batches before leaving them unknown
DEFAULT_RETRY_AFTER = 2.0  # a 429 without Retry-After


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
        self._guard = threading.Lock()
        self._gate = Gate(settings.concurrency)
        self._streak = 0
        self._errors = 0
        self._throttled: list[Item] = []
        self._latest: dict[str, BatchRecord] = {}  # each batch's last outcome this run

    def run(self) -> SendOutcome:
        """Send every ``send`` batch of the plan; return what became of them."""
        numbered = enumerate(self.attempt.plan.batches, start=1)
        todo: deque[Item] = deque((n, b) for n, b in numbered if b.action == "send")
        lanes = Lanes(self.settings.concurrency, self._gate, self._start)
        try:
            for _ in range(RETRY_ROUNDS + 1):
                self._pump(todo, lanes)
                if self.seams.stop.requested or not self._throttled or not self._healthy():
                    break
                todo, self._throttled = deque(self._throttled), []
        finally:
            for _, batch in lanes.drain():  # queued, never started
                self.attempt.withdraw(batch)
            lanes.close()
            # Sends abandoned at a stop may still answer: from here on nothing is recorded.
            self.attempt.close()
        self.outcome.not_started += len(todo)
        self.outcome.records = list(self._latest.values())
        return self.outcome

    def _healthy(self) -> bool:
        """Whether a new batch may start: no stop, no fatal error, errors below the limit."""
        with self._guard:
            errors, reason = self._errors, self.outcome.stop_reason
        return not reason and errors < self.settings.max_errors and not self.seams.stop.requested

    def _start(self, job: Job) -> Finished:
        """On a lane: send one batch, unless it must not start any more."""
        (number, batch), prepared = job
        if not self._healthy():
            if prepared is not None:
                self.attempt.withdraw(batch)
            return Finished(number, batch, None)
        done = self.attempt.send((number, batch), prepared)
        self._account(done)
        return done

    def _account(self, done: Finished) -> None:
        """Right as a send ends, on its lane: what the next batch must know at once."""
        record = done.record
        if record is None:
            return
        with self._guard:
            if done.throttle is not None:
                self._gate.hold()  # no new send until the sender has paused
            elif record.state == "sent":
                self._streak += 1
                if self._streak >= self._gate.limit < self.settings.concurrency:
                    self._gate.widen()
                    self._streak = 0
            else:
                self._errors += 1
                if done.fatal:
                    self.outcome.stop_reason = done.fatal

    def _pump(self, todo: deque[Item], lanes: Lanes) -> None:
        outstanding = 0  # queued on the lanes or in flight
        while todo or outstanding:
            if self.seams.stop.requested:
                self._wind_down(lanes, outstanding)
                return
            if self._healthy() and outstanding <= self._gate.limit:
                outstanding += self._queue_round(todo, lanes, outstanding)
            elif not outstanding:
                return  # stopped by errors: the rest is not started
            done = lanes.next(POLL_SECONDS)
            if done is not None:
                outstanding -= 1
                self._take(done)
            outstanding -= self._past_deadline(lanes)

    def _past_deadline(self, lanes: Lanes) -> int:
        """Give up on sends past the client's deadline (a server dribbling its answer):
        ``unknown``, counted as errors; their lanes are replaced. How many there were."""
        given_up = 0
        for number in self.attempt.overdue():
            batch = lanes.abandon(number)
            if batch is None:
                continue  # it answered just now
            record = self.attempt.give_up(batch)
            given_up += 1
            with self._guard:
                self._errors += record is None or record.state != "sent"
            self._take(Finished(number, batch, record))
        return given_up

    def _queue_round(self, todo: deque[Item], lanes: Lanes, outstanding: int) -> int:
        """Write the ``sending`` lines of the next round, one fsync for all, and queue them.

        So a POST never waits for the disk: its line was on disk before its turn came.
        """
        jobs: list[Job] = []
        while todo and outstanding + len(jobs) < 2 * self.settings.concurrency:
            item = todo.popleft()
            jobs.append((item, self.attempt.prepare(item[1])))
        if any(prepared is not None for _, prepared in jobs):
            self.attempt.sync()
        for job in jobs:
            lanes.submit(job)
        return len(jobs)

    def _take(self, done: Finished) -> None:
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

    def _slow_down(self, retry_after: float) -> None:
        limit = max(1, self._gate.limit // 2)
        with self._guard:
            self._streak = 0
        wait = retry_after or DEFAULT_RETRY_AFTER
        self.seams.note(
            f"the API asked to slow down (429); {limit} batch(es) at a time from now on, "
            f"next batch in {wait:g} s; the refused batch is looked up before it is sent again"
        )
        pause(wait, self.seams.sleep, self.seams.stop)
        self._gate.open(limit)

    def _wind_down(self, lanes: Lanes, outstanding: int) -> None:
        """After a stop request: let sends in flight finish for a while, then record the rest."""
        give_up = time.monotonic() + GRACE_SECONDS
        while outstanding and not self.seams.stop.hurried and time.monotonic() < give_up:
            for _, batch in lanes.drain():  # queued, never started: withdrawn
                self.attempt.withdraw(batch)
                outstanding -= 1
                self.outcome.not_started += 1
            done = lanes.next(min(POLL_SECONDS, max(0.0, give_up - time.monotonic())))
            if done is not None:
                outstanding -= 1
                self._take(done)
        for _, batch in lanes.drain():
            self.attempt.withdraw(batch)
            self.outcome.not_started += 1
        name = signal_name(self.seams.stop.signum)
        for batch in lanes.active():
            record = self.attempt.abandon(batch, f"the run was stopped ({name}) during its send")
            if record is not None:
                self._latest[record.key] = record
        self.outcome.stopped_by = self.seams.stop.signum
