"""Issue 10's table of ways production goes wrong, one scenario a row, end to end.

Each scenario runs the real CLI in child processes against the HTTP sandbox (``Api``)
and its fault injection, and ends with ``settled``: every recipient sent once, every
committed outbox id in the lockfile, and a final rerun that sends nothing and leaves
the lockfile byte-identical. ``tests/test_crash.py`` runs them all at once (several
wait out the API's 40-second identical-request window) and checks each.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path

from crashkit import Api, Child, clone, kill, lock_of, settled, wait_until, write_campaign

DATA = ("many.yaml", "many.txt")


def journal_lines(folder: Path) -> int:
    try:
        return (folder / "many.lock.json.journal").read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def with_api(scenario: Callable[[Api, Path], None]) -> Callable[[Path], None]:
    def run(tmp: Path) -> None:
        api = Api(tmp / "api-state")
        try:
            scenario(api, tmp)
        finally:
            api.close()

    run.__name__ = scenario.__name__
    return run


@with_api
def late_commit_rerun_at_once(api: Api, tmp: Path) -> None:
    """The API takes longer to commit a send than the client waits; rerun at once."""
    folder = tmp / "repo"
    write_campaign(folder, 30)
    api.app.faults.add("late_commit", 1, seconds=3)
    first = api.run(folder)
    assert first.code == 1 and "is unknown" in first.stderr, first.stderr
    rerun = api.run(folder)
    assert rerun.code == 0, rerun.stderr
    assert "ids adopted" in json.dumps(lock_of(folder))
    settled(api, folder, 30)


@with_api
def killed_while_the_api_holds_a_send(api: Api, tmp: Path) -> None:
    """SIGKILL while a send is in the API's hands (it commits late); rerun at once."""
    folder = tmp / "repo"
    write_campaign(folder, 30)
    api.app.faults.add("late_commit", 1, seconds=3)
    child = api.apply(folder, "--concurrency", "1")
    assert wait_until(child, api.fault_used), "the send never reached the API"
    kill(child)
    rerun = api.run(folder)
    assert rerun.code == 0, rerun.stderr
    assert "ids adopted" in json.dumps(lock_of(folder))
    settled(api, folder, 30)


def _stopped_mid_send(api: Api, folder: Path, signals: tuple[int, ...]) -> Child:
    write_campaign(folder, 200)
    api.app.faults.add("latency", 0, ms=100)
    child = api.apply(folder, "--concurrency", "2")
    assert wait_until(child, lambda: journal_lines(folder) >= 8), "it ended too soon"
    for signum in signals:
        child.signal(signum)
        time.sleep(0.05)
    return child


def _consistent(api: Api, folder: Path, *, hurried: bool = False) -> None:
    """The lockfile of a stopped run: folded, and every committed id in it — but for
    sends it stopped waiting for (a second signal), which it records ``unknown``."""
    assert not (folder / "many.lock.json.journal").exists()
    batches = list(lock_of(folder).values())
    assert {b["state"] for b in batches} <= {"sent", "unknown"}
    recorded = {i for b in batches for i in b["outbox_ids"]}  # type: ignore[attr-defined]
    missing = set(api.outbox_ids()) - recorded
    assert recorded <= set(api.outbox_ids())
    unknown = sum(1 for b in batches if b["state"] == "unknown")
    assert len(missing) <= (unknown if hurried else 0), (missing, unknown)


@with_api
def sigterm_then_a_fresh_clone(api: Api, tmp: Path) -> None:
    """A CI job cancelled mid-send (SIGTERM); the next run on a fresh clone, no lockfile."""
    folder = tmp / "runner-1"
    run = _stopped_mid_send(api, folder, (signal.SIGTERM,)).finish()
    assert run.code == 143, run.stderr
    assert "stopped by SIGTERM" in run.stderr and "batch(es) not sent" in run.stderr
    assert run.seconds < 30
    _consistent(api, folder)
    fresh = clone(folder, tmp / "runner-2", *DATA)  # the lockfile was never committed
    rerun = api.run(fresh)
    assert rerun.code == 0, rerun.stderr
    assert "~ adopt" in rerun.stdout
    settled(api, fresh, 200)


@with_api
def sigint_then_sigterm(api: Api, tmp: Path) -> None:
    """SIGINT, then SIGTERM before it is done: still a consistent lockfile; rerun finishes."""
    folder = tmp / "repo"
    run = _stopped_mid_send(api, folder, (signal.SIGINT, signal.SIGTERM)).finish()
    assert run.code == 130, run.stderr
    assert "SIGTERM again: no more waiting" in run.stderr
    _consistent(api, folder, hurried=True)
    assert api.run(folder).code == 0
    settled(api, folder, 200)


@with_api
def sigkill_runner_lost(api: Api, tmp: Path) -> None:
    """The same with SIGKILL: the runner and its journal are lost; a fresh clone goes on."""
    folder = tmp / "runner-1"
    child = _stopped_mid_send(api, folder, ())
    kill(child)
    fresh = clone(folder, tmp / "runner-2", *DATA)
    rerun = api.run(fresh)
    assert rerun.code == 0, rerun.stderr
    assert "~ adopt" in rerun.stdout
    settled(api, fresh, 200)


@with_api
def damaged_journal(api: Api, tmp: Path) -> None:
    """A blank line in the middle of a crashed run's journal: stop, keep it, say how."""
    folder = tmp / "repo"
    child = _stopped_mid_send(api, folder, ())
    kill(child)
    journal = folder / "many.lock.json.journal"
    lines = journal.read_bytes().split(b"\n")
    journal.write_bytes(b"\n".join([*lines[:3], b"", *lines[3:]]))
    damaged = journal.read_bytes()
    committed = api.quiet()
    stopped = api.run(folder)
    assert stopped.code == 2, stopped.stderr
    assert "many.lock.json.journal line 4 of" in stopped.stderr and "is blank" in stopped.stderr
    assert "delete only the damaged line" in stopped.stderr
    assert journal.read_bytes() == damaged and api.outbox_ids() == committed
    journal.write_bytes(b"\n".join([*lines[:3], *lines[3:]]))  # the recovery it describes
    rerun = api.run(folder)
    assert rerun.code == 0, rerun.stderr
    settled(api, folder, 200)


def _answered_after_commit(kind: str, **params: object) -> Callable[[Path], None]:
    @with_api
    def scenario(api: Api, tmp: Path) -> None:
        folder = tmp / "repo"
        write_campaign(folder, 30)
        api.app.faults.add(kind, 1, **params)  # type: ignore[arg-type]
        first = api.run(folder)
        assert first.code == 1, first.stderr
        states = sorted(str(b["state"]) for b in lock_of(folder).values())
        assert states == ["sent", "sent", "unknown"], states  # never "failed"
        rerun = api.run(folder)
        assert rerun.code == 0, rerun.stderr
        assert "ids adopted" in json.dumps(lock_of(folder))
        settled(api, folder, 30)

    scenario.__name__ = f"{kind}_{'_'.join(str(v) for v in params.values())}"
    return scenario


gateway_html_400 = _answered_after_commit("gateway_html", status=400)
gateway_html_408 = _answered_after_commit("gateway_html", status=408)
empty_body_200 = _answered_after_commit("empty_body", status=200)


def _too_few_ids(kept: int) -> Callable[[Path], None]:
    @with_api
    def scenario(api: Api, tmp: Path) -> None:
        folder = tmp / "repo"
        write_campaign(folder, 30, kind="peer_to_peer")
        api.app.faults.add("wrong_id_count", 1, ids=kept)
        first = api.run(folder, "--concurrency", "1")
        assert first.code == 1, first.stderr
        assert f"answered with {kept} outbox id(s) for a request that creates 10" in first.stderr
        assert api.run(folder).code == 0
        settled(api, folder, 30)

    scenario.__name__ = f"wrong_id_count_{kept}"
    return scenario


wrong_id_count_0 = _too_few_ids(0)
wrong_id_count_1 = _too_few_ids(1)


@with_api
def dribbling_server(api: Api, tmp: Path) -> None:
    """A server that trickles its answer a byte at a time never holds a send for long."""
    folder = tmp / "repo"
    write_campaign(folder, 30)
    api.app.faults.add("slow_body", 1, seconds=0.5)  # each byte within the read timeout
    first = api.run(folder)
    assert first.code == 1, first.stderr
    assert "no complete answer within 4 s" in first.stderr
    # Without an overall deadline the ~150-byte answer would take over 70 s; with it the
    # run takes a few seconds (a loaded machine starts child processes slowly).
    assert first.seconds < 40, f"{first.seconds:.1f} s"
    assert api.run(folder).code == 0
    settled(api, folder, 30)


@with_api
def lost_lockfile_clone_and_copy(api: Api, tmp: Path) -> None:
    """Lockfile lost; a second clone without it; a copy of the file with the same name."""
    folder = tmp / "repo"
    write_campaign(folder, 30)
    assert api.run(folder).code == 0
    sent = api.outbox_ids()
    (folder / "many.lock.json").unlink()
    lost = api.run(folder)
    assert lost.code == 0 and "~ adopt" in lost.stdout, lost.stderr
    settled(api, folder, 30)
    second = clone(folder, tmp / "clone", *DATA)
    assert api.run(second).code == 0
    settled(api, second, 30)
    (folder / "copy.yaml").write_text((folder / "many.yaml").read_text(encoding="utf-8"))
    assert api.run(folder, campaign="copy.yaml").code == 0
    settled(api, folder, 30, name="copy")
    assert api.outbox_ids() == sent


@with_api
def sandbox_run_then_real(api: Api, tmp: Path) -> None:
    """Applied against --sandbox first (its lockfile kept apart), then for real."""
    folder = tmp / "repo"
    write_campaign(folder, 30)
    trial = Child(folder, "--sandbox", "--yes", "many.yaml").finish()
    assert trial.code == 0, trial.stderr
    assert not (folder / "many.lock.json").exists()
    old = json.loads((folder / ".ippanel-sandbox/lockfiles/many.lock.json").read_text())
    old.update(format_version=1, written_by={"command": "ippanel-run --sandbox --yes many.yaml"})
    del old["api"], old["account"]
    (folder / "many.lock.json").write_text(json.dumps(old))  # as an older version wrote it
    refused = api.run(folder)
    assert refused.code == 2 and "was written by a --sandbox run" in refused.stderr
    assert api.outbox_ids() == []
    (folder / "many.lock.json").unlink()  # what the message says to do
    real = api.run(folder)
    assert real.code == 0 and "sent 3 batch(es) to 30 recipient(s)" in real.stdout, real.stderr
    settled(api, folder, 30)


ROWS: dict[str, Callable[[Path], None]] = {
    "late commit, rerun at once": late_commit_rerun_at_once,
    "SIGKILL while the API holds a send, rerun at once": killed_while_the_api_holds_a_send,
    "SIGTERM mid-send, fresh clone": sigterm_then_a_fresh_clone,
    "SIGINT then SIGTERM": sigint_then_sigterm,
    "SIGKILL, runner lost, fresh clone": sigkill_runner_lost,
    "blank line in the middle of the journal": damaged_journal,
    "gateway HTML 400 after the commit": gateway_html_400,
    "gateway HTML 408 after the commit": gateway_html_408,
    "empty 200 after the commit": empty_body_200,
    "200 with no outbox ids": wrong_id_count_0,
    "200 with too few outbox ids": wrong_id_count_1,
    "server dribbling its answer": dribbling_server,
    "lockfile lost, second clone, copy with the same name": lost_lockfile_clone_and_copy,
    "sandbox lockfile, then a real apply": sandbox_run_then_real,
}
