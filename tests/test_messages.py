"""Every message a newcomer can act on at once (issue 14): each row of its table, as a user sees it.

The campaign-file mistakes are data: ``tests/data/messages/<case>.yaml`` must make
``ippanel-run validate`` print exactly ``<case>.expected``. The rest (a stale saved
plan, a damaged lockfile, the confirmation prompt, an edited campaign already sent)
need a run first and are tests of their own below.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import REPO, Invoke

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
