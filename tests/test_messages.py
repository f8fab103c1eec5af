"""Every message a newcomer can act on at once (issue 14): each row of its table, as a user sees it.

The campaign-file mistakes are data: ``tests/data/messages/<case>.yaml`` must make
``ippanel-run validate`` print exactly ``<case>.expected``. The rest (a stale saved
plan, a damaged lockfile, the confirmation prompt, an edited campaign already sent)
need a run first and are tests of their own below.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import REPO, Invoke, in_sandbox

from runner.cli import AppContext, cli
from runner.sandbox.testing import FakeClock

MESSAGES = REPO / "tests" / "data" / "messages"
CASES = sorted(path.stem for path in MESSAGES.glob("*.yaml"))


@pytest.mark.parametrize("case", CASES)
def test_a_mistake_in_a_campaign_file_gets_a_message_that_says_what_to_do(
    case: str, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(MESSAGES)
    result = invoke("validate", f"{case}.yaml")
    assert result.exit_code == 2
    assert result.stderr == (MESSAGES / f"{case}.expected").read_text(encoding="utf-8")
    assert "nothing was sent" not in result.stderr  # validate never sends


def test_every_row_of_the_campaign_file_table_is_a_case() -> None:
    assert set(CASES) >= {
        "jalali_year_without_calendar",
        "template_name_typo",
        "key_typo",
        "wrong_indentation",
        "schedule_in_words",
        "every_problem_at_once",
        "phone_column",
    }


def test_the_plan_says_what_to_fix_too_and_apply_that_nothing_was_sent(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(MESSAGES, tmp_path / "messages")
    monkeypatch.chdir(tmp_path / "messages")
    planned = invoke("plan", "key_typo.yaml")
    assert planned.stderr.splitlines()[-1] == "error: 1 problem; fix it and run plan again"
    applied = invoke("--sandbox", "--yes", "key_typo.yaml")
    assert applied.stderr.splitlines()[-1] == "error: 1 problem; nothing was sent"


def test_an_edited_campaign_already_sent_shows_what_changed_like_terraform_plan(
    invoke: Invoke, workdir: Path
) -> None:
    campaign = workdir / "examples/peer_to_peer/nowruz-discount.yaml"
    assert invoke("--sandbox", "--yes", str(campaign)).exit_code == 0
    text = campaign.read_text(encoding="utf-8")
    campaign.write_text(text.replace("نوروز مبارک", "نوروزتان مبارک"), encoding="utf-8")
    customers = workdir / "examples/peer_to_peer/customers.csv"
    rows = customers.read_text(encoding="utf-8").splitlines()
    ali = next(row for row in rows if row.startswith("0098 935"))
    kept = [row for row in rows if row != ali] + ["09125550001,Sam,Tehran"]
    customers.write_text("\n".join(kept) + "\n", encoding="utf-8")

    plan = invoke("plan", "--sandbox", str(campaign))  # the sandbox's own lockfile
    assert plan.exit_code == 0, plan.output
    changes = plan.stdout.split("  Since it was sent:\n")[1].split("\n\n")[0]
    assert changes.splitlines() == [
        "    ~ text        changed: 3 recipient(s) who got the earlier text are left out, not "
        "sent this one",
        "    + recipients  1 new: they get this campaign",
        "    - recipients  1 no longer in the campaign: they already got it (nothing is taken "
        "back)",
    ]
    summary = json.loads(invoke("plan", "--sandbox", "--format", "json", str(campaign)).stdout)
    assert summary["campaigns"][0]["summary"]["changes"] == {
        "text_changed": 3,
        "added": 1,
        "removed": 1,
    }


def test_the_confirmation_is_asked_on_the_terminal_while_the_plan_goes_to_stdout(
    workdir: Path, clock: FakeClock
) -> None:
    app = AppContext(now=clock.now, sleep=clock.sleep, env={}, interactive=lambda: True)
    campaign = "examples/webservice/maintenance-notice.yaml"
    result = CliRunner().invoke(cli, ["--sandbox", campaign], obj=app, input="n\n")
    assert result.exit_code == 2
    assert "Send maintenance-notice now (1 batch(es))? [y/N]: n" in result.stderr
    assert "Send maintenance-notice" not in result.stdout
    assert result.stdout.startswith("Campaign maintenance-notice (")
    assert "not confirmed; nothing was sent" in result.stderr


WEBSERVICE = "examples/webservice/maintenance-notice.yaml"


def test_a_lockfile_with_merge_conflict_markers_says_how_to_merge_it(
    invoke: Invoke, workdir: Path
) -> None:
    assert invoke("--sandbox", "--yes", WEBSERVICE).exit_code == 0
    lock = in_sandbox(workdir, WEBSERVICE, ".lock.json")
    lines = lock.read_text(encoding="utf-8").splitlines()
    merged = [*lines[:3], "<<<<<<< HEAD", *lines[3:5], "=======", *lines[3:5], ">>>>>>> b"]
    lock.write_text("\n".join([*merged, *lines[5:]]) + "\n", encoding="utf-8")
    result = invoke("plan", "--sandbox", WEBSERVICE)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-2] == (
        ".ippanel-sandbox/lockfiles/examples/webservice/maintenance-notice.lock.json:4:1: "
        "git merge conflict markers: two "
        "branches both recorded sends. Resolve the merge keeping the batches of both sides (each "
        'is one key under "batches"), then run again; nothing is sent until then'
    )


def test_a_damaged_lockfile_gets_advice_that_cannot_lead_to_a_double_send(
    invoke: Invoke, workdir: Path
) -> None:
    lock = workdir / "examples/webservice/maintenance-notice.lock.json"
    lock.write_text('{"format": "ippanel-run lockfile", "batches": ', encoding="utf-8")
    result = invoke("plan", WEBSERVICE)
    assert result.exit_code == 2
    message = result.stderr.splitlines()[-2]
    assert message.startswith(
        "examples/webservice/maintenance-notice.lock.json: not readable JSON ("
    )
    assert message.endswith(
        "nothing is sent until it is readable. Keep the file: it records what already went out. "
        "Restore it from "
        "git (git checkout -- examples/webservice/maintenance-notice.lock.json, or the copy CI "
        "committed); if no copy is left, compare the account's outbox (IPPanel panel, Reports) "
        "with the campaign before sending again"
    )
    assert "move" not in message and "delete" not in message
