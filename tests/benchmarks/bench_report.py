"""Benchmark (issue 13): report calls per outbox of a 100,000-recipient peer_to_peer campaign.

Run on demand (not part of the test suite):

    .venv/bin/python tests/benchmarks/bench_report.py [--recipients 100000] [--latency-ms 20]
        [--concurrency 16]

A peer_to_peer campaign whose text names each recipient (so every recipient is one
``params`` item and one outbox: 100,000 outboxes) is applied by the CLI against the
HTTP sandbox served from a thread of this process; the sandbox clock is then moved
past review and sending, and a ``latency`` fault of ``--latency-ms`` is put on every
report call. ``ippanel-run report`` runs twice, each time in a child process, and
the sandbox counts the API calls of each run: the first (target at most 1.2 calls
per outbox) and the rerun (target: no call for a final outbox).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

from scale_common import CountingSandbox, run_cli

SETTLE_SECONDS = 600  # review (60 s) and sending (30 s) in the sandbox, with room to spare


def write_campaign(folder: Path, count: int) -> Path:
    with (folder / "people.csv").open("w", encoding="utf-8") as out:
        out.write("phone,name\n")
        for n in range(count):
            out.write(f"0912{n:07d},c{n}\n")
    path = folder / "personal.yaml"
    path.write_text(
        "version: 1\nname: personal\ntype: peer_to_peer\nsender: '+983000505'\n"
        "message: 'Hi {{ name }}, your code is ready'\nrecipients: [{file: people.csv}]\n",
        encoding="utf-8",
    )
    return path


def measure(count: int, latency_ms: float, concurrency: int) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_campaign(folder, count)
        with CountingSandbox(folder / "state") as sandbox:
            env = sandbox.env(folder)
            apply = run_cli(folder, "--yes", "--concurrency", "4", "personal.yaml", env=env)
            outboxes = _outboxes(sandbox.app)
            sandbox.app.advance(SETTLE_SECONDS)
            sandbox.app.faults.add("latency", 0, "report", ms=latency_ms)
            sandbox.app.take_calls()
            report = ("report", "--concurrency", str(concurrency), "personal.yaml")
            first = run_cli(folder, *report, env=env)
            first_calls = sandbox.app.take_calls()
            rerun = run_cli(folder, *report, env=env)
            rerun_calls = sandbox.app.take_calls()
        cache = folder / "personal.report.cache.json"
        cache_mb = cache.stat().st_size / 1e6 if cache.exists() else 0.0
    if outboxes != count:
        sys.exit(f"expected {count:,} outboxes (one a recipient), found {outboxes:,}")
    return [
        f"apply (setup):   {apply.seconds:7.1f} s  {outboxes:,} outboxes",
        _line("first report:", first.seconds, first.peak_mb, first_calls, outboxes),
        _line("rerun:", rerun.seconds, rerun.peak_mb, rerun_calls, outboxes),
        f"cache:           {cache_mb:.1f} MB",
    ]


def _line(label: str, seconds: float, peak_mb: float, calls: Counter[str], outboxes: int) -> str:
    total = sum(calls.values())
    detail = ", ".join(f"{path} ×{n:,}" for path, n in sorted(calls.items())) or "no call"
    return (
        f"{label:<16} {seconds:7.1f} s  peak RSS {peak_mb:5.0f} MB  {total:,} calls = "
        f"{total / outboxes:.3f} per outbox ({detail})"
    )


def _outboxes(app: object) -> int:
    store = app.store  # type: ignore[attr-defined]
    with store.transaction() as tx:
        return int(tx.execute("SELECT count(*) FROM outbox").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    print(
        f"report of a {args.recipients:,}-recipient peer_to_peer campaign (a text a recipient), "
        f"HTTP sandbox, {args.latency_ms:g} ms latency a report call, "
        f"report --concurrency {args.concurrency}:"
    )
    for line in measure(args.recipients, args.latency_ms, args.concurrency):
        print("  " + line, flush=True)


if __name__ == "__main__":
    main()
