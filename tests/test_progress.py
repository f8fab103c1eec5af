"""Progress of sends and reports: a live bar on a terminal, a few plain lines in logs."""

from __future__ import annotations

import io

import pytest

from runner.cli.progress import CountDisplay, ProgressDisplay, duration
from runner.executor import Progress


class Clock:
    """Seconds that move only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def event(n: int, state: str = "sent", recipients: int = 1000) -> Progress:
    ids = (100 + n,) if state == "sent" else ()
    return Progress(f"k{n:03d}", state, recipients, ids, "" if state == "sent" else "timed out")


def test_a_short_run_logs_one_line_a_batch() -> None:
    out, clock = io.StringIO(), Clock()
    shown = ProgressDisplay(out, batches=3, recipients=2500, bar=False, clock=clock)
    shown.update(event(1))
    shown.update(event(2, "unknown"))
    shown.update(event(3, recipients=500))
    assert out.getvalue().splitlines() == [
        "[1/3] batch k001 sent: 1,000 recipient(s), outbox ids 101",
        "[2/3] batch k002 unknown: 1,000 recipient(s), outbox ids - (timed out)",
        "[3/3] batch k003 sent: 500 recipient(s), outbox ids 103",
    ]


def test_a_long_run_logs_every_ten_seconds_and_every_batch_in_trouble() -> None:
    out, clock = io.StringIO(), Clock()
    shown = ProgressDisplay(out, batches=100, recipients=100_000, bar=False, clock=clock)
    for n in range(1, 101):
        clock.now += 1.0
        shown.update(event(n, "unknown" if n == 42 else "sent"))
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        "[10/100 batches] 10,000/100,000 recipients, 1,000/s, about 1 min 30 s left"
    )
    assert "[42/100] batch k042 unknown: 1,000 recipient(s), outbox ids - (timed out)" in lines
    assert lines[-1] == "[100/100 batches (1 unknown)] 100,000/100,000 recipients, 1,000/s"
    assert len(lines) == 11  # ten progress lines and the batch in trouble


def test_verbose_logs_every_batch_of_a_long_run() -> None:
    out = io.StringIO()
    shown = ProgressDisplay(out, batches=50, recipients=50, bar=False, verbose=True, clock=Clock())
    for n in range(1, 51):
        shown.update(event(n, recipients=1))
    assert len(out.getvalue().splitlines()) == 50


def test_the_terminal_bar_shows_recipients_rate_time_left_and_batches_in_trouble() -> None:
    out = Terminal()
    shown = ProgressDisplay(out, batches=5, recipients=5000, bar=True)
    shown.update(event(1))
    shown.update(event(2, "unknown"))
    shown.update(event(3, "failed"))
    shown.close()
    drawn = out.getvalue()
    assert "3,000/5,000 recipients" in drawn
    assert "3/5 batches (1 unknown, 1 failed)" in drawn
    assert "batch k001" not in drawn  # no log lines on a terminal


def test_a_long_report_logs_outboxes_checked_every_ten_seconds() -> None:
    out, clock = io.StringIO(), Clock()
    shown = CountDisplay(out, "outboxes", bar=False, clock=clock)
    shown.update(400, 2000)  # 400 were already in the cache
    for done in range(500, 2001, 100):
        clock.now += 2.0
        shown.update(done, 2000)
    assert out.getvalue().splitlines() == [
        "report: 900/2,000 outboxes, 50/s, about 22 s left",
        "report: 1,400/2,000 outboxes, 50/s, about 12 s left",
        "report: 1,900/2,000 outboxes, 50/s, about 2 s left",
    ]


def test_a_short_report_logs_nothing() -> None:
    out, clock = io.StringIO(), Clock()
    shown = CountDisplay(out, "outboxes", bar=False, clock=clock)
    for done in range(0, 11):
        clock.now += 0.5
        shown.update(done, 10)
    assert out.getvalue() == ""


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.4, "0 s"), (42, "42 s"), (185, "3 min 05 s"), (3725, "1 h 02 min")]
)
def test_durations_read_naturally(seconds: float, text: str) -> None:
    assert duration(seconds) == text
