"""The one loop with side effects: write-ahead, send, record.

For each batch the plan says to send: journal it as ``sending`` (on disk) → POST →
journal what became of it (``runner.attempt``). The ``Sender`` writes the
``sending`` lines of the next round of batches ahead (one fsync for the round) and
queues them; a few daemon threads (``_Lanes``) each take the next one and send it,
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
Job = tuple[Item, BatchRecord | None]  # a batch, and its ``sending`` line written ahead


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
        self._gate = _Gate(settings.concurrency)
        self._streak = 0
        self._errors = 0
        self._throttled: list[Item] = []
        self._latest: dict[str, BatchRecord] = {}  # each batch's last outcome this run

    def run(self) -> SendOutcome:
        """Send every ``send`` batch of the plan; return what became of them."""
        numbered = enumerate(self.attempt.plan.batches, start=1)
        todo: deque[Item] = deque((n, b) for n, b in numbered if b.action == "send")
        lanes = _Lanes(self.settings.concurrency, self._gate, self._start)
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

    def _pump(self, todo: deque[Item], lanes: _Lanes) -> None:
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

    def _past_deadline(self, lanes: _Lanes) -> int:
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

    def _queue_round(self, todo: deque[Item], lanes: _Lanes, outstanding: int) -> int:
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

    def _wind_down(self, lanes: _Lanes, outstanding: int) -> None:
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


class _Gate:
    """At most ``limit`` sends at once; ``hold`` stops new ones until ``open``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._active = 0
        self._held = False
        self._cond = threading.Condition()

    def enter(self) -> None:
        with self._cond:
            while self._held or self._active >= self.limit:
                self._cond.wait(POLL_SECONDS)
            self._active += 1

    def leave(self) -> None:
        with self._cond:
            self._active -= 1
            self._cond.notify()

    def hold(self) -> None:
        with self._cond:
            self._held = True

    def open(self, limit: int) -> None:
        with self._cond:
            self.limit, self._held = limit, False
            self._cond.notify_all()

    def widen(self) -> None:
        with self._cond:
            self.limit += 1
            self._cond.notify()


class _Lanes:
    """Daemon threads that each take the next queued batch and send it, through the gate.

    A lane goes straight on from one send to the next: handing every request through
    the sender would cost a thread switch a request. A stop abandons the lanes, so a
    send stuck on a slow server never holds up the exit.
    """

    def __init__(self, count: int, gate: _Gate, start: Callable[[Job], Finished]) -> None:
        self._gate = gate
        self._start = start
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._results: queue.SimpleQueue[Finished | BaseException] = queue.SimpleQueue()
        self._busy: dict[int, Batch] = {}
        self._abandoned: set[int] = set()
        self._guard = threading.Lock()
        self._count = 0
        for _ in range(count):
            self._add_lane()

    def _add_lane(self) -> None:
        self._count += 1
        name = f"ippanel-send-{self._count}"
        threading.Thread(target=self._lane, name=name, daemon=True).start()

    def submit(self, job: Job) -> None:
        self._jobs.put(job)

    def next(self, timeout: float) -> Finished | None:
        """The next finished batch, or None after ``timeout`` seconds; a bug is re-raised."""
        try:
            done = self._results.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(done, BaseException):
            raise done
        return done

    def drain(self) -> list[Item]:
        """Take back the batches still queued (none of them started)."""
        taken: list[Item] = []
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return taken
            if job is not None:
                taken.append(job[0])

    def abandon(self, number: int) -> Batch | None:
        """Stop waiting for batch ``number``'s send; a new lane takes its place. None if
        it is not being sent (it just ended)."""
        with self._guard:
            batch = self._busy.pop(number, None)
            if batch is None:
                return None
            self._abandoned.add(number)
            self._add_lane()
        self._gate.leave()
        return batch

    def active(self) -> list[Batch]:
        """The batches being sent right now."""
        with self._guard:
            return list(self._busy.values())

    def close(self) -> None:
        for _ in range(self._count):
            self._jobs.put(None)

    def _lane(self) -> None:
        while (job := self._jobs.get()) is not None:
            self._gate.enter()
            number = job[0][0]
            with self._guard:
                self._busy[number] = job[0][1]
            done: Finished | BaseException
            try:
                done = self._start(job)
            except BaseException as err:  # a bug: the sender re-raises it
                done = err
            with self._guard:
                if number in self._abandoned:  # the sender gave up on it: it moved on
                    self._abandoned.discard(number)
                    return
                del self._busy[number]
            self._gate.leave()
            self._results.put(done)
