"""The fault kinds that imitate a slow or misbehaving API and the gateways in front of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner.sandbox import FAULT_KINDS, SandboxApp
from runner.sandbox.faults import KINDS
from runner.sandbox.testing import FakeClock, call

SENDER = "+983000505"


def send(app: SandboxApp, recipient: str = "+989120000000", **extra: Any) -> Any:
    body = {
        "sending_type": "webservice",
        "from_number": SENDER,
        "message": "سلام",
        "params": {"recipients": [recipient]},
        **extra,
    }
    return call(app, "POST", "/api/send", json=body)


def new_list_ids(app: SandboxApp) -> list[str]:
    rows = call(app, "POST", "/api/report/new_list", json={}).json()["data"]
    return [row["messages_outbox_id"] for row in rows]


def add_fault(app: SandboxApp, **body: Any) -> Any:
    return call(app, "POST", "/__sandbox__/faults", json=body, key=None)


def test_every_fault_kind_has_parameters_and_an_effect() -> None:
    assert set(KINDS) == set(FAULT_KINDS)


def test_late_commit_hides_the_send_until_its_time_has_come(
    app: SandboxApp, clock: FakeClock, tmp_path: Path
) -> None:
    app.faults.add("late_commit", seconds=30)
    response = send(app)
    assert (response.status, response.after_commit, response.delay_seconds) == (200, "timeout", 30)
    outbox_id = str(response.json()["data"]["message_outbox_ids"][0])
    # Stored at once, so another process on the same state agrees about it ...
    other = SandboxApp(tmp_path / "state", clock=clock, sleep=lambda _: None)
    assert [m.recipient for m in other.store.committed_messages()] == ["+989120000000"]
    # ... but no report shows it yet.
    assert new_list_ids(app) == []
    assert call(app, "GET", "/__sandbox__/outbox", key=None).json()["data"] == []
    for path, query in [
        ("/api/report/by_bulk", {"messages_outbox_id": outbox_id}),
        ("/api/report/recipients", {"bulk_id": outbox_id}),
        ("/api/report/bulk_stats", {"bulk_id": outbox_id}),
    ]:
        assert call(app, "GET", path, query=query).status == 404
    clock.advance(30)
    assert new_list_ids(other) == [outbox_id]
    row = call(app, "GET", "/api/report/by_bulk", query={"messages_outbox_id": outbox_id})
    assert row.json()["data"]["time"] == str(int(clock.now().timestamp()))
    assert len(call(app, "GET", "/__sandbox__/outbox", key=None).json()["data"]) == 1


def test_an_identical_send_during_a_late_commit_is_not_a_duplicate(
    app: SandboxApp, clock: FakeClock
) -> None:
    app.faults.add("late_commit", seconds=30)
    assert send(app).after_commit == "timeout"
    clock.advance(10)
    retry = send(app)  # the API has not committed the first one: this one goes too
    assert (retry.status, retry.after_commit) == (200, None)
    clock.advance(25)  # the late one is committed now, 5 s ago: a third is a duplicate
    assert send(app).status == 429
    clock.advance(40)
    assert len(new_list_ids(app)) == 2


def test_gateway_html_after_commit_stores_the_send(app: SandboxApp) -> None:
    app.faults.add("gateway_html")
    response = send(app)
    assert response.status == 502
    assert response.headers == {"Content-Type": "text/html"}
    assert response.body == b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    assert len(app.store.committed_messages()) == 1


@pytest.mark.parametrize(
    ("status", "title"), [(400, "Bad Request"), (408, "Request Timeout"), (504, "Gateway Timeout")]
)
def test_gateway_html_without_commit_stores_nothing(
    app: SandboxApp, status: int, title: str
) -> None:
    assert add_fault(app, kind="gateway_html", status=status, commit=False).status == 200
    response = send(app)
    assert (response.status, response.headers["Content-Type"]) == (status, "text/html")
    assert f"<h1>{status} {title}</h1>".encode() in response.body
    assert app.store.committed_messages() == []


@pytest.mark.parametrize(("commit", "stored"), [(True, 1), (False, 0)])
def test_empty_body_answers_nothing_with_or_without_commit(
    app: SandboxApp, commit: bool, stored: int
) -> None:
    app.faults.add("empty_body", commit=commit)
    response = send(app)
    assert (response.status, response.body) == (200, b"")
    assert len(app.store.committed_messages()) == stored
    app.faults.add("empty_body", status=500)
    assert send(app, "+989120000001").status == 500


def test_wrong_id_count_commits_every_bulk_but_answers_fewer_ids(app: SandboxApp) -> None:
    body = {
        "sending_type": "peer_to_peer",
        "from_number": SENDER,
        "params": [
            {"recipients": ["+989120000000"], "message": "یک"},
            {"recipients": ["+989120000001"], "message": "دو"},
            {"recipients": ["+989120000002"], "message": "سه"},
        ],
    }
    app.faults.add("wrong_id_count", ids=1)
    response = call(app, "POST", "/api/send", json=body)
    assert response.json()["data"] == {"message_outbox_ids": [1123544244]}
    assert response.json()["meta"]["message_code"] == "200-1"
    assert {m.outbox_id for m in app.store.committed_messages()} == {
        1123544244,
        1123544245,
        1123544246,
    }
    app.faults.add("wrong_id_count")
    assert send(app).json()["data"] == {"message_outbox_ids": []}


def test_slow_body_in_process_is_a_timeout_after_commit(app: SandboxApp) -> None:
    app.faults.add("slow_body", seconds=0.5)
    response = send(app)
    assert (response.after_commit, response.byte_seconds) == ("timeout", 0.5)
    assert len(app.store.committed_messages()) == 1


def test_rate_limit_429_can_say_when_to_retry(app: SandboxApp) -> None:
    app.faults.add("rate_limit_429", retry_after=40)
    response = send(app)
    assert (response.status, response.headers["Retry-After"]) == (429, "40")
    assert response.json()["meta"]["message"] == "درخواست تکراری است"
    app.faults.add("rate_limit_429")
    assert "Retry-After" not in send(app).headers
    assert app.store.committed_messages() == []


def test_control_endpoint_takes_and_lists_the_new_parameters(app: SandboxApp) -> None:
    added = add_fault(app, kind="gateway_html", status=504, commit=False, count=2)
    assert added.json()["data"] | {"id": 0} == {
        "id": 0,
        "kind": "gateway_html",
        "match": "send",
        "remaining": 2,
        "seconds": 0.0,
        "ms": 0.0,
        "status": 504,
        "commit": False,
        "ids": None,
        "retry_after": None,
    }
    add_fault(app, kind="rate_limit_429", retry_after=5)
    add_fault(app, kind="wrong_id_count")
    listed = call(app, "GET", "/__sandbox__/faults", key=None).json()["data"]
    assert [(f["kind"], f["retry_after"], f["ids"]) for f in listed] == [
        ("gateway_html", None, None),
        ("rate_limit_429", 5, None),
        ("wrong_id_count", None, 0),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "gateway_html", "status": 700}, "status"),
        ({"kind": "gateway_html", "status": "502"}, "status"),
        ({"kind": "empty_body", "commit": "yes"}, "commit"),
        ({"kind": "wrong_id_count", "ids": -1}, "ids"),
        ({"kind": "rate_limit_429", "retry_after": 1.5}, "retry_after"),
        ({"kind": "late_commit"}, "seconds"),
        ({"kind": "slow_body", "seconds": -1}, "seconds"),
        ({"kind": "drop_after_commit", "status": 502}, "status"),
        ({"kind": "latency", "bogus": 1}, "bogus"),
        ({"kind": "latency", "count": -2}, "count"),
        ({"kind": "latency", "match": "sends"}, "match"),
        ({"kind": "explode"}, "kind"),
    ],
)
def test_bad_fault_parameters_are_422_naming_the_field(
    app: SandboxApp, body: dict[str, Any], field: str
) -> None:
    response = add_fault(app, **body)
    assert response.status == 422
    assert field in response.json()["meta"]["errors"]
    assert app.faults.list() == []


def test_bad_parameters_from_python_are_value_errors(app: SandboxApp) -> None:
    with pytest.raises(ValueError, match="retry_after"):
        app.faults.add("rate_limit_429", retry_after=-1)
    with pytest.raises(ValueError, match="ids does not apply to latency"):
        app.faults.add("latency", ids=2)
