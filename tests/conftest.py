"""Shared fixtures: a fixed clock, a CLI runner with injected seams, and a hermetic world.

Autouse fixtures make silent side effects fail or land in a temp folder: no socket
to anything but loopback, and ``HOME`` / ``XDG_CONFIG_HOME`` / ``IPPANEL_CONFIG_DIR``
point into the test's temp folder (a cached login in the user's real config must
never change an outcome). Tests that use the examples work on temporary copies.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import NOW, Invoke, copy_checkout

from runner.cli import AppContext, cli
from runner.sandbox.testing import FakeClock


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


@pytest.fixture(autouse=True)
def home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty home and config folder for every test."""
    home = tmp_path_factory.mktemp("home")
    for name, value in HERMETIC_ENV(home).items():
        monkeypatch.setenv(name, value)
    for name in ("IPPANEL_API_KEY", "IPPANEL_BASE_URL", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return home


def HERMETIC_ENV(home: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "IPPANEL_CONFIG_DIR": str(home / ".config" / "ippanel-run"),
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def invoke(clock: FakeClock, home: Path) -> Iterator[Invoke]:
    """Run the CLI in-process with a fake clock (no real sleeping) and a bare environment.

    The environment holds only the hermetic home and config folders, plus ``env``.
    """

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        runner = CliRunner()
        environment = {**HERMETIC_ENV(home), **(env or {})}
        app = AppContext(now=clock.now, sleep=clock.sleep, env=environment)
        return runner.invoke(cli, list(args), obj=app, input=input, catch_exceptions=False)

    yield run


@pytest.fixture
def in_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work from a copy of the checkout (examples, campaigns, schemas), as a fresh clone has it.

    Paths print as examples/… as they would from the repository root.
    """
    root = copy_checkout(tmp_path / "checkout")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch folder holding a copy of examples/ (so lockfiles land there, not in the repo)."""
    copy_checkout(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path
