"""Sandbox fault injection from Python and over the control endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner.sandbox import SandboxApp
from runner.sandbox.testing import FakeClock, call


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def app(tmp_path: Path, slept: list[float]) -> SandboxApp:
    return SandboxApp(tmp_path / "state", clock=FakeClock(), sleep=slept.append)


def send(app: SandboxApp, recipient: str = "+989120000000") -> Any:
    body = {
        "sending_type": "webservice",
        "from_number": "+983000505",
        "message": "سلام",
        "params": {"recipients": [recipient]},
    }
    return call(app, "POST", "/api/send", json=body)


def report(app: SandboxApp) -> Any:
    return call(app, "POST", "/api/report/new_list", json={})


def test_error_500_before_commit_stores_nothing_and_is_used_up(app: SandboxApp) -> None:
    app.faults.add("error_500_before_commit")
    failed = send(app)
    assert failed.status == 500 and failed.json()["meta"]["status"] is False
    assert app.store.committed_messages() == []
    assert send(app).status == 200
    assert len(app.store.committed_messages()) == 1


def test_rate_limit_429_stores_nothing(app: SandboxApp) -> None:
    app.faults.add("rate_limit_429", count=2)
    assert [send(app).status, send(app, "+989120000001").status] == [429, 429]
    assert app.store.committed_messages() == []
    assert app.faults.list() == []


def test_drop_after_commit_commits_then_asks_to_drop(app: SandboxApp) -> None:
    app.faults.add("drop_after_commit")
    response = send(app)
    assert response.after_commit == "drop"
    assert [m.recipient for m in app.store.committed_messages()] == ["+989120000000"]
    assert send(app, "+989120000001").after_commit is None


def test_delay_after_commit_commits_then_asks_to_wait(app: SandboxApp) -> None:
    app.faults.add("delay_after_commit", seconds=0.2)
    response = send(app)
    assert (response.status, response.after_commit, response.delay_seconds) == (200, "timeout", 0.2)
    assert len(app.store.committed_messages()) == 1


def test_latency_uses_the_injected_sleep_for_every_request_until_cleared(
    app: SandboxApp, slept: list[float]
) -> None:
    app.faults.add("latency", count=0, match="any", ms=250)
    send(app)
    report(app)
    assert slept == [0.25, 0.25]
    app.faults.clear()
    report(app)
    assert slept == [0.25, 0.25]


def test_match_report_leaves_sends_alone(app: SandboxApp) -> None:
    app.faults.add("error_500_before_commit", match="report")
    assert send(app).status == 200
    assert report(app).status == 500
    assert report(app).status == 200


def test_a_fault_set_on_one_instance_hits_another_on_the_same_dir(tmp_path: Path) -> None:
    first = SandboxApp(tmp_path / "state", clock=FakeClock(), sleep=lambda _: None)
    second = SandboxApp(tmp_path / "state", clock=FakeClock(), sleep=lambda _: None)
    first.faults.add("error_500_before_commit")
    assert send(second).status == 500
    assert send(first).status == 200


def test_faults_over_the_control_endpoint(app: SandboxApp) -> None:
    added = call(
        app,
        "POST",
        "/__sandbox__/faults",
        json={"kind": "drop_after_commit", "count": 0, "match": "any"},
        key=None,
    )
    assert added.status == 200 and added.json()["data"]["kind"] == "drop_after_commit"
    listed = call(app, "GET", "/__sandbox__/faults", key=None).json()["data"]
    assert [(f["kind"], f["remaining"]) for f in listed] == [("drop_after_commit", None)]
    assert send(app).after_commit == "drop"
    assert report(app).after_commit == "drop"
    assert call(app, "DELETE", "/__sandbox__/faults", key=None).status == 200
    assert report(app).after_commit is None


def test_unknown_fault_kind_is_refused(app: SandboxApp) -> None:
    response = call(app, "POST", "/__sandbox__/faults", json={"kind": "explode"}, key=None)
    assert response.status == 422
    with pytest.raises(ValueError):
        app.faults.add("explode")


def test_outbox_control_lists_every_committed_recipient(app: SandboxApp) -> None:
    send(app)
    rows = call(app, "GET", "/__sandbox__/outbox", key=None).json()["data"]
    assert rows == [{"outbox_id": 1123544244, "recipient": "+989120000000", "text": "سلام"}]
