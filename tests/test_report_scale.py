"""Reports that scale: states from new_list, recipients once, and a cache beside the report.

Calls are counted at the transport, as the API would see them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from report_screenshot import Scenario, phones

from runner.api.client import IPPanelClient, in_process_transport
from runner.errors import AuthenticationError
from runner.lockfile import BatchRecord
from runner.report import build_report, cache_path, render_json, watch, write_report
from runner.report import fetch as report_fetch
from runner.report import states as report_states
from runner.sandbox import DEMO_API_KEY, IN_PROCESS_BASE_URL


class Counting(httpx.BaseTransport):
    """Counts requests by ``METHOD /path`` and hands them on."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls[f"{request.method} {request.url.path.removeprefix('/v1')}"] += 1
        return self.inner.handle_request(request)

    def take(self) -> Counter[str]:
        calls, self.calls = self.calls, Counter()
        return calls


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return Scenario(tmp_path)


@pytest.fixture
def counted(scenario: Scenario) -> Counting:
    """The scenario's client, through a counting transport."""
    counting = Counting(in_process_transport(scenario.app))
    scenario.client = IPPanelClient(
        DEMO_API_KEY, base_url=IN_PROCESS_BASE_URL, transport=counting, sleep=lambda _: None
    )
    return counting


def personalized(scenario: Scenario, key: str, numbers: list[str]) -> tuple[int, ...]:
    """A peer_to_peer batch with a text per recipient: one outbox per recipient."""
    items = [{"recipients": [n], "message": f"سلام {n[-4:]}"} for n in numbers]
    body = {"sending_type": "peer_to_peer", "params": items}
    return scenario.send(key, body, len(numbers)).outbox_ids


def report(scenario: Scenario, **options: Any) -> Any:
    cache = cache_path(scenario.campaign.path)
    return build_report(
        scenario.campaign,
        scenario.lock,
        scenario.client,
        now=scenario.clock.now(),
        cache=cache,
        **options,
    )


def test_first_report_reads_states_in_pages_and_each_final_outbox_once(
    scenario: Scenario, counted: Counting, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_states, "NEW_LIST_PAGE", 20)
    personalized(scenario, "a", phones(30))
    personalized(scenario, "b", phones(20, start=30))
    scenario.clock.advance(90)
    counted.take()

    result = report(scenario, concurrency=3)

    assert counted.take() == Counter(
        {"POST /api/report/new_list": 3, "GET /api/report/recipients": 50}
    )
    assert (len(result.outboxes), result.counts.total) == (50, 50)
    assert all(o.final for o in result.outboxes)


def test_a_rerun_of_a_final_campaign_makes_no_call_and_the_same_report(
    scenario: Scenario, counted: Counting
) -> None:
    personalized(scenario, "a", phones(12))
    scenario.clock.advance(90)
    first = render_json(report(scenario))
    counted.take()

    again = render_json(report(scenario))

    assert counted.take() == Counter()
    assert again == first
    cached = json.loads(cache_path(scenario.campaign.path).read_text(encoding="utf-8"))
    assert cached["api"] == IN_PROCESS_BASE_URL and len(cached["outboxes"]) == 12


def test_outboxes_in_review_are_not_read_until_final(scenario: Scenario, counted: Counting) -> None:
    ids = personalized(scenario, "a", phones(4))
    scenario.clock.advance(30)
    counted.take()

    early = report(scenario)

    assert counted.take() == Counter({"POST /api/report/new_list": 1})
    assert (early.counts.pending, early.complete) == (4, False)
    assert not cache_path(scenario.campaign.path).exists()  # nothing final: no file

    scenario.clock.advance(60)
    later = report(scenario)
    assert counted.take() == Counter(
        {"POST /api/report/new_list": 1, "GET /api/report/recipients": len(ids)}
    )
    assert later.complete and later.counts.pending == 0
    assert len(json.loads(cache_path(scenario.campaign.path).read_text())["outboxes"]) == 4


def test_the_cache_counts_only_while_the_lockfile_still_names_its_outbox(
    scenario: Scenario, counted: Counting
) -> None:
    personalized(scenario, "a", phones(3))
    kept = personalized(scenario, "b", phones(2, start=3))
    scenario.clock.advance(90)
    report(scenario)
    counted.take()
    # Batch a was resolved by hand to other outboxes: its cached entries no longer count.
    record = scenario.lock.batches["a"]
    moved = personalized(scenario, "c", phones(3, start=10))
    scenario.lock.batches["a"] = replace(record, outbox_ids=moved)
    del scenario.lock.batches["c"]
    scenario.clock.advance(90)
    counted.take()

    result = report(scenario)

    assert counted.take()["GET /api/report/recipients"] == 3
    assert {o.outbox_id for o in result.outboxes} == set(moved) | set(kept)
    cached = json.loads(cache_path(scenario.campaign.path).read_text(encoding="utf-8"))
    assert {int(i) for i in cached["outboxes"]} == set(moved) | set(kept)


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: "{not json",
        lambda text: text.replace(IN_PROCESS_BASE_URL, "https://edge.ippanel.com/v1"),
        lambda text: text.replace('"campaign":"yalda-report"', '"campaign":"other"'),
        lambda text: text.replace('"recipients":[[', '"recipients":[[7,'),
    ],
    ids=["unreadable", "another-api", "another-campaign", "malformed-entry"],
)
def test_a_cache_that_does_not_fit_is_ignored_and_rewritten(
    scenario: Scenario, counted: Counting, damage: Any
) -> None:
    personalized(scenario, "a", phones(3))
    scenario.clock.advance(90)
    first = render_json(report(scenario))
    path = cache_path(scenario.campaign.path)
    good = path.read_text(encoding="utf-8")
    path.write_text(damage(good), encoding="utf-8")
    counted.take()

    assert render_json(report(scenario)) == first
    assert counted.take()["GET /api/report/recipients"] == 3
    assert path.read_text(encoding="utf-8") == good


def test_outboxes_new_list_does_not_show_are_asked_with_by_bulk(
    scenario: Scenario, counted: Counting
) -> None:
    (outbox_id,) = personalized(scenario, "a", phones(1))
    # The lockfile's attempt time is far from the outbox's creation (a skewed clock).
    record = scenario.lock.batches["a"]
    scenario.lock.batches["a"] = replace(record, attempted_at=record.attempted_at - 86_400)
    scenario.clock.advance(90)
    counted.take()

    result = report(scenario)

    assert counted.take() == Counter(
        {
            "POST /api/report/new_list": 1,
            "GET /api/report/by_bulk": 1,
            "GET /api/report/recipients": 1,
        }
    )
    assert [o.outbox_id for o in result.outboxes] == [outbox_id]


def test_without_new_list_every_outbox_is_asked_with_by_bulk_and_a_warning(
    scenario: Scenario,
) -> None:
    personalized(scenario, "a", phones(2))
    scenario.clock.advance(90)
    inner = in_process_transport(scenario.app)
    seen: list[str] = []

    def old_api(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path.removeprefix('/v1')}")
        if request.url.path.endswith("/new_list"):
            return httpx.Response(404, json={"data": None, "meta": {"status": False}})
        return inner.handle_request(request)

    scenario.client = IPPanelClient(
        DEMO_API_KEY, base_url=IN_PROCESS_BASE_URL, transport=httpx.MockTransport(old_api)
    )
    warnings: list[str] = []

    result = report(scenario, warn=warnings.append)

    assert Counter(seen) == Counter(
        {
            "POST /api/report/new_list": 1,
            "GET /api/report/by_bulk": 2,
            "GET /api/report/recipients": 2,
        }
    )
    assert warnings == [
        "this API has no report/new_list; asking for each outbox with by_bulk (one call an outbox)"
    ]
    assert result.complete

    # --watch asks every poll; the warning is given once.
    personalized(scenario, "b", phones(2, start=2))
    warnings.clear()
    seen.clear()
    watch(
        scenario.campaign,
        scenario.lock,
        scenario.client,
        interval=40,
        sleep=scenario.clock.advance,
        now=scenario.clock.now,
        warn=warnings.append,
    )
    assert seen.count("POST /api/report/new_list") == 4  # in review at 0, 40, 80 s; final at 120
    assert len(warnings) == 1


def test_watch_polls_states_only_and_reads_recipients_once(
    scenario: Scenario, counted: Counting
) -> None:
    personalized(scenario, "a", phones(3))
    scenario.clock.advance(50)
    personalized(scenario, "b", phones(3, start=3))
    counted.take()

    def sleep(seconds: float) -> None:
        scenario.clock.advance(seconds)

    result = watch(
        scenario.campaign,
        scenario.lock,
        scenario.client,
        interval=30,
        sleep=sleep,
        now=scenario.clock.now,
        cache=cache_path(scenario.campaign.path),
    )

    calls = counted.take()
    # Polls at +50 s, +80 s, +110 s (a final at +90 s), +140 s (b final at +140 s).
    assert calls == Counter({"POST /api/report/new_list": 4, "GET /api/report/recipients": 6})
    assert result.complete
    assert report(scenario).complete and counted.take() == Counter()


def test_a_sent_outbox_awaiting_delivery_reports_is_read_again_until_they_settle(
    scenario: Scenario,
) -> None:
    created = int(scenario.clock.now().timestamp())
    row = {
        "messages_outbox_id": "41",
        "number": "+983000505",
        "message": "سلام",
        "state_id": 6,
        "rcpts_count": "2",
        "exit_count": "2",
        "time": str(created),
        "time_send": str(created),
    }
    statuses = ["2", "1"]  # one delivered, one still "received by operator"
    seen: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path.rsplit("/", 1)[-1])
        if request.url.path.endswith("/new_list"):
            data: Any = [row]
        else:
            data = [
                {
                    "recipient": f"+98912000000{n}",
                    "message": "سلام",
                    "msg_parts": "1",
                    "message_status": status,
                }
                for n, status in enumerate(statuses)
            ]
        return httpx.Response(200, json={"data": data, "meta": {"status": True}})

    scenario.client = IPPanelClient(DEMO_API_KEY, transport=httpx.MockTransport(api))
    scenario.lock.batches["a"] = BatchRecord(
        "a", "sent", "webservice", "+983000505", 2, "", outbox_ids=(41,), attempted_at=created
    )

    assert report(scenario).counts.pending == 1
    assert report(scenario).counts.pending == 1
    assert seen == ["new_list", "recipients"] * 2  # not cached: a status may still change
    scenario.clock.advance(73 * 3600)  # operators have given up retrying by now
    seen.clear()
    report(scenario)
    report(scenario)
    assert seen == ["new_list", "recipients"]


def test_the_report_file_is_written_streamed_yet_as_render_json_has_it(
    scenario: Scenario,
) -> None:
    personalized(scenario, "a", phones(5))
    scenario.clock.advance(90)
    result = report(scenario)
    json_path = write_report(result)[0]
    assert json_path.read_text(encoding="utf-8") == render_json(result)


def test_states_are_asked_for_in_the_largest_page_the_api_serves() -> None:
    from runner.sandbox.reports import NEW_LIST_MAX_LIMIT

    assert report_states.NEW_LIST_PAGE == NEW_LIST_MAX_LIMIT == 1000


def test_a_report_cut_short_keeps_what_it_read_and_the_rerun_reads_the_rest(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_fetch, "SAVE_EVERY", 2)
    personalized(scenario, "a", phones(6))
    scenario.clock.advance(90)
    inner = in_process_transport(scenario.app)
    path = cache_path(scenario.campaign.path)
    reads: list[int] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/recipients"):
            reads.append(len(json.loads(path.read_text())["outboxes"]) if path.exists() else 0)
            if len(reads) == 5:
                return httpx.Response(401, json={"data": None, "meta": {"status": False}})
        return inner.handle_request(request)

    scenario.client = IPPanelClient(
        DEMO_API_KEY, base_url=IN_PROCESS_BASE_URL, transport=httpx.MockTransport(flaky)
    )
    with pytest.raises(AuthenticationError):
        report(scenario, concurrency=1)
    assert reads == [0, 0, 2, 2, 4]  # saved every 2 outboxes while reading
    assert len(json.loads(path.read_text())["outboxes"]) == 4

    reads.clear()
    assert report(scenario).complete
    assert len(reads) == 2
