"""Stopping a run on a signal without breaking exactly-once.

The CLI turns SIGTERM, SIGINT and SIGHUP into calls to ``Stop.request``. Where
stopping at once is harmless (planning, the price quote, the confirmation prompt)
the handler raises ``Interrupted`` right away. Inside ``Stop.deferred()`` — while
the journal is folded, batches are settled or sent, the lockfile is written — it
only raises the flag: no new batch starts, sends in flight get a bounded time,
the journal is folded into the lockfile, and the run returns what it did. Waits
in that stretch (``pause``) end early once the flag is up.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

# How long sends already in the API's hands may finish after a signal; a second
# signal stops waiting at once. CI runners send SIGKILL some 10 s after SIGTERM.
GRACE_SECONDS = 5.0


class Interrupted(BaseException):
    """A signal arrived where nothing was being written or sent: stop at once.

    A ``BaseException`` so that handlers of ordinary errors do not swallow it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class Stop:
    """Whether a signal asked this run to stop, and how many signals came."""

    def __init__(self) -> None:
        self._flag = threading.Event()
        self._depth = 0
        self.signum = 0
        self.count = 0

    @property
    def requested(self) -> bool:
        return self._flag.is_set()

    @property
    def hurried(self) -> bool:
        """A second signal: stop waiting for sends in flight."""
        return self.count > 1

    def request(self, signum: int) -> None:
        """A signal came: raise ``Interrupted`` unless inside ``deferred()``."""
        self.count += 1
        self.signum = self.signum or signum
        self._flag.set()
        if not self._depth:
            raise Interrupted(signum)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """A stretch that must not be cut short: signals only raise the flag."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1

    def check(self) -> None:
        """Raise ``Interrupted`` if a signal came (at a point where stopping is safe)."""
        if self.requested:
            raise Interrupted(self.signum)

    def sleep(self, seconds: float) -> None:
        """Sleep in real time, ending early when a stop is requested."""
        self._flag.wait(seconds)


def pause(seconds: float, sleep: Callable[[float], None], stop: Stop) -> bool:
    """Sleep ``seconds`` unless a stop came; True if no stop came by the end.

    For real time, pass ``stop.sleep`` as ``sleep``: it ends as soon as a signal comes.
    """
    if stop.requested:
        return False
    if seconds > 0:
        sleep(seconds)
    return not stop.requested
