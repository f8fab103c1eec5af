"""Every error becomes its exit code in one place: 2 the user's, 1 the world's, 3 our own bug."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from helpers import Invoke

import runner.lockfile
from runner.cli import plans


def _break_the_planner(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("planner-internal")

    monkeypatch.setattr(plans, "plan_all", broken)


def test_a_bug_exits_3_and_says_how_to_report_it(
    invoke: Invoke, in_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _break_the_planner(monkeypatch)
    result = invoke("plan", "campaigns/yalda-1405.yaml")
    assert result.exit_code == 3
    assert "this is a bug in ippanel-run (KeyError: 'planner-internal')" in result.stderr
    assert "--debug" in result.stderr
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback_of_a_bug(
    invoke: Invoke, in_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _break_the_planner(monkeypatch)
    result = invoke("plan", "--debug", "campaigns/yalda-1405.yaml")
    assert result.exit_code == 3
    assert "Traceback (most recent call last)" in result.stderr


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.ENOSPC, "No space left on device"),
        (errno.EROFS, "Read-only file system"),
        (errno.EACCES, "Permission denied"),
    ],
    ids=["full disk", "read-only file system", "read-only folder"],
)
def test_a_full_disk_or_read_only_folder_exits_1_naming_the_file_and_what_to_do(
    invoke: Invoke, workdir: Path, monkeypatch: pytest.MonkeyPatch, code: int, reason: str
) -> None:
    def refused(path: Path, text: str, **kwargs: object) -> None:
        raise (PermissionError if code == errno.EACCES else OSError)(code, reason, str(path))

    monkeypatch.setattr(runner.lockfile, "write_atomic", refused)
    result = invoke("--sandbox", "--yes", "examples/webservice/maintenance-notice.yaml")
    assert result.exit_code == 1
    lockfile = ".ippanel-sandbox/lockfiles/examples/webservice/maintenance-notice.lock.json"
    assert f"{lockfile}: {reason}; check that the folder exists" in result.stderr
    assert "Traceback" not in result.output
    # The journal keeps the outbox ids the lockfile could not take.
    assert Path(lockfile + ".journal").read_text(encoding="utf-8").count('"sent"') == 1
