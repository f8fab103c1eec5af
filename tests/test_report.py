"""The delivery report against the in-process sandbox: outcomes, paging, states, watch."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from report_screenshot import Scenario, phones

from runner.errors import NotFoundError
from runner.report import needs_attention, summary_lines, watch


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return Scenario(tmp_path)


def test_finished_batches_report_each_recipients_outcome(scenario: Scenario) -> None:
    # The sandbox decides by the number's ending: 0000 delivered, 8888 not, 9999 blacklisted.
    numbers = ["+989120000000", "+989350008888", "+989129999999", "+989350000000"]
    outbox_id = scenario.webservice("k1", numbers)
    scenario.clock.advance(90)  # 60 s review + 30 s sending

    report = scenario.report()

    (batch,) = report.batches
    (outbox,) = batch.outboxes
    assert (outbox.outbox_id, outbox.state_id, outbox.final) == (outbox_id, 6, True)
    assert batch.status == "sent" and batch.note == ""
    assert report.totals() == {
        "batches": 1,
        "outboxes": 1,
        "recipients": 4,
        "sent": 4,
        "delivered": 2,
        "not_delivered": 1,
        "blacklisted": 1,
        "pending": 0,
        "cost": 2 * 1330.0 + 2 * 1463.0,  # one Persian part; Irancell is billed as "other"
    }
    failed = {(r.phone, r.status) for r in report.failures}
    assert failed == {("+989350008888", 3), ("+989129999999", 4)}
    mci = next(op for op in report.operators if op.operator == "mci")
    assert (mci.count("delivered"), mci.count("blacklist")) == (1, 1)
    assert not needs_attention(report)


def test_cost_is_what_the_api_charged(scenario: Scenario) -> None:
    scenario.webservice("k1", ["+989120000000", "+989350000000"])
    scenario.clock.advance(90)
    # MCI 1,330 and another operator 1,463 Rial for one Persian part.
    assert scenario.report().totals()["cost"] == 1330.0 + 1463.0


def test_recipients_are_read_across_pages_of_one_outbox(scenario: Scenario) -> None:
    numbers = phones(1200)
    body = {"sending_type": "peer_to_peer", "params": [{"recipients": numbers, "message": "سلام"}]}
    scenario.send("p2p", body, len(numbers))
    scenario.clock.advance(90)

    report = scenario.report()

    assert len(report.recipients) == 1200
    assert {r.phone for r in report.recipients} == set(numbers)
    assert report.totals()["recipients"] == 1200
    assert report.counts.pending == 0


def test_two_batches_of_600_add_up(scenario: Scenario) -> None:
    scenario.webservice("a", phones(600))
    scenario.webservice("b", phones(600, start=600))
    scenario.clock.advance(90)
    calls: list[tuple[int, int]] = []

    report = scenario.report(
        concurrency=2, progress=lambda done, total: calls.append((done, total))
    )

    assert [b.recipients for b in report.batches] == [600, 600]
    assert report.totals()["recipients"] == 1200
    assert sum(b.counts.delivered for b in report.batches) == report.totals()["delivered"]
    assert calls[0] == (0, 2) and calls[-1] == (2, 2)


def test_batches_still_in_review_say_so_and_count_as_pending(scenario: Scenario) -> None:
    scenario.webservice("k1", phones(5))
    scenario.clock.advance(10)

    report = scenario.report()

    (batch,) = report.batches
    assert batch.status == "in progress"
    assert batch.note == "1 outbox(es) still in review; run the report again"
    assert batch.outboxes[0].state_id == 1
    assert (report.counts.pending, report.complete, report.failures) == (5, False, ())
    assert not needs_attention(report)
    assert "still in progress (in review)" in "\n".join(summary_lines(report))


def test_rejected_batch_needs_attention_and_shows_the_reviewers_comment(
    scenario: Scenario,
) -> None:
    scenario.webservice("ok", ["+989120000000"])
    scenario.webservice("bad", ["+989120000001", "+989350000002"], "حراج [reject]")
    scenario.clock.advance(90)

    report = scenario.report()

    bad = next(b for b in report.batches if b.key == "bad")
    assert bad.status == "rejected by review"
    assert bad.note == "1 outbox(es) rejected by review: the monitoring review rejected the message"
    assert bad.reject_comments == ("محتوای پیام مجاز نیست",)
    assert bad.cost == 0
    assert needs_attention(report)


def test_no_credit_batch_needs_attention(scenario: Scenario) -> None:
    scenario.app.set_credit(1.0)
    scenario.webservice("k1", ["+989120000000"])
    scenario.clock.advance(90)

    report = scenario.report()

    assert report.batches[0].status == "no credit"
    assert "not enough to send" in report.batches[0].note
    assert report.totals()["sent"] == 0
    assert needs_attention(report)


def test_batches_without_outbox_ids_are_listed_with_their_state(scenario: Scenario) -> None:
    scenario.unsent("lost", "unknown", 12)
    scenario.unsent("refused", "failed", 3, error="422 invalid sender")

    report = scenario.report()

    by_key = {b.key: b for b in report.batches}
    assert by_key["lost"].status == "unresolved"
    assert "reconcile" in by_key["lost"].note
    assert by_key["refused"].status == "not sent"
    assert by_key["refused"].note.endswith("422 invalid sender")
    assert report.outboxes == ()
    # An unknown batch may have sent: the next apply must reconcile it, so the CLI exits 1.
    assert needs_attention(report)


def test_a_failed_batch_alone_does_not_need_attention(scenario: Scenario) -> None:
    scenario.unsent("refused", "failed", 3)
    assert not needs_attention(scenario.report())


def test_an_outbox_the_api_does_not_know_raises(scenario: Scenario) -> None:
    scenario.webservice("k1", ["+989120000000"])
    record = scenario.lock.batches["k1"]
    scenario.lock.batches["k1"] = replace(record, outbox_ids=(999,))
    with pytest.raises(NotFoundError):
        scenario.report()


def test_watch_polls_until_every_outbox_is_final_without_sleeping(scenario: Scenario) -> None:
    scenario.webservice("k1", phones(3))
    scenario.clock.advance(30)
    scenario.webservice("k2", phones(3, start=3))
    naps: list[float] = []

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        scenario.clock.advance(seconds)

    report = watch(
        scenario.campaign,
        scenario.lock,
        scenario.client,
        interval=20,
        sleep=sleep,
        now=lambda: scenario.clock.now(),
    )

    assert report.complete
    assert all(o.state_id == 6 for o in report.outboxes)
    # k2 was created 30 s after k1 and needs 90 s: five naps of 20 s.
    assert naps == [20, 20, 20, 20, 20]
    assert report.generated_at == scenario.clock.now()


def test_watch_returns_at_once_when_everything_is_final(scenario: Scenario) -> None:
    scenario.webservice("k1", phones(2))
    scenario.unsent("lost", "unknown", 2)
    scenario.clock.advance(90)

    def sleep(seconds: float) -> None:
        raise AssertionError("watch slept although nothing was in progress")

    report = watch(
        scenario.campaign,
        scenario.lock,
        scenario.client,
        interval=5,
        sleep=sleep,
        now=lambda: scenario.clock.now(),
    )
    assert report.complete


def test_summary_lines_give_totals_and_cost(scenario: Scenario) -> None:
    scenario.webservice("k1", ["+989120000000", "+989129999999"])
    scenario.clock.advance(90)

    lines = summary_lines(scenario.report())

    assert lines[0] == (
        "yalda-report: 1 batch(es), 1 outbox(es), 2 recipient(s), cost 2,660 Rials "
        "(2,660 Rials per delivered message)"
    )
    assert lines[1] == "  delivered 1 (50.0%), not delivered 0, blacklisted 1, pending 0"
    assert lines[2] == "  All 1 outbox(es) have reached a final state."
