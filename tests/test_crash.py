"""Crash safety end to end: the real CLI in subprocesses, killed, signalled, lied to.

1. Random SIGKILLs: each seed applies a webservice campaign with ``--sandbox`` (whose
   SQLite state sits in the campaign's folder, so this process sees what the child
   committed), kills the child after a random number of journal lines — with a latency
   fault on sends, so some kills land mid-POST — reruns it until it exits 0, and then
   checks the sandbox's own record: every recipient got exactly one message, and every
   outbox the sandbox committed is in the lockfile, in a batch marked ``sent``.
2. Issue 10's table (``crash_rows``): late commits, signals, damaged journals, gateways'
   answers, too few ids, a dribbling server, lost lockfiles, sandbox lockfiles — each
   against the HTTP sandbox's fault injection, each ending settled (``crashkit.settled``).

A batch a killed run left ``sending`` that never reached the API is sent again only 40 s
after its first attempt (the API's identical-request rule), so reruns wait for real. All
of it therefore runs side by side, in threads, from one module fixture; each test then
checks one seed or one row.
"""

from __future__ import annotations

import json
import math
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import crashkit
import pytest
from crash_rows import ROWS
from crashkit import FAST, TIMEOUT, Child, Run, kill, phone, wait_until

from runner.sandbox import DEMO_API_KEY, SandboxApp
from runner.sandbox.server import start_in_thread

pytestmark = pytest.mark.slow

# Dies like SIGKILL right before the lockfile is written (after every batch is journaled).
CLI_DIES_BEFORE_SAVE = [
    sys.executable,
    "-c",
    "import os, runner.apply as a; a.save = lambda *_, **__: os._exit(137); "
    "from runner.cli import main; main()",
]
SEEDS = range(21)
BIG_SEEDS = (0, 1, 2)  # 2,000 recipients, 200 batches; the others ~40 batches, to stay quick
MAX_RERUNS = 5
STATE = ".ippanel-sandbox"
LOCKFILE = ".ippanel-sandbox/lockfiles/many.lock.json"  # where --sandbox keeps it
JOURNAL = LOCKFILE + ".journal"


def apply_args(*extra: str) -> list[str]:
    return ["--sandbox", "--yes", "--concurrency", "4", *FAST, *extra, "many.yaml"]


def write_campaign(folder: Path, count: int) -> Path:
    return crashkit.write_campaign(folder, count)


def journal_lines(folder: Path, journal: str = JOURNAL) -> int:
    try:
        return (folder / journal).read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


@dataclass
class Crash:
    """What one seed did: its folder, campaign size, every run, and what the kills left."""

    folder: Path
    recipients: int
    latency_ms: int
    runs: list[Run] = field(default_factory=list)
    kills: int = 0
    in_flight: int = 0  # batches journaled ``sending`` but not settled when a kill landed
    rerun: Run | None = None  # one more apply after the campaign was finished

    def kill_and_finish(self, child: Child) -> None:
        if kill(child):
            self.kills += 1
            self.in_flight += len(unsettled(self.folder))
        self.runs.append(child.finish())

    def adopted(self) -> int:
        """Batches a rerun found already committed and adopted: their kill hit mid-POST.

        A rerun finds them by reconciling the journal ("ids adopted") or, when the
        journal's line never made it, in the account's outbox ("adopted: ...").
        """
        lock = json.loads((self.folder / LOCKFILE).read_text(encoding="utf-8"))
        errors = [b["error"] for b in lock["batches"].values()]
        return sum("ids adopted" in e or e.startswith("adopted:") for e in errors)

    def describe(self) -> str:
        codes = [r.code for r in self.runs]
        tails = "\n".join(f"--- run {n}:\n{r.stderr[-800:]}" for n, r in enumerate(self.runs, 1))
        return (
            f"{self.folder}: {self.recipients} recipients, latency {self.latency_ms} ms, "
            f"{self.kills} kill(s), exit codes {codes}; stderr tails:\n{tails}"
        )


def unsettled(folder: Path) -> set[str]:
    """Keys whose last journal line says ``sending``."""
    try:
        lines = (folder / JOURNAL).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return set()
    states: dict[str, str] = {}
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            break  # a torn last line
        states[record["key"]] = record["state"]
    return {key for key, state in states.items() if state == "sending"}


def crash_and_recover(folder: Path, seed: int) -> Crash:
    """Kill a first apply at a random journal line (sometimes the rerun too); rerun to exit 0."""
    rng = random.Random(seed)
    recipients = 2000 if seed in BIG_SEEDS else rng.randrange(380, 420)
    crash = Crash(folder, recipients, rng.choice([0, 5, 20, 40]))
    write_campaign(folder, recipients)
    if crash.latency_ms:
        SandboxApp(folder / STATE).faults.add("latency", 0, "send", ms=crash.latency_ms)
    # Two journal lines a batch (sending, sent): any target up to the last one is mid-run.
    target = rng.randint(0, 2 * math.ceil(recipients / 10) - 1)
    jitter = rng.uniform(0, 0.03)
    first = Child(folder, *apply_args())
    if wait_until(first, lambda: journal_lines(folder) >= target):
        time.sleep(jitter)
    crash.kill_and_finish(first)
    if rng.random() < 0.3:
        # Kill the recovering run as well: during reconciliation, the 40 s wait, or sending.
        until = time.monotonic() + rng.uniform(0.2, 3.0)
        second = Child(folder, *apply_args())
        wait_until(second, lambda: time.monotonic() >= until)
        crash.kill_and_finish(second)
    for _ in range(MAX_RERUNS):
        crash.runs.append(Child(folder, *apply_args()).finish())
        if crash.runs[-1].code == 0:
            if seed % 3 == 0:  # not every seed: each process start costs CPU the others need
                crash.rerun = Child(folder, *apply_args()).finish()
            break
    return crash


def assert_each_recipient_once_and_every_outbox_recorded(folder: Path, recipients: int) -> None:
    committed = SandboxApp(folder / STATE).store.committed_messages()
    got = Counter(m.recipient for m in committed)
    twice = {p: n for p, n in got.items() if n > 1}
    missing = [phone(n) for n in range(recipients) if phone(n) not in got]
    assert not twice, f"sent more than once: {sorted(twice.items())[:10]}"
    assert not missing, f"{len(missing)} never sent, e.g. {missing[:5]}"
    assert set(got) == {phone(n) for n in range(recipients)}
    assert {m.text for m in committed} == {"Hello"}

    lock = json.loads((folder / LOCKFILE).read_text(encoding="utf-8"))
    batches = list(lock["batches"].values())
    assert {b["state"] for b in batches} == {"sent"}
    assert sum(b["recipients"] for b in batches) == recipients
    recorded = sorted(i for b in batches for i in b["outbox_ids"])
    assert recorded == sorted({m.outbox_id for m in committed}), "outbox ids lost or invented"
    assert not (folder / JOURNAL).exists()


@pytest.fixture(scope="module")
def everything(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[int, Future[Crash]], dict[str, Future[None]]]]:
    """Every seed's crash-and-recover and every row of issue 10, all at once (most of
    them mostly wait out the API's 40 s rule)."""
    with ThreadPoolExecutor(max_workers=len(SEEDS) + len(ROWS)) as pool:
        rows = {
            name: pool.submit(scenario, tmp_path_factory.mktemp("row"))
            for name, scenario in ROWS.items()
        }
        seeds = {
            seed: pool.submit(crash_and_recover, tmp_path_factory.mktemp(f"crash{seed}"), seed)
            for seed in SEEDS
        }
        yield seeds, rows


@pytest.fixture(scope="module")
def crashes(
    everything: tuple[dict[int, Future[Crash]], dict[str, Future[None]]],
) -> dict[int, Future[Crash]]:
    return everything[0]


@pytest.mark.parametrize("row", ROWS)
def test_each_way_production_goes_wrong_ends_with_each_recipient_sent_once(
    everything: tuple[dict[int, Future[Crash]], dict[str, Future[None]]], row: str
) -> None:
    everything[1][row].result(timeout=4 * TIMEOUT)  # its assertions, raised here


def test_two_applies_at_once_never_send_twice(
    crashes: dict[int, Future[Crash]], tmp_path: Path
) -> None:
    # ``crashes`` only so that the seeds start first and this runs during their 40 s waits.
    write_campaign(tmp_path, 400)
    SandboxApp(tmp_path / STATE).faults.add("latency", 0, "send", ms=40)
    children = [Child(tmp_path, *apply_args()), Child(tmp_path, *apply_args())]
    runs = [c.finish() for c in children]

    winner, loser = sorted(runs, key=lambda r: "sent 40 batch(es)" not in r.stdout)
    assert winner.code == 0 and "sent 40 batch(es) to 400 recipient(s)" in winner.stdout
    if loser.code == 1:  # it failed on the file lock, naming the holder
        assert re.search(r"many\.lock\.json is being applied by (pid \d+|another)", loser.stderr)
    else:  # it waited for the lock, then found nothing left to send
        assert loser.code == 0 and "already sent" in loser.stdout, loser.stderr
    assert_each_recipient_once_and_every_outbox_recorded(tmp_path, 400)

    final = Child(tmp_path, *apply_args()).finish()
    assert final.code == 0 and "already sent" in final.stdout
    assert_each_recipient_once_and_every_outbox_recorded(tmp_path, 400)


def test_api_key_is_never_written_or_printed(
    crashes: dict[int, Future[Crash]], tmp_path: Path
) -> None:
    folder = tmp_path / "campaign"
    folder.mkdir()
    write_campaign(folder, 1000)
    app = SandboxApp(tmp_path / "http-state")
    app.faults.add("latency", 0, "send", ms=5)
    server, url = start_in_thread(app)
    env = {"IPPANEL_API_KEY": DEMO_API_KEY, "IPPANEL_CONFIG_DIR": str(tmp_path / "config")}
    try:
        child = Child(folder, "--yes", "--api-url", url, "many.yaml", env=env)
        # The journal only exists while the apply runs: read it mid-run.
        wait_until(child, lambda: journal_lines(folder, "many.lock.json.journal") >= 40)
        journal = (folder / "many.lock.json.journal").read_text(encoding="utf-8", errors="replace")
        run = child.finish()
    finally:
        server.shutdown()
        server.server_close()
    assert run.code == 0, run.stderr
    assert journal.count("\n") >= 40 and '"state": "sent"' in journal
    files = {
        p: p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*") if p.is_file()
    }
    assert folder / "many.lock.json" in files
    for where, text in {"stdout": run.stdout, "stderr": run.stderr, "journal": journal}.items():
        assert DEMO_API_KEY not in text, f"the API key is in {where}"
    for path, text in files.items():
        assert DEMO_API_KEY not in text, f"the API key is in {path}"
    assert len(app.store.committed_messages()) == 1000


def test_kill_between_last_batch_and_lockfile_write_is_recovered(tmp_path: Path) -> None:
    write_campaign(tmp_path, 50)
    crashed = Child(tmp_path, *apply_args(), cli=CLI_DIES_BEFORE_SAVE).finish()
    assert crashed.code == 137
    assert journal_lines(tmp_path) == 10 and not (tmp_path / LOCKFILE).exists()

    rerun = Child(tmp_path, *apply_args()).finish()
    assert rerun.code == 0, rerun.stderr
    assert_each_recipient_once_and_every_outbox_recorded(tmp_path, 50)
    again = Child(tmp_path, *apply_args()).finish()
    assert again.code == 0 and "already sent" in again.stdout


@pytest.mark.parametrize("seed", SEEDS)
def test_apply_killed_at_random_then_rerun_sends_each_recipient_once(
    crashes: dict[int, Future[Crash]], seed: int
) -> None:
    crash = crashes[seed].result(timeout=4 * TIMEOUT)
    assert crash.runs[-1].code == 0, crash.describe()
    assert "Traceback" not in "".join(r.stderr for r in crash.runs), crash.describe()
    assert_each_recipient_once_and_every_outbox_recorded(crash.folder, crash.recipients)
    if crash.rerun is not None:
        assert crash.rerun.code == 0 and "already sent" in crash.rerun.stdout, crash.rerun.stderr


def test_kills_land_both_before_and_after_the_sandbox_commits(
    crashes: dict[int, Future[Crash]],
) -> None:
    done = [f.result(timeout=4 * TIMEOUT) for f in crashes.values()]
    unkilled = [c for c in done if not c.kills]
    assert len(unkilled) <= len(done) // 4, "\n\n".join(c.describe() for c in unkilled[:3])
    assert any(c.kills and c.recipients == 2000 for c in done)
    adopted = sum(c.adopted() for c in done)
    assert adopted > 0, "no kill landed between the sandbox's commit and the journal"
    assert sum(c.in_flight for c in done) > adopted, "no kill landed before a commit"
