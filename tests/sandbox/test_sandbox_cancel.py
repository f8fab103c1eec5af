"""Cancelling a scheduled bulk: allowed until 5 minutes before its send time, then refused."""

from __future__ import annotations

from typing import Any

import pytest

from runner.sandbox import SandboxApp
from runner.sandbox.testing import FakeClock, call

START_CREDIT = 1_000_000_000
SEND_TIME = "2025-03-20 09:00:00"  # the fake clock starts at 08:00:00 UTC


def send(app: SandboxApp, send_time: str | None = SEND_TIME, message: str = "سلام") -> str:
    body: dict[str, Any] = {
        "sending_type": "webservice",
        "from_number": "+983000505",
        "message": message,
        "params": {"recipients": ["+989120000000", "+989350000000"]},
    }
    if send_time is not None:
        body["send_time"] = send_time
    response = call(app, "POST", "/api/send", json=body)
    assert response.status == 200, response.body
    return str(response.json()["data"]["message_outbox_ids"][0])


def cancel(app: SandboxApp, outbox_id: str) -> Any:
    return call(app, "POST", "/api/send/cancel", json={"message_outbox_id": int(outbox_id)})


def credit(app: SandboxApp) -> float:
    return float(call(app, "GET", "/api/payment/credit/mine").json()["data"]["credit"])


def refused(response: Any) -> bool:
    meta = response.json()["meta"]
    return (response.status, meta["message_code"], meta["message"]) == (
        404,
        "404-1",
        "پیام یافت نشد یا قابل لغو نیست",
    )


def test_cancel_exactly_5_minutes_before_refunds_and_reports_state_7(
    app: SandboxApp, clock: FakeClock
) -> None:
    outbox_id = send(app)
    assert credit(app) == START_CREDIT - 1330 - 1463
    clock.advance(55 * 60)  # 08:55:00, five minutes before 09:00:00
    response = cancel(app, outbox_id)
    assert (response.status, response.json()["data"]) == (200, None)
    assert credit(app) == START_CREDIT
    clock.advance(3600)  # long after the send time: it never went
    (row,) = call(app, "POST", "/api/report/new_list", json={}).json()["data"]
    assert (row["messages_outbox_id"], row["state_id"], row["state"]) == (outbox_id, 7, "canceled")
    assert (row["cost"], row["exit_count"]) == (0.0, "0")
    query = {"messages_outbox_id": outbox_id}
    by_bulk = call(app, "GET", "/api/report/by_bulk", query=query).json()["data"]
    assert (by_bulk["state_id"], by_bulk["status"]) == (7, "لغو شده")
    filtered = call(app, "POST", "/api/report/new_list", json={"filters": {"state_id": "7"}})
    assert [r["messages_outbox_id"] for r in filtered.json()["data"]] == [outbox_id]
    recipients = call(app, "GET", "/api/report/recipients", query={"bulk_id": outbox_id})
    assert [r["message_status"] for r in recipients.json()["data"]] == ["3", "3"]


def test_cancel_inside_the_last_5_minutes_is_refused_and_the_bulk_goes(
    app: SandboxApp, clock: FakeClock
) -> None:
    outbox_id = send(app)
    clock.advance(55 * 60 + 1)
    assert refused(cancel(app, outbox_id))
    assert credit(app) == START_CREDIT - 1330 - 1463
    clock.advance(5 * 60 + 30)
    query = {"messages_outbox_id": outbox_id}
    assert call(app, "GET", "/api/report/by_bulk", query=query).json()["data"]["state_id"] == 6


@pytest.mark.parametrize("wait", [60 * 60 + 30, 2 * 3600])
def test_cancel_after_sending_is_refused(app: SandboxApp, clock: FakeClock, wait: int) -> None:
    outbox_id = send(app)
    clock.advance(wait)
    assert refused(cancel(app, outbox_id))


def test_an_immediate_send_cannot_be_cancelled(app: SandboxApp) -> None:
    assert refused(cancel(app, send(app, send_time=None)))


def test_a_cancelled_bulk_cannot_be_cancelled_again_nor_refunded_twice(
    app: SandboxApp, clock: FakeClock
) -> None:
    outbox_id = send(app)
    assert cancel(app, outbox_id).status == 200
    assert refused(cancel(app, outbox_id))
    assert credit(app) == START_CREDIT


def test_a_late_commit_cannot_be_cancelled_before_it_is_visible(
    app: SandboxApp, clock: FakeClock
) -> None:
    app.faults.add("late_commit", seconds=20)
    outbox_id = send(app)
    unknown = cancel(app, outbox_id)
    assert (unknown.status, unknown.json()["meta"]["message_code"]) == (404, "400-1")
    clock.advance(20)
    assert cancel(app, outbox_id).status == 200
