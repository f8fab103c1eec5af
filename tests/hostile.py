"""The hostile campaigns of ``tests/data/hostile/refused`` and how to run one (issue 11).

Every ``<case>.expected`` there is a case: the stderr a user sees when ippanel-run
refuses ``<case>.yaml``. A case runs in a scratch repository (a folder with ``.git``)
holding a copy of the folder as ``campaigns/``, beside an ``outside/secret.txt`` no
campaign may read; ``files.json`` makes what git cannot hold (symlinks to
``/proc/self/environ`` and ``/dev/zero``, a FIFO, a 9 MB line). The command line is
``--sandbox --yes campaigns/<case>.yaml`` unless the case's first lines say
``# args: …``. Cases whose comment starts with ``bomb:`` are also run by
``test_hostile.py`` in a child process that reports its peak memory, and timed by
``benchmarks/bench_hostile.py``.

Run as a script it runs the cases named (all bombs by default) in this process and
prints ``{"seconds": {case: s}, "peak_rss_mb": n}``.
"""

from __future__ import annotations

import json
import os
import resource
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner, Result

from runner.cli import AppContext, cli

REFUSED = Path(__file__).parent / "data" / "hostile" / "refused"
CASES = sorted(path.stem for path in REFUSED.glob("*.expected"))
SECRET = "hostile-secret-7d1c0ffee"
DEFAULT_ARGS = "--sandbox --yes campaigns/{case}.yaml"


def make_repository(root: Path) -> Path:
    """A scratch repository at ``root/repo`` with the cases in ``campaigns/``; returns it."""
    repo = root / "repo"
    (repo / ".git").mkdir(parents=True)
    campaigns = repo / "campaigns"
    shutil.copytree(REFUSED, campaigns, ignore=shutil.ignore_patterns("*.expected", "files.json"))
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"API_KEY={SECRET}\n09120000000\n", encoding="utf-8")
    specs = json.loads((REFUSED / "files.json").read_text(encoding="utf-8"))
    for name, spec in specs.items():
        path = campaigns / name
        if "symlink" in spec:
            path.symlink_to(spec["symlink"])
        elif spec.get("fifo"):
            os.mkfifo(path)
        elif spec.get("folder"):
            path.mkdir()
        else:
            path.write_text(spec.get("head", "") + spec["text"] * spec["times"], encoding="utf-8")
    return repo


def case_lines(case: str, repo: Path) -> list[str]:
    """The first comment lines of the case's campaign (empty for a generated one)."""
    lines = []
    with (repo / "campaigns" / f"{case}.yaml").open(encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("# "):
                break
            lines.append(line[2:].rstrip("\n"))
    return lines


def args_of(case: str, repo: Path) -> list[str]:
    for line in case_lines(case, repo):
        if line.startswith("args: "):
            return shlex.split(line.removeprefix("args: "))
    return shlex.split(DEFAULT_ARGS.format(case=case))


def is_bomb(case: str, repo: Path) -> bool:
    return any(line.startswith("bomb:") for line in case_lines(case, repo))


def run_case(case: str, repo: Path, app: AppContext) -> Result:
    """Run the case's command line in-process from ``repo`` (the working directory)."""
    previous = Path.cwd()
    os.chdir(repo)
    try:
        return CliRunner().invoke(
            cli, args_of(case, repo), obj=app, catch_exceptions=False, prog_name="ippanel-run"
        )
    finally:
        os.chdir(previous)


def main(argv: list[str]) -> None:
    from datetime import datetime, timezone

    now = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        repo = make_repository(Path(scratch))
        cases = argv or [case for case in CASES if is_bomb(case, repo)]
        for case in cases:
            app = AppContext(now=lambda: now, sleep=lambda _s: None, env={})
            start = time.perf_counter()
            result = run_case(case, repo, app)
            seconds[case] = round(time.perf_counter() - start, 3)
            if result.exit_code != 2:
                raise SystemExit(f"{case}: exit code {result.exit_code}\n{result.output}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": round(peak, 1)}))


if __name__ == "__main__":
    main(sys.argv[1:])
