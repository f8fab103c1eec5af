"""What the report tells the person who ran the campaign: what went out, when, at what cost,
to which operators, in which order, and what each outcome means."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from helpers import Invoke
from report_screenshot import Scenario, phones

from runner.report import render_html, render_markdown, summary_lines
from runner.report.facts import NOT_REPORTED, campaign_facts, operator_rows
from runner.report.model import BatchResult, Counts, OutboxResult, RecipientResult, Report


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return Scenario(tmp_path)


def test_facts_name_message_sender_time_and_cost_per_delivered(scenario: Scenario) -> None:
    # 0000 endings are delivered; 9999 blacklisted (1,330 Rial an MCI number, 1,463 others)
    scenario.webservice("k1", ["+989120000000", "+989350000000", "+989129999999"])
    scenario.clock.advance(90)

    report = scenario.report()
    facts = campaign_facts(report)

    assert (facts.message, facts.texts, facts.senders) == ("یلدا مبارک!", 1, ("+983000505",))
    assert facts.sent_at == datetime(2025, 3, 20, 8, 0, tzinfo=timezone.utc)
    assert not facts.scheduled
    assert facts.cost_per_delivered == (2 * 1330 + 1463) / 2
    text = render_markdown(report)
    assert "| Message | یلدا مبارک! |" in text
    assert "| Type | webservice |" in text
    assert "| Sender | +983000505 |" in text
    assert (
        "| Sent | 2025-03-20 08:00 UTC · 2025-03-20 11:30 (Asia/Tehran) · Solar Hijri "
        "1403-12-30 11:30 (Asia/Tehran) |"
    ) in text
    assert "| Cost | 4,123 Rials; 2,062 Rials per delivered message |" in text


def test_a_scheduled_campaign_says_when_it_goes_out_and_until_when_to_cancel(
    scenario: Scenario,
) -> None:
    body = {
        "sending_type": "webservice",
        "message": "یلدا مبارک!",
        "params": {"recipients": phones(3)},
        "send_time": "2025-03-21 06:30:00",
    }
    scenario.send("k1", body, 3)
    scenario.clock.advance(120)

    report = scenario.report()

    assert campaign_facts(report).scheduled
    text = render_markdown(report)
    assert (
        "| Scheduled for | 2025-03-21 06:30 UTC · 2025-03-21 10:00 (Asia/Tehran) · Solar Hijri "
        "1404-01-01 10:00 (Asia/Tehran) |"
    ) in text
    assert (
        "| Cancel | possible until 1404-01-01 09:55 Tehran (2025-03-21), 5 minutes before it goes "
        "out: `ippanel-run cancel "
    ) in text
    assert "Scheduled: it goes out at 1404-01-01 10:00 Tehran (2025-03-21)" in text
    lines = summary_lines(report)
    assert any(
        line.startswith("  it can be cancelled until 1404-01-01 09:55 Tehran (2025-03-21)")
        for line in lines
    )


def test_operator_rows_count_other_operators_and_add_up(scenario: Scenario) -> None:
    scenario.webservice("k1", phones(30))  # MCI 0912, Irancell 0935, RighTel 0921 in turn
    scenario.clock.advance(90)

    report = scenario.report()
    rows = operator_rows(report)

    assert [r.name for r in rows] == ["MCI (Hamrah-e Aval)", "Irancell", "other operators"]
    assert [r.counts.total for r in rows] == [10, 10, 10]
    assert Counts.sum(r.counts for r in rows) == report.counts
    html = render_html(report)
    assert "<td>other operators</td>" in html and "<td><b>Total</b></td>" in html


def outbox(outbox_id: int, recipients: int, *, created: int) -> OutboxResult:
    return OutboxResult(
        outbox_id, 6, 0.0, recipients, recipients, 1, created, created, None,
        Counts(pending=recipients),
    )  # fmt: skip


def test_outboxes_without_a_recipient_report_get_a_row_so_operators_add_up() -> None:
    reported = [
        RecipientResult("+989120000000", 1, 2, 1),
        RecipientResult("+989210000000", 1, 3, 1),
    ]
    batches = (
        BatchResult("a", "sent", "webservice", 2, (outbox(1, 2, created=10),), attempted_at=10),
        BatchResult("b", "sent", "webservice", 5, (outbox(2, 5, created=11),), attempted_at=11),
    )
    report = Report(
        "c", "", Path("c.yaml"), datetime.now(timezone.utc), batches, (), tuple(reported)
    )

    rows = operator_rows(report)

    assert [(r.name, r.counts.total) for r in rows] == [
        ("MCI (Hamrah-e Aval)", 1),
        ("other operators", 1),
        (NOT_REPORTED, 5),
    ]
    assert sum(r.counts.total for r in rows) == report.counts.total == 7


def test_batches_are_listed_in_the_order_they_were_sent(scenario: Scenario) -> None:
    # Sent in the same second: the outbox ids (the API's creation order) decide, not the keys.
    scenario.webservice("zzzz", phones(2))
    scenario.webservice("aaaa", phones(2, start=10))
    scenario.webservice("mmmm", phones(2, start=20))
    scenario.clock.advance(90)

    report = scenario.report()

    assert [b.key for b in report.batches] == ["zzzz", "aaaa", "mmmm"]
    text = render_markdown(report)
    assert text.index("| 1 | `zzzz`") < text.index("| 2 | `aaaa`") < text.index("| 3 | `mmmm`")


def test_every_outcome_is_explained_in_one_line(scenario: Scenario) -> None:
    scenario.webservice("k1", phones(3))
    scenario.clock.advance(90)

    html = render_html(scenario.report())

    for words in (
        "the operator confirmed that the phone received the message",
        "the recipient blocked advertising SMS by dialling *800#",
        "the operator could not deliver it",
        "no final delivery report yet",
    ):
        assert words in html
    assert html.count('<rect x="180"') >= 5  # funnel bars: recipients … blacklisted


def test_report_of_a_scheduled_campaign_tells_how_to_cancel_it(
    invoke: Invoke, in_repo: Path
) -> None:
    assert invoke("--sandbox", "--yes", "campaigns/yalda-1405.yaml").exit_code == 0

    result = invoke("report", "--sandbox", "campaigns/yalda-1405.yaml")

    assert result.exit_code == 0, result.output
    assert (
        "Scheduled: it goes out at 1405-09-30 18:00 Tehran (2026-12-21); until then its 4 "
        "outbox(es) wait (in review)."
    ) in result.stdout
    assert (
        "it can be cancelled until 1405-09-30 17:55 Tehran (2026-12-21), 5 minutes before: "
        "ippanel-run cancel --sandbox campaigns/yalda-1405.yaml"
    ) in result.stdout
    html = (in_repo / ".ippanel-sandbox/lockfiles/campaigns/yalda-1405.report.html").read_text(
        encoding="utf-8"
    )
    assert "<th>Scheduled for</th>" in html
    assert "<code>ippanel-run cancel --sandbox campaigns/yalda-1405.yaml</code>" in html
