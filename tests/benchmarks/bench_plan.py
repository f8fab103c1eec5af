"""Benchmark: plan a 1,000,000-row peer_to_peer campaign vs a bare DictReader + Jinja loop.

Run on demand (not part of the test suite):

    .venv/bin/python tests/benchmarks/bench_plan.py [--rows 1000000]

Prints wall time and peak RSS of each, measured in separate child processes in the
same run, alternating (``--repeat``, default 3) and keeping the fastest of each: this
machine's timings vary by tens of percent from run to run. Targets (issue 2): plan
within 2x of the baseline, under 1 GB peak RSS.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

TEMPLATE = "{{ name }} عزیز، نوروز مبارک! {{ discount }}٪ تخفیف برای مشتریان {{ city }}."
NAMES = ["مریم", "رضا", "سارا", "علی", "نگار", "کیان", "Sam", "Neda", "Arash", "Parisa"]
CITIES = ["تهران", "شیراز", "اصفهان", "تبریز", "مشهد", "رشت", "یزد", "کرج"]


def generate(path: Path, rows: int) -> None:
    rng = random.Random(1406)
    forms = ["0912{:07d}", "+98935{:07d}", "0098919{:07d}", "901{:07d}"]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("phone,name,city\n")
        for n in range(rows):
            phone = forms[n % 4].format(n % 10_000_000)
            out.write(f"{phone},{rng.choice(NAMES)}{n % 997},{rng.choice(CITIES)}\n")


def baseline(csv_path: str) -> None:
    import csv

    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    template = SandboxedEnvironment(undefined=StrictUndefined).from_string(TEMPLATE)
    with open(csv_path, encoding="utf-8", newline="") as handle:
        count = sum(1 for row in csv.DictReader(handle) if template.render(row, discount=20))
    print(count)


def plan(csv_path: str) -> None:
    from runner.campaign import load_campaign
    from runner.planner import build_plan

    folder = Path(csv_path).parent
    campaign_file = folder / "bench.yaml"
    campaign_file.write_text(
        "version: 1\nname: bench\ntype: peer_to_peer\nsender: '+983000505'\n"
        f"vars: {{discount: 20}}\nmessage: '{TEMPLATE}'\nrecipients: [{{file: {csv_path}}}]\n",
        encoding="utf-8",
    )
    now = datetime(2026, 11, 26, tzinfo=timezone.utc)
    result = build_plan(load_campaign(campaign_file), now=now)
    print(len(result.batches), result.stats.kept)


def measure(kind: str, csv_path: Path) -> tuple[float, float, str]:
    """Wall time of a child process, its own peak RSS in MB, and what it printed."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(csv_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - start
    output, rss = proc.stdout.strip().rsplit("\n", 1)
    return elapsed, float(rss), output


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "CSV"))
    args = parser.parse_args()
    if args.child:
        {"baseline": baseline, "plan": plan}[args.child[0]](args.child[1])
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "customers.csv"
        generate(csv_path, args.rows)
        runs = [(measure("baseline", csv_path), measure("plan", csv_path))]
        for _ in range(args.repeat - 1):
            runs.append((measure("baseline", csv_path), measure("plan", csv_path)))
        base_s, base_mb, base_out = min(r[0] for r in runs)
        plan_s, plan_mb, plan_out = min(r[1] for r in runs)
        print("all runs (baseline s, plan s):", [(round(b[0], 1), round(p[0], 1)) for b, p in runs])
    print(f"rows:            {args.rows:,}")
    print(f"baseline:        {base_s:6.2f} s  peak RSS {base_mb:7.1f} MB  ({base_out} rendered)")
    print(
        f"ippanel-run plan:{plan_s:6.2f} s  peak RSS {plan_mb:7.1f} MB  ({plan_out}: batches, kept)"
    )
    print(f"ratio:           {plan_s / base_s:6.2f}x  (target <= 2x; RSS target < 1024 MB)")


if __name__ == "__main__":
    main()
