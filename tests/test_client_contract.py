"""The client against the sandbox: recorded cassettes replayed, and the in-process transport."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cassette_scenarios import (
    CANARY_KEY,
    CASSETTES,
    RECORDED_HOST,
    SANDBOX_EPOCH,
    SCENARIOS,
    Hooks,
    cassette_recorder,
)

from runner.api.client import IPPanelClient, in_process_transport
from runner.errors import (
    AuthenticationError,
    ConnectionDropped,
    RateLimitedError,
    RequestTimedOut,
    ServerError,
)
from runner.sandbox import DEMO_API_KEY, IN_PROCESS_BASE_URL, SandboxApp

WEBSERVICE = {
    "sending_type": "webservice",
    "from_number": "+983000505",
    "message": "سلام",
    "params": {"recipients": ["+989120000001"]},
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_recorded_conversation_replays_through_the_client(name: str) -> None:
    def make_client(credential: str | None) -> IPPanelClient:
        return IPPanelClient(credential, base_url=f"http://{RECORDED_HOST}/v1", retries=0)

    with cassette_recorder("none").use_cassette(f"{name}.yaml") as cassette:
        SCENARIOS[name](make_client(CANARY_KEY), Hooks(make_client, lambda _: None))
    assert cassette.all_played


def test_every_scenario_has_a_cassette_and_none_is_stale() -> None:
    assert sorted(p.stem for p in CASSETTES.glob("*.yaml")) == sorted(SCENARIOS)


def test_no_cassette_holds_the_key_or_an_authorization_header() -> None:
    for path in CASSETTES.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert CANARY_KEY not in text, path.name
        assert "authorization" not in text.lower(), path.name


# -- in process ---------------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path) -> SandboxApp:
    return SandboxApp(tmp_path, clock=lambda: SANDBOX_EPOCH, sleep=_no_sleep)


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"slept {seconds} s")


def sandbox_client(app: SandboxApp, sleeps: list[float] | None = None) -> IPPanelClient:
    return IPPanelClient(
        DEMO_API_KEY,
        base_url=IN_PROCESS_BASE_URL,
        transport=in_process_transport(app),
        sleep=(sleeps if sleeps is not None else []).append,
        random=lambda: 1.0,
    )


def test_in_process_sandbox_answers_like_the_api(app: SandboxApp) -> None:
    client = sandbox_client(app)
    (outbox_id,) = client.send(WEBSERVICE).outbox_ids
    assert client.outbox_by_id(outbox_id).message == "سلام"
    assert [r.recipient for r in client.recipients(outbox_id)] == ["+989120000001"]
    assert client.check_token().user_name == "demo"


def test_drop_after_commit_is_a_dropped_connection_and_the_send_happened(app: SandboxApp) -> None:
    app.faults.add("drop_after_commit", match="send")
    client = sandbox_client(app)
    with pytest.raises(ConnectionDropped):
        client.send(WEBSERVICE)
    assert [row.message for row in client.iter_outbox()] == ["سلام"]


def test_delay_after_commit_times_out_at_once_and_the_send_happened(app: SandboxApp) -> None:
    app.faults.add("delay_after_commit", match="send", seconds=60)
    client = sandbox_client(app)
    started = datetime.now()
    with pytest.raises(RequestTimedOut):
        client.send(WEBSERVICE)
    assert datetime.now() - started < timedelta(seconds=5)
    assert len(list(client.iter_outbox())) == 1


def test_refusals_before_commit_store_nothing_and_a_send_is_not_repeated(app: SandboxApp) -> None:
    app.faults.add("error_500_before_commit", match="send")
    app.faults.add("rate_limit_429", match="send")
    client = sandbox_client(app)
    with pytest.raises(ServerError):
        client.send(WEBSERVICE)
    with pytest.raises(RateLimitedError):
        client.send(WEBSERVICE)
    assert list(client.iter_outbox()) == []


def test_a_failing_report_read_is_retried_with_backoff(app: SandboxApp) -> None:
    sleeps: list[float] = []
    client = sandbox_client(app, sleeps)
    (outbox_id,) = client.send(WEBSERVICE).outbox_ids
    app.faults.add("error_500_before_commit", count=2, match="report")
    assert client.outbox_by_id(outbox_id).outbox_id == outbox_id
    assert sleeps == [0.5, 1.0]


def test_a_wrong_key_is_an_authentication_error(app: SandboxApp) -> None:
    transport = in_process_transport(app)
    client = IPPanelClient("wrong", base_url=IN_PROCESS_BASE_URL, transport=transport)
    with pytest.raises(AuthenticationError):
        client.credit()
