"""SIGTERM, SIGINT and SIGHUP during an apply: stop safely (``runner.stopping``) and say so.

A CI runner cancelling a job sends SIGINT or SIGTERM, then SIGKILL some seconds
later; a person presses Ctrl-C. The first signal starts no new batch; a second one
stops waiting for the sends in flight. The lockfile is written either way.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

import click

from runner.stopping import GRACE_SECONDS, Stop, signal_name

SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@contextlib.contextmanager
def catching_signals(stop: Stop) -> Iterator[Stop]:
    """Route the stop signals to ``stop`` while the block runs (main thread only)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        name = signal_name(signum)
        if stop.count == 0:
            click.echo(
                f"\n{name}: stopping; no new batch starts, sends in flight get up to "
                f"{GRACE_SECONDS:g} s, then the lockfile is written (signal again to stop "
                "waiting)",
                err=True,
            )
        else:
            click.echo(f"{name} again: no more waiting; writing the lockfile", err=True)
        stop.request(signum)

    try:
        previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    except ValueError:  # not the main thread (an embedding program): leave signals alone
        yield stop
        return
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
