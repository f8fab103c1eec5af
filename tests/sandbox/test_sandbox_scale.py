"""Reports stay quick for big bulks, new_list pages are capped, old state folders upgrade."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from runner.sandbox import SandboxApp
from runner.sandbox.lifecycle import outcome
from runner.sandbox.testing import FakeClock, call, multipart

DATA = Path(__file__).resolve().parents[1] / "data" / "sandbox"


def send(app: SandboxApp, message: str) -> Any:
    body = {
        "sending_type": "webservice",
        "from_number": "+983000505",
        "message": message,
        "params": {"recipients": ["+989120000000"]},
    }
    return call(app, "POST", "/api/send", json=body)


def test_new_list_clamps_limit_to_1000_and_says_so(app: SandboxApp) -> None:
    for i in range(3):
        assert send(app, f"پیام {i}").status == 200
    meta = call(app, "POST", "/api/report/new_list", json={"limit": 5000}).json()["meta"]
    assert (meta["per_page"], meta["total"], meta["from"], meta["to"]) == (1000, 3, 1, 3)
    meta = call(app, "POST", "/api/report/new_list", json={"limit": 2, "page": 2}).json()["meta"]
    assert (meta["per_page"], meta["from"], meta["to"], meta["last_page"]) == (2, 3, 3, 2)


def test_a_bulk_of_100000_reports_every_recipient_once(app: SandboxApp, clock: FakeClock) -> None:
    numbers = [f"+98912{i:07d}" for i in range(50_000)] + [f"+98935{i:07d}" for i in range(50_000)]
    content_type, raw = multipart(
        {"sending_type": "file", "from_number": "+983000505", "message": "hello"},
        [("files[]", "big.csv", ("phone_number\n" + "\n".join(numbers)).encode())],
    )
    outbox_id = call(app, "POST", "/api/send", body=raw, content_type=content_type).json()["data"][
        "message_outbox_ids"
    ][0]
    clock.advance(90)
    query = {"bulk_id": str(outbox_id)}
    stats = call(app, "GET", "/api/report/bulk_stats", query=query).json()["data"]
    counted = sum(
        int(stats[f"operators_{c}"][op]["en"])
        for c in ("delivered", "failed", "blacklist")
        for op in ("mci", "irancell")
    )
    assert counted == 100_000
    assert stats["operators_pending"]["mci"] == {"en": 0, "fa": 0}
    last = call(
        app, "GET", "/api/report/recipients", query=query | {"page": "100", "per_page": "1000"}
    )
    rows = last.json()["data"]
    assert [r["recipient"] for r in rows] == numbers[99_000:]
    assert rows[-1]["message_status"] == str(outcome(numbers[-1], outbox_id))


def test_recipient_pages_and_stats_use_the_primary_key(app: SandboxApp) -> None:
    with app.store.transaction() as tx:
        plans = [
            " ".join(str(row[3]) for row in tx.execute("EXPLAIN QUERY PLAN " + sql, args))
            for sql, args in [
                (
                    "SELECT recipient, outcome FROM recipients "
                    "WHERE outbox_id = ? AND seq >= ? AND seq < ? ORDER BY seq",
                    (1, 0, 10),
                ),
                (
                    "SELECT operator, outcome, count(*) FROM recipients WHERE outbox_id = ? "
                    "GROUP BY operator, outcome",
                    (1,),
                ),
            ]
        ]
    assert all("USING PRIMARY KEY" in plan for plan in plans), plans


def test_a_state_folder_from_before_the_upgrade_keeps_working(
    tmp_path: Path, clock: FakeClock
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    conn = sqlite3.connect(state / "sandbox.sqlite3")
    conn.executescript((DATA / "state-before-upgrade.sql").read_text(encoding="utf-8"))
    conn.close()

    app = SandboxApp(state, clock=clock, sleep=lambda _: None)

    assert [f.kind for f in app.faults.list()] == ["latency"]
    clock.advance(90)
    query = {"bulk_id": "1123544244"}
    rows = call(app, "GET", "/api/report/recipients", query=query).json()["data"]
    assert [(r["recipient"], r["message_status"]) for r in rows] == [
        ("+989120000000", "2"),
        ("+989350000000", "2"),
        ("+989121234567", str(outcome("+989121234567", 1123544244))),
    ]
    stats = call(app, "GET", "/api/report/bulk_stats", query=query).json()["data"]
    assert stats["operators_delivered"]["irancell"] == {"en": 0, "fa": "1"}
    assert [
        r["messages_outbox_id"]
        for r in call(app, "POST", "/api/report/new_list", json={}).json()["data"]
    ] == ["1123544244"]
    otp = call(app, "GET", "/api/patterns/otp0077login").json()["data"]
    assert otp["variable"] == [{"name": "code", "type": "integer", "len": 0}]
    assert (
        call(app, "GET", "/api/patterns/oldpromo1403").json()["data"]["pattern_status"]
        == "inactive"
    )
    again = SandboxApp(state, clock=clock, sleep=lambda _: None)  # upgrading twice is harmless
    assert len(again.store.committed_messages()) == 3
