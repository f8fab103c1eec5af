"""What a send run is given and what it reports: seams, settings, events, outcomes.

``SendSeams`` are the injected side effects (the client, the clock, sleeping, the
progress display, notes, the stop flag); ``SendSettings`` how to send;
``Progress`` one finished batch for the display; ``Finished`` what one attempt came
to, for the sender (``runner.executor``). Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from runner.api.client import IPPanelClient
from runner.errors import Violation
from runner.lockfile import BatchRecord
from runner.models import Batch
from runner.stopping import Stop


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
    stop: Stop = field(default_factory=Stop)


@dataclass(frozen=True)
class SendSettings:
    """How to send: batches in flight, errors before stopping, and the late-commit margin."""

    concurrency: int = 4
    max_errors: int = 1
    # How long after the client gave up on a send the API may still store it (seconds).
    commit_margin: float = 30.0


@dataclass(frozen=True)
class Finished:
    """What one attempt came to; ``record`` is None when a stop came before it started."""

    number: int
    batch: Batch
    record: BatchRecord | None
    throttle: float | None = None  # the API's 429: its Retry-After (0 when it gave none)
    fatal: str = ""  # the credential was refused: stop sending
    # The API's validation errors, located in the campaign and its data files.
    rejections: tuple[Violation, ...] = ()
