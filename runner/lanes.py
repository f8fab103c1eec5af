"""The sender's threads: a gate that bounds the sends in flight, and the lanes that send.

``runner.executor``'s ``Sender`` decides what to send and what each answer means;
this module only runs the sends: ``Gate`` lets at most ``limit`` through at once (and
holds all of them while the sender pauses for a 429), ``Lanes`` are daemon threads
that each take the next queued batch and send it straight on from their last.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from runner.lockfile import BatchRecord
from runner.models import Batch
from runner.send_seams import Finished

POLL_SECONDS = 0.25  # how often a waiting lane or sender looks again

Item = tuple[int, Batch]
Job = tuple[Item, BatchRecord | None]  # a batch, and its ``sending`` line written ahead


class Gate:
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


class Lanes:
    """Daemon threads that each take the next queued batch and send it, through the gate.

    A lane goes straight on from one send to the next: handing every request through
    the sender would cost a thread switch a request. A stop abandons the lanes, so a
    send stuck on a slow server never holds up the exit.
    """

    def __init__(self, count: int, gate: Gate, start: Callable[[Job], Finished]) -> None:
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
