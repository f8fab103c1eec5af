"""Benchmark (issue 13, point 3): pattern and votp campaigns, one request a recipient,
against a raw httpx loop sending the same bodies at the same concurrency.

Run on demand (not part of the test suite):

    .venv/bin/python tests/benchmarks/bench_per_recipient.py [--latency-ms 20]
        [--pattern 5000] [--votp 2000] [--concurrency 16] [--rounds 3]

The API is ``fake_api.py`` in a child process: it answers from memory after
``--latency-ms`` on every send, so neither side waits on the sandbox's SQLite. For each
campaign the exact request bodies come from ``ippanel-run plan --format json``; then,
alternating for ``--rounds`` rounds:

- the raw loop: an ``httpx.Client`` posting those bodies from a thread pool of
  ``--concurrency`` threads, timed from the first request to the last answer;
- the same loop as a script a person would write: a child process that imports
  httpx, reads the bodies from a JSON file and posts them, timed from start to exit;
- ``ippanel-run --yes --quiet CAMPAIGN`` in a child process at its default
  concurrency (16 for pattern and votp; ``--concurrency`` must match it), timed from
  start to exit: start-up, planning, the account and outbox checks, the write-ahead
  journal with its fsyncs, the lockfile.

Printed: the fastest round of each, and the ratios (target: within 1.1). The CLI's
fixed part — Python start-up and imports (~0.35 s), planning 5,000 rendered
recipients (~0.15 s), the account and outbox checks, the lockfile at the end (~0.1 s)
— is about a tenth of the 20 ms × 5,000 / 16 floor, which is why the ratio against
the bare loop sits just above 1.1 while the sending itself keeps pace with it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CLI = [sys.executable, "-c", "from runner.cli import main; main()"]
KEY = "bench-key"


def write_campaign(folder: Path, kind: str, count: int) -> None:
    with (folder / "people.csv").open("w", encoding="utf-8") as out:
        out.write("phone,name,code\n")
        for n in range(count):
            out.write(f"0912{n:07d},c{n},{n % 100000:05d}\n")
    if kind == "pattern":
        what = "pattern: {code: nowruz1406ptrn, params: {name: '{{ name }}', code: '{{ code }}'}}"
        head = "sender: '+983000505'\n"
    else:
        what, head = "message: '{{ code }}'", ""
    (folder / "c.yaml").write_text(
        f"version: 1\nname: c\ntype: {kind}\n{head}{what}\nrecipients: [{{file: people.csv}}]\n",
        encoding="utf-8",
    )


def env(folder: Path, url: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IPPANEL_")}
    clean["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), clean.get("PYTHONPATH")]))
    return {
        **clean,
        "IPPANEL_API_KEY": KEY,
        "IPPANEL_BASE_URL": url,
        "IPPANEL_CONFIG_DIR": str(folder / "config"),
    }


def bodies(folder: Path, url: str) -> list[dict[str, Any]]:
    plan = subprocess.run(
        [*CLI, "plan", "--format", "json", "c.yaml"],
        cwd=folder,
        env=env(folder, url),
        capture_output=True,
        check=True,
    )
    return [b["request"] for b in json.loads(plan.stdout)["campaigns"][0]["batches"]]


def raw_loop(url: str, requests: list[dict[str, Any]], concurrency: int) -> float:
    with httpx.Client(headers={"Authorization": KEY}) as client:

        def post(body: dict[str, Any]) -> None:
            answer = client.post(url + "/api/send", json=body)
            answer.raise_for_status()

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(post, requests))
        return time.perf_counter() - start


RAW_SCRIPT = """
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
import httpx
url, path, concurrency, KEY = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
bodies = json.load(open(path, encoding="utf-8"))
with httpx.Client(headers={"Authorization": KEY}) as client:
    def post(body):
        client.post(url + "/api/send", json=body).raise_for_status()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(post, bodies))
"""


def raw_script(folder: Path, url: str, requests: list[dict[str, Any]], concurrency: int) -> float:
    path = folder / "bodies.json"
    path.write_text(json.dumps(requests), encoding="utf-8")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", RAW_SCRIPT, url, str(path), str(concurrency)], check=True)
    return time.perf_counter() - start


def cli_apply(folder: Path, url: str) -> float:
    for stale in ("c.lock.json", "c.lock.json.journal"):
        (folder / stale).unlink(missing_ok=True)
    start = time.perf_counter()
    done = subprocess.run(
        [*CLI, "--yes", "--quiet", "--outbox-window", "1m", "c.yaml"],
        cwd=folder,
        env=env(folder, url),
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"ippanel-run exited {done.returncode}:\n{done.stderr[-3000:]}")
    return seconds


def measure(kind: str, count: int, latency: float, concurrency: int, rounds: int) -> str:
    api = subprocess.Popen(
        [sys.executable, str(HERE / "fake_api.py"), "--latency-ms", str(latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert api.stdout is not None
        url = api.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            write_campaign(folder, kind, count)
            requests = bodies(folder, url)
            raw, script, cli = [], [], []
            for _ in range(rounds):
                raw.append(raw_loop(url, requests, concurrency))
                script.append(raw_script(folder, url, requests, concurrency))
                cli.append(cli_apply(folder, url))
    finally:
        api.terminate()
        api.wait()
    floor = count * latency / 1000 / concurrency
    best = min(cli)
    return (
        f"{kind} {count:,} at {latency:g} ms, concurrency {concurrency} (latency floor "
        f"{floor:.2f} s): ippanel-run {best:.2f} s, planning included; raw loop "
        f"{min(raw):.2f} s → {best / min(raw):.3f}×; the loop as a script {min(script):.2f} s "
        f"→ {best / min(script):.3f}×\n  rounds: raw {_shown(raw)}; script {_shown(script)}; "
        f"ippanel-run {_shown(cli)}"
    )


def _shown(seconds: list[float]) -> str:
    return ", ".join(f"{s:.2f}" for s in seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--pattern", type=int, default=5000)
    parser.add_argument("--votp", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for kind, count in (("pattern", args.pattern), ("votp", args.votp)):
        print(measure(kind, count, args.latency_ms, args.concurrency, args.rounds), flush=True)


if __name__ == "__main__":
    main()
