"""Output that agrees with itself across commands and runs (issue 14, "Output consistency")."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import Invoke, in_sandbox

WEBSERVICE = "examples/webservice/maintenance-notice.yaml"
P2P = "examples/peer_to_peer/nowruz-discount.yaml"


def test_plan_online_and_apply_print_the_credit_and_estimate_alike(
    invoke: Invoke, workdir: Path
) -> None:
    def money_lines(text: str) -> list[str]:
        return [line for line in text.splitlines() if ": Credit:" in line or "Estimated" in line]

    planned = invoke("plan", "--sandbox", WEBSERVICE)
    applied = invoke("--sandbox", "--yes", WEBSERVICE)
    assert planned.exit_code == applied.exit_code == 0, planned.output + applied.output
    expected = [
        "maintenance-notice: Credit: 1,000,000,000 Rials",
        "maintenance-notice: Estimated cost: 13,832 Rials (charged at send time)",
    ]
    assert money_lines(planned.stdout) == money_lines(applied.stdout) == expected


def test_reports_say_rials_as_apply_does(invoke: Invoke, workdir: Path) -> None:
    applied = invoke("--sandbox", "--yes", "--report", WEBSERVICE)
    assert applied.exit_code == 0, applied.output
    assert "Rials" in applied.stdout and " Rial " not in applied.stdout
    report = in_sandbox(workdir, WEBSERVICE, ".report.md").read_text(encoding="utf-8")
    assert "Cost (Rials)" in report and "Rial " not in report.replace("Rials", "")


def test_a_rerun_of_an_unchanged_campaign_does_not_invent_counts(
    invoke: Invoke, workdir: Path
) -> None:
    first = invoke("plan", "--sandbox", WEBSERVICE).stdout
    assert "recipients  5 (read 7: 1 duplicate(s), 1 excluded, 0 invalid skipped)" in first
    assert invoke("--sandbox", "--yes", WEBSERVICE).exit_code == 0
    rerun = invoke("plan", "--sandbox", WEBSERVICE)
    assert (
        "recipients  5 (all already sent; the campaign and its files are unchanged since, so "
        "they were not read again)"
    ) in rerun.stdout
    summary = json.loads(invoke("plan", "--sandbox", "--format", "json", WEBSERVICE).stdout)
    counts = summary["campaigns"][0]["summary"]
    assert (counts["recipients"], counts["already_sent"], counts["read"]) == (5, 5, None)


def test_apply_of_a_saved_plan_prints_paths_as_everything_else_does(
    invoke: Invoke, workdir: Path
) -> None:
    assert invoke("plan", "--out", "plan.json", WEBSERVICE).exit_code == 0
    result = invoke("--sandbox", "--yes", "--format", "json", "plan.json")
    assert result.exit_code == 0, result.output
    (campaign,) = json.loads(result.stdout)["campaigns"]
    assert campaign["file"] == WEBSERVICE
    assert campaign["lockfile"] == str(in_sandbox(Path(), WEBSERVICE, ".lock.json"))


def test_no_apply_lock_file_is_left_behind(invoke: Invoke, workdir: Path) -> None:
    assert invoke("--sandbox", "--yes", WEBSERVICE).exit_code == 0
    lock = in_sandbox(workdir, WEBSERVICE, ".lock.json")
    assert lock.exists()
    assert [p.name for p in workdir.rglob("*apply-lock")] == []


def test_a_test_send_shows_the_message_it_sent(invoke: Invoke, workdir: Path) -> None:
    result = invoke("--sandbox", "--yes", "--test-to", "09120000000", WEBSERVICE)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == [
        "  │ Our service will be down for maintenance on Friday, 02:00-04:00 Tehran time.",
        "  │ Thank you for your patience.",
    ]
