"""Sandbox reports and lifecycle: states by the clock, outcomes, costs, paging, filters."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from runner.sandbox import SandboxApp
from runner.sandbox.testing import FakeClock, call

SENDER = "+983000505"


def send(app: SandboxApp, recipients: list[str], message: str = "سلام", **extra: Any) -> int:
    body = {
        "sending_type": "webservice",
        "from_number": SENDER,
        "message": message,
        "params": {"recipients": recipients},
        **extra,
    }
    response = call(app, "POST", "/api/send", json=body)
    assert response.status == 200, response.body
    return int(response.json()["data"]["message_outbox_ids"][0])


def bulk(app: SandboxApp, outbox_id: int) -> dict[str, Any]:
    response = call(app, "GET", "/api/report/by_bulk", query={"messages_outbox_id": str(outbox_id)})
    assert response.status == 200
    return dict(response.json()["data"])


def statuses(app: SandboxApp, outbox_id: int) -> list[str]:
    query = {"bulk_id": str(outbox_id), "per_page": "1000"}
    rows = call(app, "GET", "/api/report/recipients", query=query).json()["data"]
    return [row["message_status"] for row in rows]


def test_bulk_goes_review_then_queue_then_sent(app: SandboxApp, clock: FakeClock) -> None:
    outbox_id = send(app, ["+989120000000", "+989129999999"])
    row = bulk(app, outbox_id)
    assert (row["state_id"], row["valid"], row["exit_count"]) == (1, None, "0")
    assert statuses(app, outbox_id) == ["0", "0"]
    clock.advance(60)
    assert bulk(app, outbox_id)["state_id"] == 5
    assert statuses(app, outbox_id) == ["1", "1"]
    clock.advance(30)
    row = bulk(app, outbox_id)
    assert (row["state_id"], row["state"], row["status"]) == (6, "finish", "پایان یافته")
    assert (row["rcpts_count"], row["exit_count"], row["valid"]) == ("2", "2", "approve")
    assert statuses(app, outbox_id) == ["2", "4"]


def test_scheduled_bulk_waits_for_its_send_time(app: SandboxApp, clock: FakeClock) -> None:
    outbox_id = send(app, ["+989120000000"], send_time="2025-03-20 08:10:00")
    clock.advance(599)
    assert bulk(app, outbox_id)["state_id"] == 1
    clock.advance(1)
    assert bulk(app, outbox_id)["state_id"] == 5
    clock.advance(30)
    row = bulk(app, outbox_id)
    assert row["state_id"] == 6
    assert row["time_send"] == str(int(clock.now().timestamp()) - 30)


def test_pattern_skips_review(app: SandboxApp) -> None:
    body = {
        "sending_type": "pattern",
        "from_number": SENDER,
        "code": "otp0077login",
        "recipients": ["+989120000000"],
        "params": {"code": "4821"},
    }
    outbox_id = call(app, "POST", "/api/send", json=body).json()["data"]["message_outbox_ids"][0]
    row = bulk(app, outbox_id)
    assert (row["state_id"], row["type"], row["message"]) == (6, "pattern", "کد ورود شما: 4821")


def test_reject_marker_is_rejected_at_review_with_a_comment(
    app: SandboxApp, clock: FakeClock
) -> None:
    outbox_id = send(app, ["+989120000000"], "Big sale [REJECT] now")
    clock.advance(60)
    row = bulk(app, outbox_id)
    assert (row["state_id"], row["valid"]) == (3, "reject")
    assert row["reject_comment"] == "محتوای پیام مجاز نیست"
    assert row["cost"] == 0.0
    assert statuses(app, outbox_id) == ["3"]


def test_bulk_over_the_credit_ends_in_state_8_and_costs_nothing(
    app: SandboxApp, clock: FakeClock
) -> None:
    app.set_credit(1000)
    outbox_id = send(app, ["+989120000000"])
    clock.advance(60)
    assert bulk(app, outbox_id)["state_id"] == 8
    credit = call(app, "GET", "/api/payment/credit/mine").json()["data"]["credit"]
    assert credit == 1000


def test_cost_is_price_per_part_per_recipient_by_operator(app: SandboxApp) -> None:
    persian = send(app, ["+989120000000", "+989350000000"], "سلام")
    latin = send(app, ["+989120000000", "+989350000000"], "a" * 161)
    assert bulk(app, persian)["cost"] == 1330 + 1463
    assert bulk(app, latin)["cost"] == 2 * (3325 + 3657.5)
    assert bulk(app, latin)["part"] == "2"
    credit = call(app, "GET", "/api/payment/credit/mine").json()["data"]["credit"]
    assert credit == 1_000_000_000 - (1330 + 1463) - 2 * (3325 + 3657.5)


def test_demo_suffixes_fix_the_outcome_and_others_vary(app: SandboxApp, clock: FakeClock) -> None:
    fixed = send(app, ["+989120000000", "+989129999999", "+989128888888"])
    varied = send(app, [f"+98912{i:07d}" for i in range(1, 1001)])
    clock.advance(90)
    assert statuses(app, fixed) == ["2", "4", "3"]
    counts = Counter(statuses(app, varied))
    assert 740 <= counts["2"] <= 860 and 80 <= counts["3"] <= 160 and 40 <= counts["4"] <= 120
    assert statuses(app, varied) == statuses(app, varied)


def test_bulk_stats_counts_by_operator_and_script(app: SandboxApp, clock: FakeClock) -> None:
    outbox_id = send(app, ["+989120000000", "+989350000000", "+989019999999", "+989210000000"])
    query = {"bulk_id": str(outbox_id)}
    pending = call(app, "GET", "/api/report/bulk_stats", query=query).json()["data"]
    assert pending["operators_pending"] == {
        "irancell": {"en": 0, "fa": "2"},
        "mci": {"en": 0, "fa": "1"},
    }
    clock.advance(90)
    final = call(app, "GET", "/api/report/bulk_stats", query=query).json()["data"]
    assert final["operators_delivered"]["mci"] == {"en": 0, "fa": "1"}
    assert final["operators_blacklist"]["irancell"] == {"en": 0, "fa": "1"}
    assert final["operators_pending"]["mci"] == {"en": 0, "fa": 0}


def test_recipients_pages_through_more_than_1000(app: SandboxApp) -> None:
    first = send(app, [f"+98912{i:07d}" for i in range(1000)])
    seen: list[str] = []
    page = 1
    while True:
        query = {"bulk_id": str(first), "page": str(page), "per_page": "300"}
        payload = call(app, "GET", "/api/report/recipients", query=query).json()
        seen += [row["recipient"] for row in payload["data"]]
        if page == payload["meta"]["last_page"]:
            break
        page += 1
    assert page == 4 and len(seen) == 1000 and len(set(seen)) == 1000
    assert payload["meta"] | {"status": True} == {
        "current_page": 4,
        "from": 901,
        "last_page": 4,
        "path": "/api/report/recipients",
        "per_page": 300,
        "to": 1000,
        "total": 1000,
        "status": True,
        "message": "انجام شد",
        "message_code": "200-1",
    }


def test_postal_code_bulk_can_exceed_1000_recipients(app: SandboxApp) -> None:
    slice_ = {"start": 0, "size": 1000}
    body = {
        "sending_type": "postal_code",
        "from_number": "+98BANK",
        "message": "hi",
        "params": [
            {
                "postal_code": 1317,
                "bank": "all",
                "gender": 0,
                "age_from": 1300,
                "age_to": 1410,
                "mci": slice_,
                "irancell": slice_,
                "other": slice_,
            }
        ],
    }
    outbox_id = call(app, "POST", "/api/send", json=body).json()["data"]["message_outbox_ids"][0]
    total = int(bulk(app, outbox_id)["rcpts_count"])
    assert total > 1000
    query = {"bulk_id": str(outbox_id), "page": "2", "per_page": "1000"}
    meta = call(app, "GET", "/api/report/recipients", query=query).json()["meta"]
    assert (meta["from"], meta["to"], meta["total"]) == (1001, total, total)


def new_list(app: SandboxApp, **body: Any) -> dict[str, Any]:
    response = call(app, "POST", "/api/report/new_list", json=body)
    assert response.status == 200, response.body
    return dict(response.json())


def test_new_list_is_newest_first_with_laravel_paging(app: SandboxApp, clock: FakeClock) -> None:
    ids = []
    for i in range(5):
        ids.append(send(app, [f"+98912000000{i}"], f"پیام {i}"))
        clock.advance(1)
    payload = new_list(app, page=2, limit=2)
    assert [row["messages_outbox_id"] for row in payload["data"]] == [str(ids[2]), str(ids[1])]
    meta = payload["meta"]
    assert (meta["current_page"], meta["from"], meta["to"], meta["last_page"]) == (2, 3, 4, 3)
    assert (meta["per_page"], meta["total"], meta["path"]) == (2, 5, "/api/report/new_list")
    empty = new_list(app, page=9, limit=2)
    assert empty["data"] == [] and empty["meta"]["from"] is None


def test_new_list_filters(app: SandboxApp, clock: FakeClock) -> None:
    start = int(clock.now().timestamp())
    a = send(app, ["+989120000000"], "کد تخفیف بهاره")
    clock.advance(100)
    b = send(app, ["+989120000000", "+989120000001"], "hello", from_number="+98BANK")

    def ids(**filters: Any) -> list[int]:
        return [int(r["messages_outbox_id"]) for r in new_list(app, filters=filters)["data"]]

    assert ids(message="تخفیف") == [a]
    assert ids(number="+98BANK") == [b]
    assert ids(messages_outbox_id=str(a)) == [a]
    assert ids(create_from_date=str(start + 50)) == [b]
    assert ids(create_to_date=str(start)) == [a]
    assert ids(send_from_date=str(start), send_to_date=str(start + 99)) == [a]
    assert ids(from_exit_count=2, to_exit_count=5) == [b]
    assert ids(state_id="6") == [a]
    assert ids(state_id="1") == [b]


def test_new_list_invalid_state_is_400_31(app: SandboxApp) -> None:
    response = call(app, "POST", "/api/report/new_list", json={"filters": {"state_id": "42"}})
    assert response.status == 422
    assert response.json()["meta"]["message_code"] == "400-31"
    assert response.json()["meta"]["message"] == "invalid state"


def test_by_bulk_old_post_path_matches_the_current_get(app: SandboxApp) -> None:
    outbox_id = send(app, ["+989120000000"])
    old = call(app, "POST", f"/api/report/by_bulk/{outbox_id}", json={"page": 1, "limit": 10})
    assert (
        old.json()
        == call(
            app, "GET", "/api/report/by_bulk", query={"messages_outbox_id": str(outbox_id)}
        ).json()
    )


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/report/by_bulk", {"messages_outbox_id": "99"}),
        ("/api/report/bulk_stats", {"bulk_id": "99"}),
        ("/api/report/recipients", {"bulk_id": "abc"}),
    ],
)
def test_unknown_bulk_is_404(app: SandboxApp, path: str, query: dict[str, str]) -> None:
    response = call(app, "GET", path, query=query)
    assert response.status == 404
    assert response.json()["meta"]["message_code"] == "404-1"


@pytest.mark.parametrize("path", ["/api/report/bulk_stats", "/api/report/recipients"])
def test_missing_bulk_id_is_the_documented_422(app: SandboxApp, path: str) -> None:
    response = call(app, "GET", path)
    assert response.status == 422
    assert response.json()["meta"]["errors"] == {"bulk_id": ["تکمیل گزینه bulk_id الزامی است"]}
