"""The crash tests' tools: the real CLI in a child process, and the HTTP sandbox as its API.

``Child`` runs ``ippanel-run`` in a subprocess (output to temp files, so a full pipe never
stalls it) that a test can signal or kill. ``Api`` serves a fresh sandbox over HTTP from a
thread of the test process, so a killed child's request still completes inside the API,
as it would at IPPanel. ``settled`` checks the end state every crash test must reach.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from runner.sandbox import DEMO_API_KEY, SandboxApp
from runner.sandbox.server import start_in_thread

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from runner.cli import main; main()"]
TIMEOUT = 150.0
POLL = 0.005
# Short waits keep the suite quick: a send the API may still be storing is settled
# 2 × 1 s (the deadline) + 1 s (the margin) after its attempt (+ 2 s: its line was
# written just before the POST). The API's 40 s identical-request window stays.
FAST = ("--timeout", "2", "--commit-margin", "1")


@dataclass(frozen=True)
class Run:
    """One finished CLI process; ``code`` is negative when a signal ended it."""

    code: int
    stdout: str
    stderr: str
    seconds: float = 0.0


class Child:
    """A CLI process whose output goes to temp files, so a full pipe never stalls it."""

    def __init__(
        self, folder: Path, *args: str, env: dict[str, str] | None = None, cli: list[str] = CLI
    ) -> None:
        # Open for the child's whole life; ``finish`` closes them.
        self._out = tempfile.TemporaryFile()  # noqa: SIM115
        self._err = tempfile.TemporaryFile()  # noqa: SIM115
        self._start = time.monotonic()
        self.proc = subprocess.Popen(
            [*cli, *args],
            cwd=folder,
            env=child_env(env or {}),
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=self._err,
        )

    def running(self) -> bool:
        return self.proc.poll() is None

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def finish(self) -> Run:
        code = self.proc.wait(timeout=TIMEOUT)
        seconds = time.monotonic() - self._start
        outputs = []
        for handle in (self._out, self._err):
            handle.seek(0)
            outputs.append(handle.read().decode("utf-8", errors="replace"))
            handle.close()
        return Run(code, outputs[0], outputs[1], seconds)


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment without the user's IPPanel settings, able to import ``runner``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPPANEL_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return {**env, **extra}


def wait_until(child: Child, ready: Callable[[], bool], seconds: float = TIMEOUT) -> bool:
    """Poll until ``ready()`` is true (True) or the child ended first (False)."""
    deadline = time.monotonic() + seconds
    while not ready():
        if not child.running():
            return False
        if time.monotonic() > deadline:
            child.proc.kill()
            raise AssertionError(f"CLI still running after {seconds} s")
        time.sleep(POLL)
    return child.running()


def kill(child: Child) -> bool:
    """SIGKILL the child; False if it had already ended."""
    if not child.running():
        return False
    child.proc.send_signal(signal.SIGKILL)
    child.proc.wait(timeout=TIMEOUT)
    return True


def phone(n: int) -> str:
    return f"+98912{n:07d}"


def write_campaign(
    folder: Path, count: int, *, name: str = "many", kind: str = "webservice"
) -> Path:
    """``folder/<name>.yaml``: ``count`` recipients, 10 a request; one text, or one each."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "peer_to_peer":
        rows = "".join(f"0912{n:07d},n{n}\n" for n in range(count))
        (folder / f"{name}.csv").write_text("phone,who\n" + rows, encoding="utf-8")
        source, message = f"{name}.csv", "'Hello {{ who }}'"
    else:
        numbers = "".join(f"0912{n:07d}\n" for n in range(count))
        (folder / f"{name}.txt").write_text(numbers, encoding="utf-8")
        source, message = f"{name}.txt", "Hello"
    path = folder / f"{name}.yaml"
    path.write_text(
        f"version: 1\nname: many\ntype: {kind}\nsender: '+983000505'\nmessage: {message}\n"
        f"batch_size: 10\nrecipients: [{{file: {source}}}]\n",
        encoding="utf-8",
    )
    return path


def clone(folder: Path, into: Path, *names: str) -> Path:
    """A fresh clone of ``folder``: only the named files (what git would check out)."""
    into.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(folder / name, into / name)
    return into


class Api:
    """The sandbox served over HTTP from this process: the API a child talks to."""

    def __init__(self, state: Path) -> None:
        self.app = SandboxApp(state)
        self.app.set_credit(1e12)
        self.server, self.url = start_in_thread(self.app)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def apply(self, folder: Path, *args: str, campaign: str = "many.yaml") -> Child:
        """``ippanel-run --yes <args> <campaign>`` against this API, in ``folder``."""
        env = {"IPPANEL_API_KEY": DEMO_API_KEY, "IPPANEL_CONFIG_DIR": str(folder / ".config")}
        return Child(folder, "--yes", "--api-url", self.url, *FAST, *args, campaign, env=env)

    def run(self, folder: Path, *args: str, campaign: str = "many.yaml") -> Run:
        return self.apply(folder, *args, campaign=campaign).finish()

    def committed(self) -> Counter[str]:
        return Counter(m.recipient for m in self.app.store.committed_messages())

    def outbox_ids(self) -> list[int]:
        return sorted({m.outbox_id for m in self.app.store.committed_messages()})

    def quiet(self, calm: float = 0.3) -> list[int]:
        """Its outbox ids once no new one came for ``calm`` seconds (sends a killed child
        left in flight finish inside the API)."""
        ids, since = self.outbox_ids(), time.monotonic()
        while time.monotonic() - since < calm:
            time.sleep(POLL * 10)
            now = self.outbox_ids()
            if now != ids:
                ids, since = now, time.monotonic()
        return ids

    def fault_used(self) -> bool:
        """Whether the one fault set has been taken by a request."""
        return not self.app.faults.list()


def lock_of(folder: Path, name: str = "many") -> dict[str, dict[str, object]]:
    data = json.loads((folder / f"{name}.lock.json").read_text(encoding="utf-8"))
    batches: dict[str, dict[str, object]] = data["batches"]
    return batches


def recorded_ids(folder: Path, name: str = "many") -> list[int]:
    batches = lock_of(folder, name).values()
    return sorted(i for b in batches if b["state"] == "sent" for i in b["outbox_ids"])  # type: ignore[attr-defined]


def settled(api: Api, folder: Path, recipients: int, name: str = "many") -> None:
    """The end every crash test reaches: each recipient sent once, every committed id in
    the lockfile, no journal left, and a final run that sends nothing and changes no byte."""
    got = api.committed()
    twice = sorted(p for p, n in got.items() if n > 1)
    assert not twice, f"sent more than once: {twice[:10]}"
    assert set(got) == {phone(n) for n in range(recipients)}, f"{recipients - len(got)} not sent"
    assert recorded_ids(folder, name) == api.outbox_ids(), "outbox ids lost or invented"
    assert not (folder / f"{name}.lock.json.journal").exists()
    lock = folder / f"{name}.lock.json"
    before, committed = lock.read_bytes(), len(api.outbox_ids())
    again = api.run(folder, campaign=f"{name}.yaml")
    assert again.code == 0, again.stderr
    assert len(api.outbox_ids()) == committed, "the final run sent something"
    assert lock.read_bytes() == before, "the final run changed the lockfile"
