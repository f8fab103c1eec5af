"""Benchmark (issue 13): a 1,000,000-recipient ``type: file`` campaign, planned and applied.

Run on demand (not part of the test suite):

    .venv/bin/python tests/benchmarks/bench_file_send.py [--recipients 1000000]

Against the HTTP sandbox served from a thread of this process (no latency fault),
each step the real CLI in a child process:

1. ``plan --format json`` of the campaign to a file: wall time, peak RSS, size; the
   plan is then read back and its upload checked (header + one row a recipient);
2. ``apply --yes``: wall time, peak RSS, and the API requests it made (one send);
   the sandbox must then hold one outbox with every recipient;
3. the rerun: nothing sent, lockfile byte-identical.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from scale_common import CountingSandbox, run_cli

FORMS = ("0912{:07d}", "+98935{:07d}", "0098919{:07d}", "901{:07d}")


def write_campaign(folder: Path, count: int) -> Path:
    """``count`` recipients: one typed in the campaign, the rest in a CSV (four written forms)."""
    with (folder / "customers.csv").open("w", encoding="utf-8") as out:
        out.write("name,mobile\n")
        for n in range(count - 1):
            out.write(f"c{n},{FORMS[n % 4].format(n // 4)}\n")
    path = folder / "everyone.yaml"
    path.write_text(
        "version: 1\nname: everyone\ntype: file\nsender: '+983000505'\n"
        "message: حراج پاییزه، ۳۰٪ تخفیف روی همه‌ی کالاها\n"
        "recipients: ['+989390000000', {file: customers.csv, phone_column: mobile}]\n",
        encoding="utf-8",
    )
    return path


def measure(count: int) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_campaign(folder, count)
        with CountingSandbox(folder / "state") as sandbox:
            env = sandbox.env(folder)
            plan_file = folder / "plan.json"
            plan = run_cli(
                folder, "plan", "--format", "json", "everyone.yaml", env=env, stdout=plan_file
            )
            rows = _check_plan(plan_file, count)
            sandbox.app.take_calls()
            apply = run_cli(folder, "--yes", "everyone.yaml", env=env)
            calls = sandbox.app.take_calls()
            outboxes = _outboxes(sandbox.app)
            lockfile = folder / "everyone.lock.json"
            before = lockfile.read_bytes()
            rerun = run_cli(folder, "--yes", "everyone.yaml", env=env)
            again = sandbox.app.take_calls()
        if outboxes != [count] or lockfile.read_bytes() != before:
            sys.exit(f"expected one outbox of {count:,} and an unchanged lockfile: {outboxes}")
        if again.get("POST /api/send"):
            sys.exit("the rerun sent something")
    sends = calls.get("POST /api/send", 0)
    other = sum(calls.values()) - sends
    return [
        f"plan --format json: {plan.seconds:6.2f} s  peak RSS {plan.peak_mb:6.0f} MB  "
        f"{plan.stdout_bytes / 1e6:.1f} MB of JSON ({rows:,} recipients in the upload)",
        f"apply:              {apply.seconds:6.2f} s  peak RSS {apply.peak_mb:6.0f} MB  "
        f"{sends} send request(s) (+{other} read(s): {_calls(calls, 'POST /api/send')}); "
        f"1 outbox of {count:,}",
        f"rerun:              {rerun.seconds:6.2f} s  peak RSS {rerun.peak_mb:6.0f} MB  "
        f"nothing sent, lockfile {len(before) / 1e6:.1f} MB unchanged",
    ]


def _check_plan(path: Path, expected: int) -> int:
    document = json.loads(path.read_text(encoding="utf-8"))
    (batch,) = document["campaigns"][0]["batches"]
    request = batch["request"]
    lines = request["files"][0]["content"].splitlines()
    found = len(lines) - 1 + len(request["form"].get("other_recipients[]", []))
    if lines[0] != "phone_number" or found != expected:
        sys.exit(f"the plan's upload holds {found:,} recipients, not {expected:,}")
    return found


def _outboxes(app: object) -> list[int]:
    store = app.store  # type: ignore[attr-defined]
    with store.transaction() as tx:
        return [int(r[0]) for r in tx.execute("SELECT rcpts FROM outbox ORDER BY id")]


def _calls(calls: dict[str, int], leave_out: str) -> str:
    shown = [f"{k} ×{n}" for k, n in sorted(calls.items()) if k != leave_out]
    return ", ".join(shown) or "none"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"type: file, {args.recipients:,} recipients, HTTP sandbox:")
    for line in measure(args.recipients):
        print("  " + line, flush=True)


if __name__ == "__main__":
    main()
