"""Exactly once when state is late, damaged or lost (issue 10), in-process with a fake clock.

The CLI runs with the in-process sandbox as its API (``IPPANEL_BASE_URL`` + key, not
``--sandbox``), so lockfiles sit beside the campaigns as a real send's do; a wrapper
transport plays what a gateway or a sloppy API does to an answer. Every test asserts
from the sandbox's own record of what it committed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from runner.api.client import in_process_transport
from runner.cli import AppContext, cli
from runner.sandbox import DEMO_API_KEY, SandboxApp
from runner.sandbox.testing import FakeClock

# The API as a real run names it; the in-process sandbox answers whatever the host.
EDGE = "https://edge.ippanel.com/v1"
Wrap = Callable[[httpx.Request, Callable[[httpx.Request], httpx.Response]], httpx.Response]


class World:
    """A folder with a campaign, the sandbox as its API, and a CLI runner for it."""

    def __init__(self, folder: Path, clock: FakeClock, home: Path) -> None:
        self.folder = folder
        self.clock = clock
        self.home = home
        self.app = SandboxApp(folder / "api-state", clock=clock.now)
        self.app.set_credit(1e12)
        self.wrap: Wrap | None = None
        self.sends = 0

    def run(self, *args: str, base_url: str = EDGE) -> Result:
        inner = in_process_transport(self.app)

        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/api/send"):
                self.sends += 1
            if self.wrap is not None:
                return self.wrap(request, inner.handle_request)
            return inner.handle_request(request)

        env = {
            "HOME": str(self.home),
            "IPPANEL_CONFIG_DIR": str(self.home / "config"),
            "IPPANEL_API_KEY": DEMO_API_KEY,
            "IPPANEL_BASE_URL": base_url,
        }
        context = AppContext(
            now=self.clock.now,
            sleep=self.clock.sleep,
            env=env,
            transport=httpx.MockTransport(handler),
        )
        return CliRunner().invoke(cli, list(args), obj=context, catch_exceptions=False)

    def committed(self) -> Counter[str]:
        return Counter(m.recipient for m in self.app.store.committed_messages())

    def outbox_ids(self) -> list[int]:
        return sorted({m.outbox_id for m in self.app.store.committed_messages()})

    def lockfile(self, name: str = "many") -> dict[str, object]:
        data: dict[str, object] = json.loads((self.folder / f"{name}.lock.json").read_text())
        return data

    def recorded_ids(self, name: str = "many") -> list[int]:
        batches = self.lockfile(name)["batches"]
        assert isinstance(batches, dict)
        return sorted(i for b in batches.values() if b["state"] == "sent" for i in b["outbox_ids"])


@pytest.fixture
def world(tmp_path: Path, clock: FakeClock, home: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)
    return World(tmp_path, clock, home)


def write_campaign(folder: Path, count: int, *, name: str = "many", extra: str = "") -> Path:
    (folder / f"{name}.txt").write_text(
        "".join(f"0912{n:07d}\n" for n in range(count)), encoding="utf-8"
    )
    path = folder / f"{name}.yaml"
    path.write_text(
        f"version: 1\nname: many\ntype: webservice\nsender: '+983000505'\nmessage: Hello\n"
        f"batch_size: 10\nrecipients: [{{file: {name}.txt}}]\n{extra}",
        encoding="utf-8",
    )
    return path


def each_once(world: World, count: int) -> None:
    got = world.committed()
    assert set(got.values()) == {1}, f"sent twice: {[p for p, n in got.items() if n > 1][:5]}"
    assert len(got) == count


def finished_and_unchanged(world: World, name: str = "many") -> None:
    """Every committed id is in the lockfile; a rerun sends nothing and changes no byte."""
    assert world.recorded_ids(name) == world.outbox_ids()
    lock = world.folder / f"{name}.lock.json"
    before, sends = lock.read_bytes(), world.sends
    again = world.run("--yes", f"{name}.yaml")
    assert again.exit_code == 0, again.output
    assert world.sends == sends and lock.read_bytes() == before


# -- answers that say nothing certain ------------------------------------------------------------


def after_commit(answer: httpx.Response) -> Wrap:
    """The API stores the send, then something in between answers ``answer`` instead."""

    def wrap(
        request: httpx.Request, forward: Callable[[httpx.Request], httpx.Response]
    ) -> httpx.Response:
        response = forward(request)
        if request.url.path.endswith("/api/send") and not wrap.used:  # type: ignore[attr-defined]
            wrap.used = True  # type: ignore[attr-defined]
            return answer
        return response

    wrap.used = False  # type: ignore[attr-defined]
    return wrap


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(400, text="<html><body><h1>400 Bad Request</h1>nginx</body></html>"),
        httpx.Response(408, text="<html>Request Timeout</html>"),
        httpx.Response(200, text=""),
        httpx.Response(502, text="Bad Gateway"),
    ],
    ids=["html-400", "html-408", "empty-200", "text-502"],
)
def test_a_gateways_answer_after_the_commit_is_unknown_and_adopted_next_run(
    world: World, answer: httpx.Response
) -> None:
    write_campaign(world.folder, 30)
    world.wrap = after_commit(answer)
    first = world.run("--yes", "many.yaml")
    assert first.exit_code == 1
    batches = world.lockfile()["batches"].values()  # type: ignore[union-attr]
    # Three batches of 10 were in flight at once: one answer was the gateway's.
    assert Counter(b["state"] for b in batches) == {"sent": 2, "unknown": 1}
    assert "is unknown" in first.stderr

    world.wrap = None
    rerun = world.run("--yes", "many.yaml")
    assert rerun.exit_code == 0, rerun.output
    each_once(world, 30)
    assert "found in the account's outbox; ids adopted" in json.dumps(world.lockfile())
    finished_and_unchanged(world)


@pytest.mark.parametrize(
    ("kind", "params", "first_exit"),
    [
        ("gateway_html", {"status": 400}, 1),
        ("gateway_html", {"status": 408, "commit": False}, 1),
        ("empty_body", {}, 1),
        ("wrong_id_count", {}, 1),
        ("slow_body", {"seconds": 1}, 1),
        ("late_commit", {"seconds": 30}, 1),
        ("drop_after_commit", {}, 1),
        ("error_500_before_commit", {}, 1),
        ("rate_limit_429", {"retry_after": 3}, 0),
    ],
    ids=[
        "html-400",
        "html-408-uncommitted",
        "empty-200",
        "no-ids",
        "slow-body",
        "late-commit",
        "drop",
        "500",
        "429-retry-after",
    ],
)
def test_the_sandboxs_own_faults_in_process_end_with_each_recipient_once(
    world: World, kind: str, params: dict[str, object], first_exit: int
) -> None:
    """The in-process adapter carries out every fault kind the sandbox injects."""
    write_campaign(world.folder, 30)
    world.app.faults.add(kind, count=1, **params)  # type: ignore[arg-type]
    first = world.run("--yes", "many.yaml")
    assert first.exit_code == first_exit, first.output
    rerun = world.run("--yes", "many.yaml")
    assert rerun.exit_code == 0, rerun.output
    each_once(world, 30)
    finished_and_unchanged(world)


@pytest.mark.parametrize("kept", [0, 1])
def test_a_200_with_the_wrong_number_of_ids_is_unknown(world: World, kept: int) -> None:
    path = world.folder / "p2p.yaml"
    (world.folder / "people.csv").write_text(
        "phone,name\n09120000001,Ali\n09120000002,Sara\n09120000003,Reza\n", encoding="utf-8"
    )
    path.write_text(
        "version: 1\nname: p2p\ntype: peer_to_peer\nsender: '+983000505'\n"
        "message: 'Hello {{ name }}'\nrecipients: [{file: people.csv}]\n",
        encoding="utf-8",
    )

    def fewer_ids(
        request: httpx.Request, forward: Callable[[httpx.Request], httpx.Response]
    ) -> httpx.Response:
        response = forward(request)
        if not request.url.path.endswith("/api/send"):
            return response
        data = response.json()
        data["data"]["message_outbox_ids"] = data["data"]["message_outbox_ids"][:kept]
        return httpx.Response(200, json=data)

    world.wrap = fewer_ids
    first = world.run("--yes", "p2p.yaml")
    assert first.exit_code == 1
    assert f"answered with {kept} outbox id(s) for a request that creates 3" in first.stderr
    (batch,) = world.lockfile("p2p")["batches"].values()  # type: ignore[union-attr]
    assert batch["state"] == "unknown" and len(batch["outbox_ids"]) == kept  # evidence kept

    world.wrap = None
    assert world.run("--yes", "p2p.yaml").exit_code == 0
    each_once(world, 3)
    finished_and_unchanged(world, "p2p")


def test_a_send_past_its_deadline_is_unknown_in_bounded_time(world: World) -> None:
    write_campaign(world.folder, 10)
    release = threading.Event()

    def dribbling(
        request: httpx.Request, forward: Callable[[httpx.Request], httpx.Response]
    ) -> httpx.Response:
        response = forward(request)
        if request.url.path.endswith("/api/send"):
            release.wait(10)  # the server trickles its answer
        return response

    world.wrap = dribbling
    try:
        result = world.run("--yes", "--timeout", "0.1", "many.yaml")
    finally:
        release.set()
    assert result.exit_code == 1
    assert "no complete answer within 0.2 s" in result.stderr
    world.wrap = None
    assert world.run("--yes", "many.yaml").exit_code == 0
    each_once(world, 10)
    finished_and_unchanged(world)


# -- a 429: slow down, never re-send blindly ------------------------------------------------------


def test_a_429_slows_down_and_its_batch_is_looked_up_before_it_goes_again(world: World) -> None:
    write_campaign(world.folder, 100)
    refused: list[str] = []
    guard = threading.Lock()  # sends arrive on several threads at once

    def rate_limited(
        request: httpx.Request, forward: Callable[[httpx.Request], httpx.Response]
    ) -> httpx.Response:
        with guard:
            refuse = request.url.path.endswith("/api/send") and len(refused) < 2
            if refuse:
                refused.append(request.content.decode())
        if refuse:
            body = {"data": None, "meta": {"status": False, "message_code": "429-1"}}
            return httpx.Response(429, headers={"Retry-After": "7"}, json=body)
        return forward(request)

    world.wrap = rate_limited
    result = world.run("--yes", "--concurrency", "4", "many.yaml")
    assert result.exit_code == 0, result.output
    assert "the API asked to slow down (429); 2 batch(es) at a time from now on" in result.stderr
    assert "1 batch(es) at a time from now on, next batch in 7 s" in result.stderr
    each_once(world, 100)
    # Retry-After twice, then the refused batches wait out the identical-request window
    # (40 s from their attempt, plus 2 s: their line was written just before the POST)
    # and are looked up once more before they go again. (The second refusal came either
    # with the first, or once the first pause let sends go on: 7 s later.)
    assert world.clock.sleeps[:3] == [7.0, 7.0, 28.0]
    assert world.clock.sleeps[3:] in ([], [7.0])
    assert "then its outbox is checked once more" in result.stderr
    assert "[10/10]" in result.stderr and "[11/10]" not in result.stderr
    finished_and_unchanged(world)


# -- the account's outbox is the source of truth -----------------------------------------------


def test_a_lost_lockfile_sends_nothing_again_and_the_plan_says_adopt(world: World) -> None:
    write_campaign(world.folder, 50)
    assert world.run("--yes", "many.yaml").exit_code == 0
    ids = world.outbox_ids()
    (world.folder / "many.lock.json").unlink()

    rerun = world.run("--yes", "many.yaml")

    assert rerun.exit_code == 0, rerun.output
    assert "~ adopt" in rerun.stdout
    assert "50 recipient(s) already got this text from +983000505" in rerun.stdout
    assert "adopted, not sent again" in rerun.stdout
    each_once(world, 50)
    assert world.recorded_ids() == ids
    finished_and_unchanged(world)


def test_a_copy_of_the_campaign_file_sends_only_to_new_recipients(world: World) -> None:
    write_campaign(world.folder, 20)
    assert world.run("--yes", "many.yaml").exit_code == 0
    copy = world.folder / "copy"
    copy.mkdir()
    shutil.copy(world.folder / "many.yaml", copy / "many.yaml")
    with (world.folder / "many.txt").open("a", encoding="utf-8") as more:
        more.write("09129999990\n09129999991\n")
    shutil.copy(world.folder / "many.txt", copy / "many.txt")

    result = world.run("--yes", "copy/many.yaml")

    assert result.exit_code == 0, result.output
    assert "20 recipient(s) already got this text" in result.stdout
    each_once(world, 22)
    lock = json.loads((copy / "many.lock.json").read_text())
    assert sorted(i for b in lock["batches"].values() for i in b["outbox_ids"]) == (
        world.outbox_ids()
    )


def test_a_stale_lockfile_adopts_what_a_lost_run_sent_after_it(world: World) -> None:
    write_campaign(world.folder, 40)
    world.app.faults.add("error_500_before_commit", count=0)
    assert world.run("--yes", "many.yaml").exit_code == 1  # nothing went out
    stale = (world.folder / "many.lock.json").read_bytes()  # what the clone has committed
    world.app.faults.clear()
    world.clock.advance(120)
    assert world.run("--yes", "many.yaml").exit_code == 0  # a runner whose lockfile is lost
    (world.folder / "many.lock.json").write_bytes(stale)

    rerun = world.run("--yes", "many.yaml")

    assert rerun.exit_code == 0, rerun.output
    each_once(world, 40)
    assert world.recorded_ids() == world.outbox_ids()


def test_a_send_older_than_the_outbox_window_is_not_looked_for(world: World) -> None:
    write_campaign(world.folder, 10, extra="outbox_window: 2h\n")
    assert world.run("--yes", "many.yaml").exit_code == 0
    (world.folder / "many.lock.json").unlink()
    world.clock.advance(3 * 3600)
    assert world.run("--yes", "--outbox-window", "4h", "--dry-run", "many.yaml").exit_code == 0
    found = world.run("--yes", "--outbox-window", "4h", "many.yaml")
    assert found.exit_code == 0 and "adopt" in found.stdout
    (world.folder / "many.lock.json").unlink()
    resent = world.run("--yes", "many.yaml")  # the campaign's own window: 2 hours
    assert resent.exit_code == 0
    assert set(world.committed().values()) == {2}


def test_a_pattern_campaign_lost_lockfile_is_adopted_by_its_words(
    world: World, tmp_path: Path
) -> None:
    (world.folder / "codes.csv").write_text(
        "phone,name,code\n09120000001,Ali,A100\n09120000002,Sara,B200\n", encoding="utf-8"
    )
    (world.folder / "p.yaml").write_text(
        "version: 1\nname: p\ntype: pattern\nsender: '+983000505'\n"
        "pattern: {code: nowruz1406ptrn, params: {name: '{{ name }}', code: '{{ code }}'}}\n"
        "recipients: [{file: codes.csv}]\n",
        encoding="utf-8",
    )
    assert world.run("--yes", "p.yaml").exit_code == 0
    (world.folder / "p.lock.json").unlink()
    rerun = world.run("--yes", "p.yaml")
    assert rerun.exit_code == 0, rerun.output
    assert "2 recipient(s) already got this text" in rerun.stdout
    each_once(world, 2)


# -- whose lockfile ------------------------------------------------------------------------------


def test_a_lockfile_of_another_api_is_refused_and_nothing_is_sent(world: World) -> None:
    write_campaign(world.folder, 10)
    assert world.run("--yes", "many.yaml").exit_code == 0
    lock = world.folder / "many.lock.json"
    data = json.loads(lock.read_text())
    data["api"] = "http://127.0.0.1:8585/v1"
    lock.write_text(json.dumps(data))
    sends = world.sends
    result = world.run("--yes", "many.yaml")
    assert result.exit_code == 2
    assert "records sends made through the API at http://127.0.0.1:8585/v1" in result.stderr
    assert "pass --api-url http://127.0.0.1:8585/v1" in result.stderr
    assert world.sends == sends
    assert json.loads(lock.read_text())["api"] == "http://127.0.0.1:8585/v1"  # kept as it was


def test_a_lockfile_of_another_account_is_refused_and_nothing_is_sent(world: World) -> None:
    write_campaign(world.folder, 10)
    assert world.run("--yes", "many.yaml").exit_code == 0
    lock = world.folder / "many.lock.json"
    data = json.loads(lock.read_text())
    mine = data["account"]
    assert mine  # the sandbox's check_token names the account
    data["account"] = "424242"
    lock.write_text(json.dumps(data))
    write_campaign(world.folder, 20)  # ten more recipients: a batch to send
    sends = world.sends
    result = world.run("--yes", "many.yaml")
    assert result.exit_code == 2
    assert (
        f"many.lock.json records sends from IPPanel account 424242, but this run's API key "
        f"or login belongs to account {mine}. Nothing was sent."
    ) in result.stderr
    assert world.sends == sends
    assert json.loads(lock.read_text())["account"] == "424242"  # kept as it was


def test_a_sandbox_run_never_makes_a_real_apply_skip(world: World, tmp_path: Path) -> None:
    write_campaign(world.folder, 30)
    sandbox = world.run("--sandbox", "--yes", "many.yaml")
    assert sandbox.exit_code == 0, sandbox.output
    assert not (world.folder / "many.lock.json").exists()
    assert (world.folder / ".ippanel-sandbox/lockfiles/many.lock.json").exists()

    real = world.run("--yes", "many.yaml")

    assert real.exit_code == 0, real.output
    assert "sent 3 batch(es) to 30 recipient(s)" in real.stdout
    each_once(world, 30)


def test_a_committed_sandbox_lockfile_of_the_old_format_is_refused(world: World) -> None:
    write_campaign(world.folder, 10)
    assert world.run("--sandbox", "--yes", "many.yaml").exit_code == 0
    old = json.loads((world.folder / ".ippanel-sandbox/lockfiles/many.lock.json").read_text())
    old.update(format_version=1, written_by={"command": "ippanel-run --sandbox --yes many.yaml"})
    del old["api"], old["account"]
    (world.folder / "many.lock.json").write_text(json.dumps(old))  # as the old README said

    result = world.run("--yes", "many.yaml")

    assert result.exit_code == 2
    assert "was written by a --sandbox run (nothing real was sent)" in result.stderr
    assert "git rm many.lock.json" in result.stderr
    assert world.committed() == Counter()


# -- damage, signals ---------------------------------------------------------------------------


def test_a_damaged_journal_stops_the_run_and_is_kept(world: World) -> None:
    write_campaign(world.folder, 20)
    journal = world.folder / "many.lock.json.journal"
    journal.write_text('{"key": "0123456789abcdef", "state": "sending"}\n\n{"key": "x"}\n')
    before = journal.read_bytes()
    result = world.run("--yes", "many.yaml")
    assert result.exit_code == 2
    assert "many.lock.json.journal line 1 of 3 is not a journal record" in result.stderr
    assert journal.read_bytes() == before
    assert world.committed() == Counter()


@pytest.mark.parametrize(
    ("stop", "code"),
    [(signal.SIGTERM, 143), (signal.SIGHUP, 129)],
    ids=["SIGTERM: CI cancels the job", "SIGHUP: the terminal closes"],
)
def test_sigterm_or_sighup_mid_send_writes_the_lockfile_and_exits_128_plus_it(
    world: World, stop: signal.Signals, code: int
) -> None:
    write_campaign(world.folder, 200)

    def terminated(
        request: httpx.Request, forward: Callable[[httpx.Request], httpx.Response]
    ) -> httpx.Response:
        response = forward(request)
        if request.url.path.endswith("/api/send") and world.sends == 5:
            os.kill(os.getpid(), stop)
        return response

    world.wrap = terminated
    result = world.run("--yes", "--concurrency", "2", "many.yaml")
    assert result.exit_code == code, result.output
    assert f"{stop.name}: stopping; no new batch starts" in result.stderr
    assert f"stopped by {stop.name}" in result.stderr and "batch(es) not sent" in result.stderr
    assert not (world.folder / "many.lock.json.journal").exists()
    assert world.recorded_ids() == world.outbox_ids()  # every committed id, folded in
    assert len(world.outbox_ids()) < 20

    world.wrap = None
    assert world.run("--yes", "many.yaml").exit_code == 0
    each_once(world, 200)
    finished_and_unchanged(world)


def test_a_signal_before_anything_is_sent_stops_at_once(world: World) -> None:
    write_campaign(world.folder, 20)

    def interrupted(
        request: httpx.Request, forward: Callable[[httpx.Request], httpx.Response]
    ) -> httpx.Response:
        if request.url.path.endswith("/payment/credit/mine"):
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the price is quoted
        return forward(request)

    world.wrap = interrupted
    result = world.run("--yes", "many.yaml")
    assert result.exit_code == 130
    assert "stopped by SIGINT" in result.stderr
    assert world.committed() == Counter()
    assert not (world.folder / "many.lock.json").exists()
