"""`ippanel-run plan` / `--dry-run` / `validate` through the command line, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import EXAMPLES, REPO, Invoke, check_golden

EXAMPLE_FILES = sorted(EXAMPLES.glob("*/*.yaml"))


def test_every_sending_type_has_an_example() -> None:
    kinds = {p.parent.name for p in EXAMPLE_FILES}
    assert kinds == {
        "normal",
        "webservice",
        "file",
        "peer_to_peer",
        "peer_to_peer_file",
        "postal_code",
        "pattern",
        "votp",
    }


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.parent.name)
def test_json_plan_of_each_example_matches_golden(
    example: Path, invoke: Invoke, in_repo: Path
) -> None:
    result = invoke("plan", "--format", "json", str(example.relative_to(REPO)))
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # valid JSON, whatever the golden says
    check_golden(f"{example.parent.name}.plan.json", result.stdout)


def test_json_plan_has_the_documented_shape(invoke: Invoke, in_repo: Path) -> None:
    result = invoke("plan", "--format", "json", "examples/webservice/maintenance-notice.yaml")
    plan = json.loads(result.stdout)
    (campaign,) = plan["campaigns"]
    assert plan["format_version"] == 1
    assert set(campaign) == {"name", "file", "lockfile", "summary", "batches"}
    assert campaign["lockfile"] == "examples/webservice/maintenance-notice.lock.json"
    (batch,) = campaign["batches"]
    assert set(batch) == {"key", "action", "sending_type", "recipients", "request"}
    assert batch["action"] == "send"
    assert batch["request"]["params"]["recipients"] == [
        "+989120000000",
        "+989351112222",
        "+989123334455",
        "+989351234567",
        "+989198765432",
    ]
    assert campaign["summary"]["duplicates"] == 1
    assert campaign["summary"]["excluded"] == 1


def test_dry_run_is_the_same_as_plan(invoke: Invoke, in_repo: Path) -> None:
    path = "examples/peer_to_peer/nowruz-discount.yaml"
    assert invoke("--dry-run", path).stdout == invoke("plan", path).stdout


def test_text_plan_reads_like_terraform_plan(invoke: Invoke, in_repo: Path) -> None:
    result = invoke("plan", "campaigns/yalda-1405.yaml")
    assert result.exit_code == 0, result.output
    check_golden("yalda-1405.plan.txt", result.stdout)
    assert "2026-12-21 14:30 UTC · 2026-12-21 18:00 (Asia/Tehran)" in result.stdout
    assert "Solar Hijri 1405-09-30 18:00" in result.stdout


def test_markdown_plan_for_pull_requests(invoke: Invoke, in_repo: Path) -> None:
    result = invoke("plan", "--format", "markdown", "campaigns/yalda-1405.yaml")
    assert result.exit_code == 0, result.output
    check_golden("yalda-1405.plan.md", result.stdout)


def test_validate_folders_checks_every_campaign(invoke: Invoke, in_repo: Path) -> None:
    result = invoke("validate", "examples", "campaigns")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("ok: ") == len(EXAMPLE_FILES) + 1


def test_validate_reports_every_problem_in_every_file(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        'version: 1\nname: a\ntype: webservice\nsender: "+983000505"\nmesage: hi\n'
        'recipients: ["0912"]\n',
        encoding="utf-8",
    )
    (tmp_path / "b.yaml").write_text(
        "version: 1\nname: b\ntype: webservice\nsender: '+983000505'\nmessage: '{{ x'\n"
        "recipients: ['09120000001']\n",
        encoding="utf-8",
    )
    result = invoke("validate", str(tmp_path))
    assert result.exit_code == 2
    assert "a.yaml:5:1: unknown key 'mesage' (did you mean 'message'?)" in result.stderr
    assert "b.yaml:5:10: message: template syntax error" in result.stderr
    assert result.stderr.endswith("error: 3 problems; fix them and run validate again\n")
    assert "nothing was sent" not in result.stderr  # validate never sends


def test_invalid_number_names_file_and_row(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("phone,name\n09120000001,a\n0912345,b\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text(
        'version: 1\nname: c\ntype: webservice\nsender: "+983000505"\nmessage: hi\n'
        "recipients: [{file: c.csv}]\n",
        encoding="utf-8",
    )
    result = invoke("plan", str(tmp_path / "c.yaml"))
    assert result.exit_code == 2
    assert "c.csv:3:" in result.stderr and "0912345" in result.stderr

    skipped = invoke("plan", "--skip-invalid", str(tmp_path / "c.yaml"))
    assert skipped.exit_code == 0
    assert "warning: skipped" in skipped.stderr and "0912345" in skipped.stderr
    assert "1 invalid skipped" in skipped.stdout


def test_no_traceback_for_a_missing_file(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("plan", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "nope.yaml" in result.stderr


def test_schema_command_prints_the_campaign_schema(invoke: Invoke) -> None:
    result = invoke("schema")
    assert json.loads(result.stdout)["$id"].endswith("campaign.schema.json")
