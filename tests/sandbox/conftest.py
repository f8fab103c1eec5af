"""Fixtures for the simulator's own tests: an app on a fresh state folder and a fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.sandbox import SandboxApp
from runner.sandbox.testing import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    """Sandbox time (overrides the CLI tests' clock in this folder)."""
    return FakeClock()


@pytest.fixture
def app(tmp_path: Path, clock: FakeClock) -> SandboxApp:
    return SandboxApp(tmp_path / "state", clock=clock, sleep=lambda _: None)
