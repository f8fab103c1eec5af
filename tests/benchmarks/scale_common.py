"""Shared pieces of the issue-13 benchmarks: a counting HTTP sandbox and a measured CLI run.

``CountingSandbox`` serves a ``SandboxApp`` over HTTP from a thread of the benchmark
process and counts every API request by method and path (the ``__sandbox__``
controls are not counted). ``run_cli`` runs ``ippanel-run`` in a child process and
returns its wall time and peak RSS. The peak is the child's own ``VmHWM``, read by
the child as it exits: ``ru_maxrss`` would count the benchmark process itself
(which holds the sandbox), since Linux carries the parent's high-water mark over
a vfork + exec.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from runner.sandbox import DEMO_API_KEY, SandboxApp
from runner.sandbox.server import start_in_thread
from runner.sandbox.wire import SandboxRequest, SandboxResponse

REPO = Path(__file__).resolve().parents[2]
# The child writes its peak RSS (VmHWM, kB) to $BENCH_HWM when it exits.
CLI = [
    sys.executable,
    "-c",
    "import atexit, os\n"
    "def hwm():\n"
    "    with open('/proc/self/status') as status, open(os.environ['BENCH_HWM'], 'w') as out:\n"
    "        out.write(next(l for l in status if l.startswith('VmHWM')).split()[1])\n"
    "atexit.register(hwm)\n"
    "from runner.cli import main\n"
    "main()",
]
CREDIT = 1e13  # enough for millions of messages at the sandbox's prices


class CountingApp(SandboxApp):
    """A sandbox that counts the API requests it answers."""

    def __init__(self, state_dir: Path) -> None:
        super().__init__(state_dir)
        self.calls: Counter[str] = Counter()
        self._guard = threading.Lock()

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        path = request.path.partition("?")[0].removeprefix("/v1")
        if not path.startswith("/__sandbox__"):
            with self._guard:
                self.calls[f"{request.method} {path}"] += 1
        return super().handle(request)

    def take_calls(self) -> Counter[str]:
        """The requests counted since the last call, and start counting afresh."""
        with self._guard:
            calls, self.calls = self.calls, Counter()
        return calls


class CountingSandbox:
    """``with CountingSandbox(folder) as sandbox:`` serves ``sandbox.app`` at ``sandbox.url``."""

    def __init__(self, state_dir: Path) -> None:
        self.app = CountingApp(state_dir)
        self.app.set_credit(CREDIT)
        self.url = ""

    def __enter__(self) -> CountingSandbox:
        self._server, self.url = start_in_thread(self.app)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def env(self, folder: Path) -> dict[str, str]:
        """The environment a CLI run needs to use this sandbox as its API."""
        return {
            "IPPANEL_API_KEY": DEMO_API_KEY,
            "IPPANEL_BASE_URL": self.url,
            "IPPANEL_CONFIG_DIR": str(folder / "config"),
        }


@dataclass(frozen=True)
class Run:
    """One CLI run: wall time (s), peak RSS (MB), what it printed."""

    seconds: float
    peak_mb: float
    stdout_bytes: int
    stderr: str


def run_cli(folder: Path, *args: str, env: dict[str, str], stdout: Path | None = None) -> Run:
    """Run ``ippanel-run ARGS`` in ``folder`` to the end; exit the benchmark if it fails."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IPPANEL_")}
    clean["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), clean.get("PYTHONPATH")]))
    out_path = stdout or folder / "stdout.txt"
    err_path = folder / "stderr.txt"
    hwm_path = folder / "hwm.txt"
    start = time.perf_counter()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        code = subprocess.call(
            CLI + list(args),
            cwd=folder,
            env={**clean, **env, "BENCH_HWM": str(hwm_path)},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
    elapsed = time.perf_counter() - start
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    if code != 0:
        sys.exit(f"ippanel-run {' '.join(args)} exited {code}:\n{stderr[-3000:]}")
    peak_mb = int(hwm_path.read_text()) / 1024
    return Run(elapsed, peak_mb, out_path.stat().st_size, stderr)
