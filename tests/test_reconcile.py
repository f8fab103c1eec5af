"""Reconciliation: settle an unknown send only once the API can no longer store it."""

from __future__ import annotations

from pathlib import Path

from helpers import NOW

from runner import lockfile
from runner.api.client import IPPanelClient, in_process_transport
from runner.lockfile import BatchRecord, Lock
from runner.outbox import Outbox
from runner.reconcile import Waits, reconcile
from runner.sandbox import DEMO_API_KEY, IN_PROCESS_BASE_URL, SandboxApp
from runner.sandbox.testing import FakeClock
from runner.stopping import Stop

PHONES = ("+989120000001", "+989120000002")
KEY = "0123456789abcdef"


class Recorder:
    """An httpx-free view of what the client asked: the paths of report calls."""

    def __init__(self, app: SandboxApp) -> None:
        self.app = app
        self.paths: list[str] = []

    def handle(self, request):  # type: ignore[no-untyped-def]
        self.paths.append(request.path)
        return self.app.handle(request)


def world(tmp_path: Path, clock: FakeClock) -> tuple[IPPanelClient, Recorder]:
    recorder = Recorder(SandboxApp(tmp_path / "sandbox", clock=clock.now))
    transport = in_process_transport(recorder)
    client = IPPanelClient(DEMO_API_KEY, base_url=IN_PROCESS_BASE_URL, transport=transport)
    return client, recorder


def send(client: IPPanelClient, text: str, phones: tuple[str, ...] = PHONES) -> int:
    body = {
        "sending_type": "webservice",
        "from_number": "+983000505",
        "message": text,
        "params": {"recipients": list(phones)},
    }
    (outbox_id,) = client.send(body).outbox_ids
    return outbox_id


def unknown_batch(text: str, phones: tuple[str, ...] = PHONES, settles_in: int = 0) -> BatchRecord:
    return BatchRecord(
        key=KEY,
        state="unknown",
        sending_type="webservice",
        sender="+983000505",
        recipients=len(phones),
        digests=lockfile.pack_digests(lockfile.recipient_digest("demo", p) for p in phones),
        attempted_at=int(NOW.timestamp()),
        texts=lockfile.pack_digests([lockfile.text_digest(text)]),
        settles_at=int(NOW.timestamp()) + settles_in,
    )


def settle(
    client: IPPanelClient, lock: Lock, clock: FakeClock, stop: Stop | None = None
) -> list[BatchRecord]:
    saved: list[BatchRecord] = []
    outbox = Outbox(client, "demo", known_ids=lock.outbox_ids(), now=clock.now)
    notes: list[str] = []
    waits = Waits(clock.now, clock.sleep, stop or Stop(), notes.append, 90.0)
    reconcile(lock, outbox, saved.append, waits)
    return saved


def test_a_send_that_happened_is_adopted(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    client, _ = world(tmp_path, clock)
    outbox_id = send(client, "Hello")
    lock = Lock("demo", {KEY: unknown_batch("Hello")})
    saved = settle(client, lock, clock)
    assert [(r.state, r.outbox_ids) for r in saved] == [("sent", (outbox_id,))]
    assert lock.batches[KEY].state == "sent"
    assert "ids adopted" in lock.batches[KEY].error


def test_another_campaigns_text_to_the_same_people_is_not_adopted(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    client, _ = world(tmp_path, clock)
    send(client, "A different campaign's text")
    lock = Lock("demo", {KEY: unknown_batch("Hello")})
    (saved,) = settle(client, lock, clock)
    assert saved.state == "failed" and saved.outbox_ids == ()  # planned and sent again
    assert "not in the account's outbox" in saved.error


def test_a_partial_match_is_not_adopted_as_the_batch(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    client, _ = world(tmp_path, clock)
    send(client, "Hello", PHONES[:1])
    lock = Lock("demo", {KEY: unknown_batch("Hello")})
    (saved,) = settle(client, lock, clock)
    assert saved.state == "failed"  # the recipient check before sending adopts the half


def test_a_send_still_in_the_apis_hands_is_looked_up_only_once_it_settles(
    tmp_path: Path,
) -> None:
    clock = FakeClock(NOW)
    client, recorder = world(tmp_path, clock)
    lock = Lock("demo", {KEY: unknown_batch("Hello", settles_in=75)})

    def late_commit(seconds: float) -> None:
        clock.sleep(seconds)
        if sum(clock.sleeps) >= 35 and not recorder.paths:
            send(client, "Hello")  # the API stores it 35 s after the attempt

    waits = Waits(clock.now, late_commit, Stop(), lambda note: None, 90.0)
    outbox = Outbox(client, "demo", known_ids=(), now=clock.now)
    reconcile(lock, outbox, lambda record: None, waits)
    assert sum(clock.sleeps) == 75
    assert lock.batches[KEY].state == "sent"
    # The late commit came first; the only look-up came after the wait was over.
    assert recorder.paths[0] == "/v1/api/send"
    assert recorder.paths[1] == "/v1/api/report/new_list"


def test_a_stop_during_the_wait_settles_nothing(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    client, recorder = world(tmp_path, clock)
    stop = Stop()
    lock = Lock("demo", {KEY: unknown_batch("Hello", settles_in=60)})

    def interrupted(seconds: float) -> None:
        clock.sleep(seconds)
        with stop.deferred():
            stop.request(15)

    waits = Waits(clock.now, interrupted, stop, lambda note: None, 90.0)
    outbox = Outbox(client, "demo", known_ids=(), now=clock.now)
    assert reconcile(lock, outbox, lambda record: None, waits) == []
    assert lock.batches[KEY].state == "unknown"
    assert recorder.paths == []
