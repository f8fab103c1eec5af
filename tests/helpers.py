"""Constants and small helpers shared by the tests (imported as ``helpers``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from click.testing import Result

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
# 1405-09-05 15:30 in Tehran: every example and campaign schedule is valid at this moment.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)

Invoke = Callable[..., Result]


class FakeClock:
    """Test time: starts at NOW; ``sleep`` advances it instead of waiting."""

    def __init__(self) -> None:
        self.current = NOW
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.current += timedelta(seconds=seconds)
