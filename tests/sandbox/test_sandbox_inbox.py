"""The messages inbox: filled by a test, read back oldest first after a ``from_id`` cursor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runner.sandbox import BadArguments, SandboxApp
from runner.sandbox.testing import FakeClock, call

DOCUMENTED = Path(__file__).resolve().parents[1] / "data" / "ippanel-fixtures"
LINE = "+983000505"


def inbox(app: SandboxApp, **body: Any) -> Any:
    response = call(app, "POST", "/api/report/messages-inbox", json=body)
    assert response.status == 200, response.body
    return response.json()


def test_an_added_message_reads_back_in_the_documented_shape(
    app: SandboxApp, clock: FakeClock
) -> None:
    added = call(
        app,
        "POST",
        "/__sandbox__/inbox",
        json={"from": "+989121234567", "to": LINE, "message": "۱"},
        key=None,
    )
    assert added.json()["data"] == {"messages_inbox_id": 125000}
    (row,) = inbox(app, page=1, per_page=10)["data"]
    documented = json.loads((DOCUMENTED / "report_inbox-report__success__200-1.json").read_text())
    assert list(row) == list(documented["data"][0])
    assert row == {
        "messages_inbox_id": 125000,
        "from": "+989121234567",
        "number": LINE,
        "message": "۱",
        "type": "normal",
        "time": int(clock.now().timestamp()),
        "seen": "0",
    }


def test_from_id_returns_later_messages_oldest_first_with_paging(
    app: SandboxApp, clock: FakeClock
) -> None:
    start = int(clock.now().timestamp())
    ids = [app.add_inbox("+989121234567", LINE, f"پیام {i}", at=start - 100 + i) for i in range(5)]
    assert ids == list(range(125000, 125005))
    payload = inbox(app, page=1, per_page=2, filters={"from_id": ids[1]})
    assert [row["messages_inbox_id"] for row in payload["data"]] == ids[2:4]
    assert [row["time"] for row in payload["data"]] == [start - 98, start - 97]
    meta = payload["meta"]
    assert (meta["total"], meta["last_page"], meta["per_page"], meta["from"], meta["to"]) == (
        3,
        2,
        2,
        1,
        2,
    )
    assert meta["path"] == "/api/report/messages-inbox"
    last = inbox(app, page=2, per_page=2, filters={"from_id": str(ids[1])})
    assert [row["message"] for row in last["data"]] == ["پیام 4"]
    assert inbox(app, filters={"from_id": ids[-1]})["data"] == []


def test_only_the_users_lines_receive(app: SandboxApp) -> None:
    response = call(
        app,
        "POST",
        "/__sandbox__/inbox",
        json={"from": "+989121234567", "to": "+9830009999", "message": "سلام"},
        key=None,
    )
    assert response.status == 422
    assert list(response.json()["meta"]["errors"]) == ["to"]
    assert inbox(app)["data"] == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sender": "09121234567"}, "from"),
        ({"message": ""}, "message"),
        ({"at": 4_000_000_000}, "at"),
    ],
)
def test_bad_inbox_messages_are_refused(
    app: SandboxApp, changes: dict[str, Any], field: str
) -> None:
    given: dict[str, Any] = {"sender": "+989121234567", "to": LINE, "message": "سلام"}
    given.update(changes)
    with pytest.raises(BadArguments) as caught:
        app.add_inbox(**given)
    assert list(caught.value.errors) == [field]


def test_a_bad_from_id_is_a_field_error(app: SandboxApp) -> None:
    response = call(app, "POST", "/api/report/messages-inbox", json={"filters": {"from_id": "abc"}})
    assert response.status == 422
    assert list(response.json()["meta"]["errors"]) == ["filters.from_id"]


def test_the_inbox_needs_a_credential(app: SandboxApp) -> None:
    assert call(app, "POST", "/api/report/messages-inbox", json={}, key=None).status == 401
