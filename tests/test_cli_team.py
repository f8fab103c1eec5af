"""Team workflow features of the command line: saved plans, exit codes, test sends, reports."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from helpers import NOW, Invoke

from runner.sandbox import SandboxApp
from runner.sandbox.testing import FakeClock

WEBSERVICE = "examples/webservice/maintenance-notice.yaml"
PATTERN = "examples/pattern/login-code.yaml"


def in_sandbox(workdir: Path, name: str) -> Path:
    """Where a --sandbox run keeps the file ``name`` of the webservice example."""
    return workdir / ".ippanel-sandbox/lockfiles/examples/webservice" / name


def committed(workdir: Path) -> Counter[str]:
    store = SandboxApp(workdir / ".ippanel-sandbox", clock=lambda: NOW).store
    return Counter(m.recipient for m in store.committed_messages())


def test_detailed_exitcode_says_whether_anything_is_left(invoke: Invoke, workdir: Path) -> None:
    assert invoke("plan", "--detailed-exitcode", WEBSERVICE).exit_code == 4
    assert invoke("--sandbox", "--yes", WEBSERVICE).exit_code == 0
    assert invoke("plan", "--sandbox", "--detailed-exitcode", WEBSERVICE).exit_code == 0
    # A sandbox run is not a real send: a real apply would still send everything.
    assert invoke("plan", "--detailed-exitcode", WEBSERVICE).exit_code == 4
    broken = workdir / "broken.yaml"
    broken.write_text("version: 1\nname: x\n", encoding="utf-8")
    assert invoke("plan", "--detailed-exitcode", str(broken)).exit_code == 2


def test_saved_plan_sends_exactly_what_was_reviewed(invoke: Invoke, workdir: Path) -> None:
    saved = invoke("plan", "--out", "plan.json", WEBSERVICE)
    assert saved.exit_code == 0, saved.output
    reviewed = json.loads((workdir / "plan.json").read_text())
    keys = [b["key"] for b in reviewed["campaigns"][0]["batches"]]

    result = invoke("--sandbox", "--yes", "plan.json")
    assert result.exit_code == 0, result.output
    lock = json.loads(in_sandbox(workdir, "maintenance-notice.lock.json").read_text())
    assert list(lock["batches"]) == keys
    assert len(committed(workdir)) == 5


def test_stale_saved_plan_is_refused(invoke: Invoke, workdir: Path) -> None:
    assert invoke("plan", "--out", "plan.json", WEBSERVICE).exit_code == 0
    with (workdir / "examples/webservice/subscribers.txt").open("a") as more:
        more.write("09127777777\n")
    result = invoke("--sandbox", "--yes", "plan.json")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "error: examples/webservice/maintenance-notice.yaml: the saved plan is stale: "
        "subscribers.txt was edited since it was made. Nothing was sent; review a new plan "
        "(`ippanel-run plan --out`)"
    )
    assert committed(workdir) == Counter()


def test_saved_plan_is_refused_after_the_campaign_was_sent(invoke: Invoke, workdir: Path) -> None:
    assert invoke("plan", "--out", "plan.json", WEBSERVICE).exit_code == 0
    assert invoke("--sandbox", "--yes", WEBSERVICE).exit_code == 0
    result = invoke("--sandbox", "--yes", "plan.json")
    assert result.exit_code == 2
    assert "the lockfile changed (something was sent or settled since)" in result.stderr
    assert sum(committed(workdir).values()) == 5


def test_test_send_goes_only_to_the_given_numbers(invoke: Invoke, workdir: Path) -> None:
    result = invoke("--sandbox", "--yes", "--test-to", "0912 555 0000", WEBSERVICE)
    assert result.exit_code == 0, result.output
    assert "TEST SEND maintenance-notice → +989125550000" in result.stdout
    assert "not campaign progress" in result.stdout
    assert committed(workdir) == Counter({"+989125550000": 1})
    assert not (workdir / "examples/webservice/maintenance-notice.lock.json").exists()
    assert not in_sandbox(workdir, "maintenance-notice.lock.json").exists()


def test_test_send_of_a_pattern_uses_the_first_recipients_params(
    invoke: Invoke, workdir: Path
) -> None:
    result = invoke("--sandbox", "--yes", "--test-to", "+989125550000", PATTERN)
    assert result.exit_code == 0, result.output
    store = SandboxApp(workdir / ".ippanel-sandbox", clock=lambda: NOW).store
    (message,) = store.committed_messages()
    assert message.recipient == "+989125550000"
    assert "مریم" in message.text and "00077" in message.text


def test_apply_json_output_is_versioned(invoke: Invoke, workdir: Path) -> None:
    result = invoke("--sandbox", "--yes", "--format", "json", WEBSERVICE)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["format_version"] == 1
    (campaign,) = document["campaigns"]
    assert campaign["name"] == "maintenance-notice" and campaign["exit_code"] == 0
    assert campaign["sent"][0]["recipients"] == 5


def test_quiet_prints_only_the_summary(invoke: Invoke, workdir: Path) -> None:
    result = invoke("--sandbox", "--yes", "--quiet", WEBSERVICE)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        line for line in result.stdout.splitlines() if line.startswith("maintenance-notice:")
    ]


def test_progress_lines_in_logs(invoke: Invoke, workdir: Path) -> None:
    result = invoke("--sandbox", "--yes", WEBSERVICE)
    assert "[1/1] batch" in result.stderr and "sent: 5 recipient(s)" in result.stderr


def test_report_after_apply_writes_the_three_files(invoke: Invoke, workdir: Path) -> None:
    result = invoke("--sandbox", "--yes", "--report", WEBSERVICE)
    # The sandbox's clock is fixed in tests: batches are still in review, nothing failed.
    assert result.exit_code == 0, result.output
    for suffix in ("json", "md", "html"):
        assert in_sandbox(workdir, f"maintenance-notice.report.{suffix}").exists()
        assert not (workdir / f"examples/webservice/maintenance-notice.report.{suffix}").exists()
    assert "in review" in result.stdout.lower()


def test_report_without_a_lockfile_says_to_send_first(invoke: Invoke, workdir: Path) -> None:
    result = invoke("report", "--sandbox", WEBSERVICE)
    assert result.exit_code == 2
    assert "send first" in result.stderr


def test_implied_apply_and_help(invoke: Invoke) -> None:
    help_text = invoke("--help").stdout
    assert "validate" in help_text and "plan" in help_text and "report" in help_text
    assert invoke("apply", "--help").exit_code == 0


def test_apply_then_watch_waits_for_final_states(
    invoke: Invoke, workdir: Path, clock: FakeClock
) -> None:
    result = invoke("--sandbox", "--yes", "--watch", WEBSERVICE)
    assert result.exit_code == 0, result.output
    assert "not final yet; checking again in 30 s" in result.stderr
    assert clock.sleeps and all(s == 30.0 for s in clock.sleeps)  # fake time, no real waiting
    report = json.loads(in_sandbox(workdir, "maintenance-notice.report.json").read_text())
    assert report["totals"]["pending"] == 0
    assert "still in progress" not in result.stdout


def test_resolve_records_what_a_person_found(invoke: Invoke, workdir: Path) -> None:
    SandboxApp(workdir / ".ippanel-sandbox", clock=lambda: NOW).faults.add("drop_after_commit")
    assert invoke("--sandbox", "--yes", WEBSERVICE).exit_code == 1
    lock_path = in_sandbox(workdir, "maintenance-notice.lock.json")
    (key,) = json.loads(lock_path.read_text())["batches"]
    store = SandboxApp(workdir / ".ippanel-sandbox", clock=lambda: NOW).store
    outbox_id = store.committed_messages()[0].outbox_id

    result = invoke("resolve", "--sandbox", WEBSERVICE, key, "--sent", str(outbox_id))
    assert result.exit_code == 0, result.output
    batch = json.loads(lock_path.read_text())["batches"][key]
    assert batch["state"] == "sent" and batch["outbox_ids"] == [outbox_id]
    assert invoke("plan", "--sandbox", "--detailed-exitcode", WEBSERVICE).exit_code == 0
    assert sum(committed(workdir).values()) == 5

    wrong = invoke("resolve", "--sandbox", WEBSERVICE, "ffffffffffffffff", "--not-sent")
    assert wrong.exit_code == 2 and "has no batch ffffffffffffffff" in wrong.stderr


def test_plan_online_shows_credit_and_estimate_without_sending(
    invoke: Invoke, workdir: Path
) -> None:
    result = invoke("plan", "--sandbox", WEBSERVICE)
    assert result.exit_code == 0, result.output
    assert "maintenance-notice: Credit: 1,000,000,000 Rials" in result.stdout
    # 5 recipients × one GSM-7 part; 3 of them MCI (0912, 0919), 2 Irancell (0935)
    # Quoted with the operator's لغو11: the English text becomes two UCS-2 parts.
    assert "maintenance-notice: Estimated cost: 13,832 Rials" in result.stdout
    assert committed(workdir) == Counter()
    assert invoke("--dry-run", WEBSERVICE).exit_code == 0
