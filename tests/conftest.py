"""Shared fixtures: a fixed clock, a CLI runner with injected seams, and no accidental network."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import EXAMPLES, REPO, FakeClock, Invoke

from runner.cli import AppContext, cli


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if anything tries to open a real socket to a non-loopback host."""
    import socket

    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else str(address)
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
        ):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def invoke(clock: FakeClock) -> Iterator[Invoke]:
    """Run the CLI in-process with a fake clock (no real sleeping) and an empty environment."""

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        runner = CliRunner()
        app = AppContext(now=clock.now, sleep=clock.sleep, env=dict(env or {}))
        return runner.invoke(cli, list(args), obj=app, input=input, catch_exceptions=False)

    yield run


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work from the repository root, so paths print as examples/… in plans."""
    monkeypatch.chdir(REPO)
    return REPO


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch folder holding a copy of examples/ (so lockfiles land there, not in the repo)."""
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path
