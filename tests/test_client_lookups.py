"""The account look-ups against a fake API: patterns, every page of lines, the inbox cursor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_client import FakeApi, body, fixture, make, ok

from runner.api.lookups import InboxMessage, PatternVariable, all_sender_lines, iter_inbox
from runner.errors import NotFoundError


def test_pattern_by_code_is_parsed_from_the_documented_answer() -> None:
    api = FakeApi(httpx.Response(200, json=fixture("pattern_pattern-by-code__success__200-1")))

    pattern = make(api).pattern("aibg4dsfertj5ht")

    assert api.last.method == "GET"
    assert api.last.url.path == "/v1/api/patterns/aibg4dsfertj5ht"
    assert (pattern.code, pattern.status, pattern.active) == ("aibg4dsfertj5ht", "active", True)
    assert pattern.variables == (PatternVariable("number", "string"),)


def test_a_pattern_code_is_quoted_into_the_path() -> None:
    api = FakeApi(ok({"pattern_code": "a/b c", "pattern_status": "active", "variable": []}))
    make(api).pattern("a/b c")
    assert api.last.url.raw_path == b"/v1/api/patterns/a%2Fb%20c"


def test_an_unknown_pattern_is_not_found() -> None:
    answer = httpx.Response(404, json=fixture("FA_send_pattern__error_404__404-1"))
    with pytest.raises(NotFoundError):
        make(FakeApi(answer)).pattern("nope")


def test_pattern_list_is_filtered_by_code() -> None:
    api = FakeApi(httpx.Response(200, json=fixture("pattern_list-pattern__success__200-1")))

    found = make(api).find_patterns("8tx1asdf1q436n")

    assert api.last.url.params["filter[code]"] == "8tx1asdf1q436n"
    assert [p.code for p in found][:1] == ["zcxxc465465zxc"]
    integer = next(p for p in found if p.code == "8tx1asdf1q436n")
    assert integer.variables == (PatternVariable("code", "integer"),)
    assert next(p for p in found if p.code == "zcxxc465465zxc").status == "inactive"


def lines_page(numbers: list[str], page: int, last_page: int) -> httpx.Response:
    rows = [{"id": 10000 + i, "number": n, "alias": None} for i, n in enumerate(numbers)]
    return ok(rows, current_page=page, last_page=last_page, per_page=2, total=3)


def test_every_page_of_the_accounts_lines_is_read() -> None:
    api = FakeApi(lines_page(["+983000505", "+98BANK"], 1, 2), lines_page(["+9810001234"], 2, 2))

    lines = [line.number for line in all_sender_lines(make(api), per_page=2)]

    assert lines == ["+983000505", "+98BANK", "+9810001234"]
    assert [r.url.params["page"] for r in api.requests] == ["1", "2"]
    assert {r.url.path for r in api.requests} == {"/v1/api/number/numbers"}


@pytest.mark.parametrize("status", [404, 405])
def test_lines_fall_back_to_the_older_numbers_path(status: int) -> None:
    missing = httpx.Response(status, json={"meta": {"status": False, "message": "x"}})
    api = FakeApi(
        missing, httpx.Response(200, json=fixture("numbers_list-numbers__success__200-1"))
    )

    lines = list(all_sender_lines(make(api)))

    assert [r.url.path for r in api.requests] == ["/v1/api/number/numbers", "/v1/api/numbers"]
    assert len(lines) == 5 and lines[0].number == "+981234567890"


def inbox_row(inbox_id: int, text: str = "1") -> dict[str, Any]:
    return {
        "messages_inbox_id": inbox_id,
        "from": "+989122222222",
        "number": "+983000505",
        "message": text,
        "type": "normal",
        "time": 1796040000 + inbox_id,
        "seen": "0",
    }


class Inbox:
    """A fake inbox of ids 1..``count``; ``newest_first`` and ``honours_page`` as servers vary."""

    def __init__(self, count: int, *, newest_first: bool, honours_page: bool = True) -> None:
        self.count = count
        self.newest_first = newest_first
        self.honours_page = honours_page
        self.calls: list[tuple[int, int]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)
        from_id, page, per_page = sent["filters"]["from_id"], sent["page"], sent["per_page"]
        self.calls.append((from_id, page))
        ids = [i for i in range(1, self.count + 1) if i > from_id]
        ids.sort(reverse=self.newest_first)
        start = (page - 1) * per_page if self.honours_page else 0
        rows = [inbox_row(i) for i in ids[start : start + per_page]]
        last = max(1, -(-len(ids) // per_page))
        return ok(rows, current_page=page, last_page=last, per_page=per_page, total=len(ids))


@pytest.mark.parametrize("newest_first", [False, True])
def test_inbox_reads_every_message_once_in_either_order(newest_first: bool) -> None:
    inbox = Inbox(7, newest_first=newest_first)
    client = make(FakeApi(*[inbox] * 10))

    got = list(iter_inbox(client, per_page=3))

    assert sorted(m.inbox_id for m in got) == [1, 2, 3, 4, 5, 6, 7]
    # three pages from the start, then once more from the highest id: nothing new
    assert inbox.calls == [(0, 1), (0, 2), (0, 3), (7, 1)]


def test_inbox_moves_its_cursor_on_a_server_that_ignores_pages() -> None:
    inbox = Inbox(7, newest_first=False, honours_page=False)
    client = make(FakeApi(*[inbox] * 10))

    got = [m.inbox_id for m in iter_inbox(client, per_page=3)]

    assert got == [1, 2, 3, 4, 5, 6, 7]
    assert inbox.calls == [(0, 1), (0, 2), (3, 1), (3, 2), (6, 1), (7, 1)]


def test_inbox_starts_after_from_id_and_posts_the_documented_body() -> None:
    inbox = Inbox(5, newest_first=False)
    api = FakeApi(*[inbox] * 3)

    got = list(iter_inbox(make(api), from_id=3))

    assert [m.inbox_id for m in got] == [4, 5]
    assert body(api.requests[0]) == {"page": 1, "per_page": 100, "filters": {"from_id": 3}}
    assert api.requests[0].url.path == "/v1/api/report/messages-inbox"
    assert got[0] == InboxMessage(4, "+989122222222", "+983000505", "1", 1796040004)


def test_every_line_of_the_sandbox_account_across_its_pages(tmp_path: Path) -> None:
    from runner.api.client import IPPanelClient, in_process_transport
    from runner.sandbox import DEMO_API_KEY, IN_PROCESS_BASE_URL, SandboxApp
    from runner.sandbox.seed import SENDER_NUMBERS

    app = SandboxApp(tmp_path / "sandbox")
    client = IPPanelClient(
        DEMO_API_KEY, base_url=IN_PROCESS_BASE_URL, transport=in_process_transport(app)
    )

    lines = [line.number for line in all_sender_lines(client, per_page=2)]

    assert lines == [number for _, number in SENDER_NUMBERS]
    assert len(lines) > 2  # more than one page was read
