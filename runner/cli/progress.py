"""Progress of long sends and reports: a live bar on a terminal, sparse plain lines in logs.

On a terminal (``fancy``): recipients sent of the total, the rate, the time left,
batches done and how many ended unknown or failed, redrawn in place. Elsewhere (CI
logs) plain lines: one a batch for short runs (up to ``EVERY_BATCH_UP_TO`` batches,
or with ``--verbose``), otherwise one every ``LINE_EVERY`` seconds and at the end —
a million recipients make a few dozen lines, not thousands. A batch that ends
unknown or failed always gets its own line: that is what someone reads the log
for. Reports show outboxes checked the same way. The clock is a seam (seconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from runner.executor import Progress as BatchEvent
from runner.safe_text import one_line

EVERY_BATCH_UP_TO = 20
LINE_EVERY = 10.0
Clock = Callable[[], float]


class _Rate(ProgressColumn):
    """``1,234/s`` (the task's ``unit``) once there is enough to tell."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        unit = task.fields.get("unit", "")
        return Text("" if speed is None else f"{speed:,.0f} {unit}/s")


@dataclass
class _Pace:
    """Done so far against a start time (and what was done before it): rate, time left."""

    start: float
    total: int
    done: int = 0
    before: int = 0

    def describe(self, now: float, unit: str) -> str:
        elapsed = now - self.start
        text = f"{self.done:,}/{self.total:,} {unit}"
        if elapsed <= 0 or self.done <= self.before:
            return text
        rate = (self.done - self.before) / elapsed
        text += f", {rate:,.0f}/s"
        if self.done < self.total:
            text += f", about {duration((self.total - self.done) / rate)} left"
        return text


def duration(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def _bar(stream: TextIO, *columns: ProgressColumn | str) -> Progress:
    return Progress(*columns, console=Console(file=stream), transient=True)


class ProgressDisplay:
    """Progress of one campaign's sends, fed one ``BatchEvent`` per finished batch."""

    def __init__(
        self,
        stream: TextIO,
        *,
        batches: int,
        recipients: int,
        bar: bool,
        verbose: bool = False,
        clock: Clock = time.monotonic,
    ) -> None:
        self.stream = stream
        self.batches = batches
        self.clock = clock
        self.every_batch = verbose or batches <= EVERY_BATCH_UP_TO
        self._pace = _Pace(clock(), recipients)
        self._done = 0
        self._troubled = {"unknown": 0, "failed": 0}
        self._last_line = self._pace.start
        self._bar: Progress | None = None
        if bar:
            self._bar = _bar(
                stream,
                TextColumn("sending"),
                BarColumn(),
                TextColumn("{task.completed:,}/{task.total:,} recipients"),
                _Rate(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[batches]}"),
            )
            self._task = self._bar.add_task(
                "send", total=recipients, unit="recipients", batches=self._batches_text()
            )

    def update(self, event: BatchEvent) -> None:
        self._done += 1
        self._pace.done += event.recipients
        if event.state in self._troubled:
            self._troubled[event.state] += 1
        if self._bar is not None:
            if self._done == 1:
                self._bar.start()
            self._bar.update(self._task, advance=event.recipients, batches=self._batches_text())
            return
        now = self.clock()
        if self.every_batch or event.state != "sent":
            self._write(self._batch_line(event))
        elif self._done == self.batches or now - self._last_line >= LINE_EVERY:
            self._write(f"[{self._batches_text()}] {self._pace.describe(now, 'recipients')}")
        else:
            return
        self._last_line = now

    def close(self) -> None:
        if self._bar is not None and self._done:
            self._bar.stop()

    def _batches_text(self) -> str:
        text = f"{self._done}/{self.batches} batches"
        troubled = [f"{n} {state}" for state, n in self._troubled.items() if n]
        return text + (" (" + ", ".join(troubled) + ")" if troubled else "")

    def _batch_line(self, event: BatchEvent) -> str:
        ids = ",".join(str(i) for i in event.outbox_ids) or "-"
        line = (
            f"[{self._done}/{self.batches}] batch {event.key} {event.state}: "
            f"{event.recipients:,} recipient(s), outbox ids {ids}"
        )
        return line + (f" ({event.error})" if event.error else "")

    def _write(self, line: str) -> None:
        # An error can quote the API's answer: never let it carry control characters.
        self.stream.write(one_line(line) + "\n")
        self.stream.flush()


class CountDisplay:
    """Progress of a report: "n of total" outboxes, with rate and time left.

    A bar on a terminal; in logs a line every ``LINE_EVERY`` seconds while it lasts
    (a short report prints none: its summary follows at once).
    """

    def __init__(
        self, stream: TextIO, label: str, *, bar: bool, clock: Clock = time.monotonic
    ) -> None:
        self.stream = stream
        self._label = label
        self.clock = clock
        self._pace: _Pace | None = None
        self._last_line = 0.0
        self._bar = (
            _bar(
                stream,
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed:,}/{task.total:,}"),
                _Rate(),
                TimeRemainingColumn(),
            )
            if bar
            else None
        )
        self._task: Any = None

    def update(self, done: int, total: int) -> None:
        now = self.clock()
        if self._pace is None or total != self._pace.total or done < self._pace.done:
            # A new round (each poll of --watch starts one): time it on its own.
            self._pace = _Pace(now, total, done, before=done)
            self._last_line = now
        self._pace.done = done
        if self._bar is None:
            if now - self._last_line >= LINE_EVERY and done < total:
                self.stream.write(f"report: {self._pace.describe(now, self._label)}\n")
                self.stream.flush()
                self._last_line = now
            return
        if self._task is None:
            self._bar.start()
            self._task = self._bar.add_task(self._label, total=total, unit=self._label)
        self._bar.update(self._task, completed=done, total=total)

    def close(self) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.stop()
