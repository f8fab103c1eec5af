"""Benchmark (issue 13), both scale measurements in one run, printed side by side.

Run on demand (not part of the test suite):

    .venv/bin/python tests/benchmarks/bench_scale.py [--file-recipients 1000000]
        [--report-recipients 100000] [--latency-ms 20] [--concurrency 16]

1. ``bench_file_send``: a 1,000,000-recipient ``type: file`` campaign, ``plan --format
   json`` and ``apply`` against the HTTP sandbox (time, peak RSS, requests), then the rerun.
2. ``bench_report``: the report calls per outbox of a 100,000-recipient peer_to_peer
   campaign (100,000 outboxes) with ``--latency-ms`` on every report call, first run and
   rerun.

Each script also runs on its own; their docstrings say exactly what is measured.
"""

from __future__ import annotations

import argparse

import bench_file_send
import bench_report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file-recipients", type=int, default=1_000_000)
    parser.add_argument("--report-recipients", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    print(f"1. type: file, {args.file_recipients:,} recipients, HTTP sandbox:", flush=True)
    for line in bench_file_send.measure(args.file_recipients):
        print("   " + line, flush=True)
    print(
        f"2. report of a {args.report_recipients:,}-recipient peer_to_peer campaign "
        f"(a text a recipient), {args.latency_ms:g} ms a report call, "
        f"report --concurrency {args.concurrency}:",
        flush=True,
    )
    for line in bench_report.measure(args.report_recipients, args.latency_ms, args.concurrency):
        print("   " + line, flush=True)


if __name__ == "__main__":
    main()
