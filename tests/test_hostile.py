"""Hostile and mistaken campaigns are refused before anything is sent (issue 11).

Each case in ``tests/data/hostile/refused`` (see ``hostile.py``) runs through the
CLI against the in-process sandbox: exit code 2, exactly the expected messages
(file and line named, values quoted as short excerpts), no traceback, no secret
from outside the repository, and an empty sandbox outbox. The bombs run under
``tracemalloc``: what they allocate at peak must stay under 200 MB (process RSS
and times are in ``benchmarks/bench_hostile.py``).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from helpers import NOW, Invoke
from hostile import CASES, REFUSED, SECRET, is_bomb, make_repository, run_case

from runner.cli import AppContext
from runner.sandbox import SandboxApp
from runner.sandbox.testing import FakeClock

MAX_LINE = 400
# How much a bomb may grow the process's memory (over what earlier tests left: a test
# that named a foreign number's country loaded phonenumbers' ~90 MB geocoder already).
GROWTH_MB = 140


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repository(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("case", CASES)
def test_hostile_campaign_is_refused_and_nothing_is_sent(
    case: str, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSTILE_SECRET", SECRET)  # what /proc/self/environ would show
    clock = FakeClock(NOW)
    app = AppContext(now=clock.now, sleep=clock.sleep, env={"IPPANEL_API_KEY": SECRET})
    measured = is_bomb(case, repo) and _reset_peak_rss()
    before = _rss_mb()
    result = run_case(case, repo, app)
    if measured:
        assert _peak_rss_mb() - before < GROWTH_MB
    expected = (REFUSED / f"{case}.expected").read_text(encoding="utf-8")
    assert result.exit_code == 2, result.output
    assert result.stderr == expected
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert SECRET not in result.output
    assert max(map(len, result.output.splitlines())) <= MAX_LINE
    outbox = SandboxApp(repo / ".ippanel-sandbox", clock=clock.now).store.committed_messages()
    assert outbox == []


def test_every_case_has_its_campaign_or_makes_it() -> None:
    made = set(json.loads((REFUSED / "files.json").read_text(encoding="utf-8")))
    assert len(CASES) >= 50
    assert all((REFUSED / f"{c}.yaml").is_file() or f"{c}.yaml" in made for c in CASES)


def _reset_peak_rss() -> bool:
    """Reset this process's peak RSS (VmHWM); False where Linux's clear_refs is missing."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def _peak_rss_mb() -> float:
    return _status_mb("VmHWM")


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _status_mb(field: str) -> float:
    status = Path("/proc/self/status").read_text(encoding="ascii")
    found = re.search(field + r":\s+(\d+) kB", status)
    assert found is not None
    return int(found.group(1)) / 1024


def test_several_campaigns_end_with_a_line_saying_what_was_sent_and_what_was_not(
    repo: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    result = invoke(
        "--sandbox", "--yes", "campaigns/cli_unknown_word.yaml", "campaigns/file_dotdot.yaml"
    )
    assert result.exit_code == 2
    assert "error: 1 problem; campaigns/file_dotdot.yaml was not sent" in result.stderr
    assert "nothing was sent" not in result.stderr.replace("nothing real is sent", "")
    assert result.stderr.splitlines()[-1] == (
        "summary: sent hostile (1 batch(es)); "
        "not sent (see the errors above): campaigns/file_dotdot.yaml"
    )
    store = SandboxApp(repo / ".ippanel-sandbox", clock=lambda: NOW).store
    assert [m.recipient for m in store.committed_messages()] == ["+989120000000"]


def test_options_with_values_before_a_campaign_still_mean_apply(
    repo: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    result = invoke("--format", "json", "--dry-run", "campaigns/cli_missing_path.yaml")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["campaigns"][0]["name"] == "hostile"


def test_a_folder_lists_only_regular_campaign_files_inside_its_repository(
    tmp_path: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    folder = tmp_path / "repo" / "campaigns"
    folder.mkdir()
    campaign = "version: 1\nname: ok\ntype: webservice\nsender: '+983000505'\nmessage: Hi\n"
    (folder / "ok.yaml").write_text(campaign + "recipients: ['09120000000']\n", encoding="utf-8")
    (tmp_path / "elsewhere.yaml").write_text(campaign + "recipients: [1]\n", encoding="utf-8")
    (folder / "zero.yaml").symlink_to("/dev/zero")
    (folder / "away.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    os.mkfifo(folder / "pipe.yaml")
    monkeypatch.chdir(tmp_path / "repo")
    result = invoke("validate", "campaigns")
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok: campaigns/ok.yaml (webservice, 1 recipients)\n"


def test_a_campaign_that_is_not_a_regular_file_is_refused_unread(
    tmp_path: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    monkeypatch.chdir(tmp_path)
    result = invoke("validate", "pipe.yaml")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "pipe.yaml: not a regular file (a device, pipe or folder); give a campaign file"
    )
