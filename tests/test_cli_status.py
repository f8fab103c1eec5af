"""``ippanel-run status``: one row per campaign, in each state a campaign can be in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import Invoke

from runner.api.client import in_process_transport
from runner.cli import AppContext, cli
from runner.sandbox import DEMO_API_KEY, IN_PROCESS_BASE_URL, SandboxApp
from runner.sandbox.testing import FakeClock


def write(root: Path, name: str, *, extra: str = "", more: str = "") -> str:
    """A webservice campaign in campaigns/ to three numbers of its own (the sandbox answers
    429 to an identical request within 40 s); its path as the CLI is given it."""
    n = f"{ord(name[0]) % 100:02d}"
    numbers = f'["+98912{n}10000", "+98935{n}20000", "+98912{n}30000"{more}]'
    path = root / "campaigns" / f"{name}.yaml"
    path.write_text(
        f"version: 1\nname: {name}\ntype: webservice\nsender: '+983000505'\n"
        f"message: سلام\nrecipients: {numbers}\n{extra}",
        encoding="utf-8",
    )
    return f"campaigns/{name}.yaml"


@pytest.fixture
def api(in_repo: Path, clock: FakeClock, home: Path) -> Invoke:
    """The CLI with the in-process sandbox as its API (not --sandbox): lockfiles and reports
    land beside the campaigns, where ``status`` reads them offline."""
    app = SandboxApp(in_repo / ".ippanel-sandbox", clock=clock)
    env = {
        "HOME": str(home),
        "IPPANEL_CONFIG_DIR": str(home / ".config" / "ippanel-run"),
        "IPPANEL_API_KEY": DEMO_API_KEY,
        "IPPANEL_BASE_URL": IN_PROCESS_BASE_URL,
    }

    def run(*args: str) -> Result:
        context = AppContext(
            now=clock.now, sleep=clock.sleep, env=env, transport=in_process_transport(app)
        )
        return CliRunner().invoke(cli, list(args), obj=context, catch_exceptions=False)

    return run


def by_name(invoke: Invoke, *args: str) -> dict[str, dict[str, object]]:
    result = invoke("status", "--format", "json", *args)
    document = json.loads(result.stdout)
    assert document["format_version"] == 1
    return {row["name"]: row for row in document["campaigns"]}


def test_status_shows_every_state_in_one_table(
    invoke: Invoke, api: Invoke, in_repo: Path, clock: FakeClock
) -> None:
    sent = write(in_repo, "a-sent")
    assert api("--yes", sent).exit_code == 0
    write(in_repo, "b-draft")
    (in_repo / "campaigns/c-broken.yaml").write_text("version: 1\nname: c-broken\n")
    lost = write(in_repo, "d-lost")
    SandboxApp(in_repo / ".ippanel-sandbox", clock=clock).faults.add("drop_after_commit", count=1)
    assert api("--yes", lost).exit_code == 1
    more = write(in_repo, "e-more")
    assert api("--yes", more).exit_code == 0
    write(in_repo, "e-more", more=', "+989127770000"')
    later = write(in_repo, "f-cancelled", extra="schedule: {at: '2026-12-01 10:00'}\n")
    assert api("--yes", later).exit_code == 0
    assert api("cancel", later).exit_code == 0
    assert api("--yes", "campaigns/yalda-1405.yaml").exit_code == 0
    clock.advance(120)  # the immediate sends leave review and go out
    assert api("report", sent).exit_code == 0

    result = invoke("status")

    assert result.exit_code == 1  # d-lost needs attention
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "CAMPAIGN", "TYPE", "STATE", "RECIPIENTS", "SENT", "DELIVERED", "COST", "(RIAL)",
        "LAST", "REPORT", "(TEHRAN)",
    ]  # fmt: skip
    rows = {line.split()[0]: line for line in lines[1:8]}
    assert rows["a-sent"].split() == [
        "a-sent", "webservice", "sent", "3", "3", "100.0%", "4,123", "1405-09-05", "15:32",
    ]  # fmt: skip
    assert rows["b-draft"].split()[2:6] == ["not", "sent", "3", "0"]
    assert rows["c-broken"].split()[1:3] == ["–", "invalid"]
    assert rows["d-lost"].split()[2:4] == ["needs", "attention"]
    assert rows["e-more"].split()[2:6] == ["partly", "sent", "4", "3"]
    assert rows["f-cancelled"].split()[2:5] == ["cancelled", "3", "0"]
    assert "scheduled for 1405-09-30 18:00 Tehran (2026-12-21)" in rows["yalda-1405"]
    notes = "\n".join(lines[8:])
    assert "d-lost: 1 batch(es) may or may not have gone out" in notes
    assert "e-more: 1 recipient(s) left: apply the campaign again" in notes
    assert "c-broken: campaigns/c-broken.yaml:1:1: missing required key 'type'" in notes


def test_json_gives_scripts_every_column(
    invoke: Invoke, api: Invoke, in_repo: Path, clock: FakeClock
) -> None:
    assert api("--yes", "campaigns/yalda-1405.yaml").exit_code == 0

    rows = by_name(invoke)

    assert rows["yalda-1405"] == {
        "file": "campaigns/yalda-1405.yaml",
        "name": "yalda-1405",
        "type": "peer_to_peer",
        "state": "scheduled",
        "state_text": "scheduled for 1405-09-30 18:00 Tehran (2026-12-21)",
        "scheduled_for": {
            "utc": "2026-12-21 14:30 UTC",
            "tehran": "2026-12-21 18:00 (Asia/Tehran)",
            "jalali": "1405-09-30 18:00 (Asia/Tehran)",
        },
        "recipients": 4,
        "sent": 4,
        "delivered": None,
        "delivered_percent": None,
        "cost": None,
        "last_report": None,
        "notes": [],
    }


def test_online_refreshes_the_reports_first(
    invoke: Invoke, api: Invoke, in_repo: Path, clock: FakeClock
) -> None:
    sent = write(in_repo, "a-sent")
    assert api("--yes", sent).exit_code == 0
    assert by_name(invoke)["a-sent"]["state"] == "sent"  # no report: what the lockfile says
    assert api("status", "--online").exit_code == 0
    assert (in_repo / "campaigns/a-sent.report.json").exists()
    assert by_name(invoke)["a-sent"]["state"] == "sending"  # the report: still in review

    clock.advance(120)
    rows = by_name(api, "--online")

    assert rows["a-sent"]["state"] == "sent"
    assert rows["a-sent"]["delivered_percent"] == 100.0
    assert rows["a-sent"]["last_report"] == "2026-11-26T12:02:00Z"


def test_sandbox_status_shows_the_sandboxs_own_lockfiles(
    invoke: Invoke, in_repo: Path, clock: FakeClock
) -> None:
    sent = write(in_repo, "a-sent")
    assert invoke("--sandbox", "--yes", sent).exit_code == 0
    assert by_name(invoke)["a-sent"]["state"] == "not sent"  # nothing real went out
    assert by_name(invoke, "--sandbox")["a-sent"]["state"] == "sending"  # in the sandbox's review
    assert (in_repo / ".ippanel-sandbox/lockfiles/campaigns/a-sent.report.json").exists()
    assert not (in_repo / "campaigns/a-sent.report.json").exists()


def test_status_of_a_missing_folder_is_a_usage_error(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("status", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "does not exist; name the folder that holds your campaigns" in result.stderr


def test_status_help_has_examples(invoke: Invoke) -> None:
    assert "Examples:\n    ippanel-run status\n" in invoke("status", "--help").stdout


def test_a_postal_code_campaign_counts_the_numbers_it_targets(
    invoke: Invoke, in_repo: Path
) -> None:
    """Status counts recipients as the plan does: the bank's numbers plus those listed."""
    example = next((in_repo / "examples" / "postal_code").glob("*.yaml"))
    (in_repo / "campaigns" / example.name).write_bytes(example.read_bytes())
    plan = invoke("plan", "--format", "json", f"campaigns/{example.name}")
    summary = json.loads(plan.stdout)["campaigns"][0]["summary"]
    assert summary["targeted"] > 0

    row = next(r for r in by_name(invoke).values() if r["file"] == f"campaigns/{example.name}")

    assert row["recipients"] == summary["recipients"]
    assert row["state"] == "not sent"
