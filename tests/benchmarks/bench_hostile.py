"""Benchmark: each hostile "bomb" campaign, refused, with its time and peak RSS (issue 11).

Run on demand (not part of the test suite):

    .venv/bin/python tests/benchmarks/bench_hostile.py [CASE...]

Each case of ``tests/data/hostile/refused`` marked ``bomb:`` (or each CASE named)
runs in its own child process (``tests/hostile.py CASE``: the CLI in-process, as
``ippanel-run --sandbox --yes campaigns/CASE.yaml``), under a 1 GB address-space
limit so a regression fails instead of eating the machine. Prints the time of the
refusal, the child's peak RSS (interpreter and imports included) and the wall time of
the whole child. Targets: each refused with exit code 2 in seconds, under 200 MB.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

from hostile import CASES, is_bomb, make_repository  # noqa: E402

LIMIT_BYTES = 1 << 30


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))


def run(case: str) -> tuple[float, float, float]:
    """(seconds to refuse, peak RSS in MB, wall seconds of the child) for one case."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(TESTS / "hostile.py"), case],
        capture_output=True,
        text=True,
        preexec_fn=_limit,
        timeout=300,
        check=False,
        cwd=TESTS.parent,
        env={"PYTHONPATH": str(TESTS.parent), "HOME": tempfile.gettempdir()},
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{case}: {done.stdout}{done.stderr}")
    figures = json.loads(done.stdout)
    return figures["seconds"][case], figures["peak_rss_mb"], wall


def main(names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        repo = make_repository(Path(scratch))
        cases = names or [case for case in CASES if is_bomb(case, repo)]
    print(f"{'case':32} {'refused in':>10} {'peak RSS':>10} {'child wall':>11}")
    for case in cases:
        seconds, rss, wall = run(case)
        print(f"{case:32} {seconds:9.2f}s {rss:8.1f}MB {wall:10.2f}s")


if __name__ == "__main__":
    main(sys.argv[1:])
