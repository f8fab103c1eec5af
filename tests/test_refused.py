"""Campaigns that would cost money for nothing are refused by validate, plan and apply alike.

Data-driven: every ``tests/data/refused/*.yaml`` (with its data files) must make each
command exit 2 with exactly the lines of the ``.expected`` file beside it, naming the
file and line, without a traceback, and apply must not make a single API request.
``UPDATE_GOLDEN=1`` rewrites the ``.expected`` files (review the diff).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from helpers import NOW, REPO

from runner.cli import AppContext, cli

DATA = REPO / "tests" / "data" / "refused"
CASES = sorted(DATA.glob("*.yaml"))
COMMANDS = {
    "validate": ["validate"],
    "plan": ["plan"],
    "apply": ["apply", "--yes"],
    "implied apply": ["--yes"],
}


@pytest.fixture
def refused_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # A copy: apply takes a file lock beside the campaign, which must not litter tests/data.
    shutil.copytree(DATA, tmp_path / "refused")
    monkeypatch.chdir(tmp_path / "refused")
    return tmp_path / "refused"


def run(args: list[str], requests: list[httpx.Request], home: Path) -> Result:
    def api(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(500)

    env = {"IPPANEL_API_KEY": "test-key", "IPPANEL_CONFIG_DIR": str(home / "config")}
    app = AppContext(now=lambda: NOW, env=env, transport=httpx.MockTransport(api))
    return CliRunner().invoke(cli, args, obj=app, catch_exceptions=False)


def test_there_is_a_refused_case_for_every_rule() -> None:
    assert {path.stem for path in CASES} >= {
        "foreign_inline",
        "foreign_in_csv",
        "foreign_in_txt",
        "postal_over_a_million",
        "postal_without_operators",
        "postal_over_max_recipients",
        "over_max_recipients",
        "schedule_at_night",
        "schedule_outside_send_hours",
        "send_hours_malformed",
        "send_hours_empty_window",
        "too_many_parts_with_suffix",
    }


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_each_command_refuses_the_case_naming_file_and_line_and_sends_nothing(
    case: Path, command: str, refused_dir: Path, home: Path
) -> None:
    requests: list[httpx.Request] = []
    result = run([*COMMANDS[command], case.name], requests, home)
    expected_path = case.with_suffix(".expected")
    if os.environ.get("UPDATE_GOLDEN") == "1" and command == "validate":
        expected_path.write_text(result.stderr, encoding="utf-8")
    assert result.exit_code == 2, result.output
    assert result.stderr == _as_said_by(command, expected_path.read_text(encoding="utf-8"))
    assert "Traceback" not in result.output
    assert requests == []
    assert not list(refused_dir.glob("*.lock.json"))


def _as_said_by(command: str, expected: str) -> str:
    """The ``.expected`` lines (validate's) with the last line as ``command`` ends it.

    validate and plan never send: they say what to do; apply says nothing was sent.
    """
    if command == "plan":
        return expected.replace("run validate again", "run plan again")
    if command.endswith("apply"):
        return re.sub(
            r"; fix (it|them) and run validate again\n$", "; nothing was sent\n", expected
        )
    return expected
