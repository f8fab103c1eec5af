"""Benchmark (issue 4): apply throughput, and the no-op rerun of a finished huge campaign.

Run on demand (not part of the test suite):

    .venv/bin/python tests/benchmarks/bench_apply.py [--recipients 100000] [--latency-ms 20]
        [--big 1000000] [--skip-throughput] [--skip-rerun]

1. Throughput: a webservice campaign of ``--recipients`` numbers (default batch size, 1,000
   a request) applied by the CLI in a subprocess (``IPPANEL_API_KEY=<demo key> --api-url``)
   against the HTTP sandbox served from a thread of this process, with a ``latency`` fault
   of ``--latency-ms`` on every send, at ``--concurrency 1`` and ``--concurrency 4``; each
   against fresh sandbox state and a fresh lockfile. Prints wall time, batches/s and
   recipients/s (the wall time includes the CLI's start-up, planning and lockfile writes).
2. No-op rerun: a ``--big`` webservice campaign applied to the end with ``--sandbox`` (no
   latency), then applied again; prints the rerun's wall time (target under 5 s) and checks
   that it sent nothing and left the lockfile byte-identical.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from runner.sandbox import DEMO_API_KEY, SandboxApp
from runner.sandbox.server import start_in_thread

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from runner.cli import main; main()"]
CREDIT = 1e13  # enough for a million GSM-7 messages at the sandbox's prices


def write_campaign(folder: Path, count: int) -> Path:
    with (folder / "many.txt").open("w", encoding="utf-8") as out:
        for n in range(count):
            out.write(f"0912{n:07d}\n")
    path = folder / "many.yaml"
    path.write_text(
        "version: 1\nname: many\ntype: webservice\nsender: '+983000505'\n"
        # Against the HTTP sandbox the send-hours guard holds: a benchmark runs at any hour.
        "send_hours: any\n"
        "message: Hello from the benchmark\nrecipients: [{file: many.txt}]\n",
        encoding="utf-8",
    )
    return path


def run_cli(folder: Path, *args: str, env: dict[str, str] | None = None) -> float:
    """Run the CLI to the end in ``folder``; its wall time in seconds. Exits on failure."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IPPANEL_")}
    clean["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), clean.get("PYTHONPATH")]))
    start = time.perf_counter()
    proc = subprocess.run(
        [*CLI, *args],
        cwd=folder,
        env={**clean, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"ippanel-run {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return elapsed


def throughput(recipients: int, concurrency: int, latency_ms: float) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_campaign(folder, recipients)
        app = SandboxApp(folder / "http-state")
        app.set_credit(CREDIT)
        app.faults.add("latency", 0, "send", ms=latency_ms)
        server, url = start_in_thread(app)
        try:
            seconds = run_cli(
                folder,
                *("--yes", "--concurrency", str(concurrency), "--api-url", url, "many.yaml"),
                env={"IPPANEL_API_KEY": DEMO_API_KEY, "IPPANEL_CONFIG_DIR": str(folder)},
            )
        finally:
            server.shutdown()
            server.server_close()
        sent = len(app.store.committed_messages())
    if sent != recipients:
        sys.exit(f"the sandbox committed {sent:,} messages, not {recipients:,}")
    batches = math.ceil(recipients / 1000)
    return (
        f"--concurrency {concurrency}: {seconds:6.2f} s  {batches / seconds:7.1f} batches/s  "
        f"{recipients / seconds:9,.0f} recipients/s  ({batches} batches of <=1,000)"
    )


def noop_rerun(recipients: int) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_campaign(folder, recipients)
        app = SandboxApp(folder / ".ippanel-sandbox")
        app.set_credit(CREDIT)
        first = run_cli(folder, "--sandbox", "--yes", "--concurrency", "4", "many.yaml")
        lockfile = folder / "many.lock.json"
        before = lockfile.read_bytes()
        count = _outboxes(app)
        rerun = run_cli(folder, "--sandbox", "--yes", "many.yaml")
        if lockfile.read_bytes() != before or _outboxes(app) != count:
            sys.exit("the rerun changed the lockfile or sent something")
    return [
        f"first apply:   {first:6.2f} s  ({recipients:,} recipients, {count:,} batches)",
        f"no-op rerun:   {rerun:6.2f} s  (target < 5 s; lockfile {len(before) / 1e6:.1f} MB, "
        "unchanged; nothing sent)",
    ]


def _outboxes(app: SandboxApp) -> int:
    with app.store.transaction() as tx:
        return int(tx.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-rerun", action="store_true")
    args = parser.parse_args()
    if not args.skip_throughput:
        print(
            f"apply {args.recipients:,} webservice recipients, HTTP sandbox, "
            f"{args.latency_ms:g} ms latency a send:"
        )
        for concurrency in (1, 4):
            print("  " + throughput(args.recipients, concurrency, args.latency_ms), flush=True)
    if not args.skip_rerun:
        print(f"rerun of a finished {args.big:,}-recipient webservice campaign (--sandbox):")
        for line in noop_rerun(args.big):
            print("  " + line, flush=True)


if __name__ == "__main__":
    main()
