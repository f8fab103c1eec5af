"""Sandbox credit, price quotes, cancelling scheduled bulks, and persistence across instances."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner.sandbox import SandboxApp
from runner.sandbox.testing import FakeClock, call


def send(app: SandboxApp, **extra: Any) -> int:
    body = {
        "sending_type": "webservice",
        "from_number": "+983000505",
        "message": "سلام",
        "params": {"recipients": ["+989120000000"]},
        **extra,
    }
    response = call(app, "POST", "/api/send", json=body)
    assert response.status == 200, response.body
    return int(response.json()["data"]["message_outbox_ids"][0])


def credit(app: SandboxApp) -> float:
    return float(call(app, "GET", "/api/payment/credit/mine").json()["data"]["credit"])


def test_credit_starts_at_one_billion_and_can_be_set(app: SandboxApp) -> None:
    data = call(app, "GET", "/api/payment/credit/mine").json()["data"]
    assert data["credit"] == 1_000_000_000 and data["gift"] == 0
    response = call(app, "POST", "/__sandbox__/credit", json={"credit": 5000}, key=None)
    assert response.status == 200
    assert credit(app) == 5000


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("تست", {"mci_price": 1330, "other_price": 1463, "parts": 1}),
        ("x" * 161, {"mci_price": 6650, "other_price": 7315, "parts": 2}),
        ("hello", {"mci_price": 3325, "other_price": 3657.5, "parts": 1}),
    ],
)
def test_calculate_price_quotes_per_message(
    app: SandboxApp, message: str, expected: dict[str, Any]
) -> None:
    body = {"number": "+983000505", "message": message}
    response = call(app, "POST", "/api/send/calculate-price", json=body)
    assert response.json()["data"] == expected
    assert response.json()["meta"]["message"] == "calculate successfully"


def test_calculate_price_without_message_is_the_documented_422(app: SandboxApp) -> None:
    response = call(app, "POST", "/api/send/calculate-price", json={"number": "+983000505"})
    assert response.status == 422
    assert response.json()["meta"]["errors"] == {"message": ["تکمیل گزینه پیام الزامی است"]}


def test_cancel_scheduled_bulk_refunds_and_shows_state_7(app: SandboxApp, clock: FakeClock) -> None:
    outbox_id = send(app, send_time="2025-03-20 09:00:00")
    assert credit(app) == 1_000_000_000 - 1330
    clock.advance(3000)
    response = call(app, "POST", "/api/send/cancel", json={"message_outbox_id": outbox_id})
    assert response.status == 200 and response.json()["data"] is None
    assert credit(app) == 1_000_000_000
    clock.advance(3600)
    query = {"messages_outbox_id": str(outbox_id)}
    row = call(app, "GET", "/api/report/by_bulk", query=query).json()["data"]
    assert (row["state_id"], row["cost"]) == (7, 0.0)


def test_cancel_closer_than_5_minutes_or_immediate_is_404_1(
    app: SandboxApp, clock: FakeClock
) -> None:
    scheduled = send(app, send_time="2025-03-20 09:00:00")
    immediate = send(app, message="فوری")
    clock.advance(3301)
    for outbox_id in (scheduled, immediate):
        response = call(app, "POST", "/api/send/cancel", json={"message_outbox_id": outbox_id})
        assert response.status == 404
        assert response.json()["meta"]["message_code"] == "404-1"
        assert response.json()["meta"]["message"] == "پیام یافت نشد یا قابل لغو نیست"


def test_cancel_of_unknown_id_is_the_english_docs_404(app: SandboxApp) -> None:
    response = call(app, "POST", "/api/send/cancel", json={"message_outbox_id": 1})
    assert response.status == 404
    assert response.json()["meta"]["message_code"] == "400-1"
    assert response.json()["meta"]["message"] == "پیام مورد نظر یافت نشد"
    assert call(app, "POST", "/api/send/cancel", json={}).status == 422


def test_second_instance_on_the_same_dir_sees_the_same_account(
    tmp_path: Path, clock: FakeClock
) -> None:
    first = SandboxApp(tmp_path / "state", clock=clock, sleep=lambda _: None)
    outbox_id = send(first)
    first.advance(90)
    second = SandboxApp(tmp_path / "state", clock=clock, sleep=lambda _: None)
    query = {"messages_outbox_id": str(outbox_id)}
    assert call(second, "GET", "/api/report/by_bulk", query=query).json()["data"]["state_id"] == 6
    assert send(second, message="دوم") == outbox_id + 1
    assert [m.outbox_id for m in first.store.committed_messages()] == [outbox_id, outbox_id + 1]
    assert credit(second) == credit(first) == 1_000_000_000 - 2 * 1330


def test_advance_over_http_moves_the_clock(app: SandboxApp, clock: FakeClock) -> None:
    response = call(app, "POST", "/__sandbox__/advance", json={"seconds": 120}, key=None)
    assert response.json()["data"]["offset_seconds"] == 120
    assert (app.now() - clock.now()).total_seconds() == 120


def test_unknown_path_is_404_and_wrong_method_405(app: SandboxApp) -> None:
    assert call(app, "GET", "/api/nothing-here").status == 404
    assert call(app, "GET", "/api/send").status == 405


def test_sender_numbers_are_listed(app: SandboxApp) -> None:
    data = call(app, "GET", "/api/number/numbers").json()["data"]
    assert [row["number"] for row in data] == [
        "+983000505",
        "+98BANK",
        "+9810001234",
        "+985000125475",
    ]
