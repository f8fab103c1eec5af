"""Calls with an overall deadline: work runs on a daemon thread, the caller stops waiting in time.

httpx's timeouts bound each network operation (the connect, one read), so a server that
dribbles its answer a byte every few seconds never trips them and can hold a request for
ever. ``Deadlines.run`` hands the call to one of a few reusable daemon threads and waits
at most ``seconds`` for it. A caller that gives up leaves the thread to finish on its own
(or to die with the process): it is never joined, so it cannot hold up an exit either.
Threads are reused because starting one per call costs more than the call's bookkeeping
(a pattern campaign makes one request per recipient); one left idle for ``IDLE_SECONDS``
ends.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
IDLE_SECONDS = 5.0


class DeadlineExceeded(Exception):
    """The call did not finish within its deadline; it may still be running."""


class _Job(Generic[T]):
    __slots__ = ("call", "done", "error", "value")

    def __init__(self, call: Callable[[], T]) -> None:
        self.call = call
        self.done = threading.Event()
        self.value: T | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.value = self.call()
        except BaseException as err:  # handed to the waiting caller, who re-raises it
            self.error = err
        self.done.set()


class Deadlines:
    """A small pool of daemon threads that run calls for callers who wait with a deadline."""

    def __init__(self, name: str = "ippanel-call") -> None:
        self._name = name
        self._jobs: queue.SimpleQueue[_Job[object] | None] = queue.SimpleQueue()
        self._guard = threading.Lock()
        self._idle = 0
        self._threads = 0
        self._closed = False

    def run(self, call: Callable[[], T], seconds: float) -> T:
        """``call()``'s result, or ``DeadlineExceeded`` once ``seconds`` have passed."""
        job: _Job[T] = _Job(call)
        with self._guard:
            if self._closed:
                return call()  # after close() (a misuse the call itself reports)
            if self._idle:
                self._idle -= 1
            else:
                self._threads += 1
                name = f"{self._name}-{self._threads}"
                threading.Thread(target=self._work, name=name, daemon=True).start()
        self._jobs.put(job)  # type: ignore[arg-type]
        if not job.done.wait(seconds):
            raise DeadlineExceeded
        if job.error is not None:
            raise job.error
        return job.value  # type: ignore[return-value]

    def close(self) -> None:
        """Let every thread end once it is idle (a stuck one ends when its call does)."""
        with self._guard:
            count, self._closed = self._threads, True
        for _ in range(count):
            self._jobs.put(None)

    def _work(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._guard:
                    # ``_idle`` counts idle threads no caller has claimed: while one is
                    # unclaimed this one may go; if all are claimed, a job is on its way.
                    if self._idle > 0:
                        self._idle -= 1
                        self._threads -= 1
                        return
                continue
            if job is None:
                return
            job.run()
            with self._guard:
                self._idle += 1
