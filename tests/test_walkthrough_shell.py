"""The README's team walkthrough, pasted into a shell step by step in a fresh clone (issue 14).

The commands are read from the README (each step's code spans and ``sh`` blocks) and
run with bash in a fresh copy of the repository that is a git repository, through a
``.venv/bin/ippanel-run`` that runs this checkout: the real clock, real processes, a
real sandbox server. Where the README says to answer ``y``, the step gets a terminal
(a pty) and types ``y``. Only the sandbox server's port is changed, to a free one.

It runs real processes on real time (about 8 s); ``test_walkthrough.py`` checks the
same steps' output in-process with a fake clock.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jdatetime
import pytest
from helpers import REPO, copy_checkout

from runner.schedule import TEHRAN, tz

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (shutil.which("bash") and shutil.which("git") and shutil.which("curl")),
        reason="the walkthrough is pasted into bash and uses git and curl",
    ),
]

SECTION = (
    (REPO / "README.md")
    .read_text(encoding="utf-8")
    .split("## Using ippanel-run in a team")[1]
    .split("For pull requests and merges")[0]
)
CODE = re.compile(r"```sh\n(.*?)```|`([^`\n]+)`", re.S)
README_PORT = "8585"


@dataclass(frozen=True)
class Step:
    """One command as the README writes it, and how a person would run it."""

    command: str
    answer_yes: bool = False
    background: bool = False


def steps() -> list[Step]:
    """Every shell command of the walkthrough, in order."""
    found = []
    for match in CODE.finditer(SECTION):
        block, span = match.groups()
        if block is not None:
            found += [Step(line) for line in _joined(block) if line.strip()]
        elif span.startswith((".venv/bin/", "git ")):
            after = SECTION[match.end() : match.end() + 40]
            found.append(Step(span, answer_yes="answer" in after, background=span.endswith(" &")))
    return found


def _joined(block: str) -> list[str]:
    return [line.strip() for line in block.replace("\\\n", " ").splitlines()]


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A fresh clone: the checkout's files as committed, in a git repository, with its venv."""
    root = copy_checkout(tmp_path / "clone")
    for name in ("README.md", ".gitignore"):
        shutil.copy(REPO / name, root / name)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "clone"], cwd=root, check=True)
    venv = root / ".venv" / "bin"
    venv.mkdir(parents=True)
    runner = venv / "ippanel-run"
    runner.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m runner.cli "$@"\n', encoding="utf-8")
    runner.chmod(0o755)
    _yalda_in_the_coming_days(root)
    return root


def _yalda_in_the_coming_days(root: Path) -> None:
    """As step 8 says: if 1405-09-30 has passed (or is over 3 months away), a day soon instead."""
    campaign = root / "campaigns" / "yalda-1405.yaml"
    now = datetime.now(timezone.utc)
    when = datetime(2026, 12, 21, 14, 30, tzinfo=timezone.utc)
    if now + timedelta(hours=1) < when < now + timedelta(days=80):
        return
    day = jdatetime.date.fromgregorian(date=(now + timedelta(days=2)).astimezone(tz(TEHRAN)))
    text = campaign.read_text(encoding="utf-8")
    soon = f"{day.year:04d}-{day.month:02d}-{day.day:02d} 18:00"
    campaign.write_text(text.replace("1405-09-30 18:00", soon), encoding="utf-8")


def test_the_walkthrough_works_pasted_into_a_shell_in_a_fresh_clone(clone: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    port = str(_free_port())
    server: subprocess.Popen[bytes] | None = None
    assert len(steps()) >= 12
    try:
        for step in steps():
            command = step.command.replace(README_PORT, port)
            if step.background:
                server = subprocess.Popen(
                    ["bash", "-c", command.removesuffix("&")], cwd=clone, env=env
                )
                _wait_for(int(port))
            elif command == "kill %1":
                assert server is not None
                server.terminate()
                server.wait(timeout=10)
                server = None
            else:
                _run(command, clone, env, answer_yes=step.answer_yes)
    finally:
        if server is not None:
            server.kill()
    staged = subprocess.run(
        ["git", "diff", "--cached", "--name-only"], cwd=clone, capture_output=True, text=True
    ).stdout.split()
    assert "campaigns/data/spring-sale.csv" in staged
    untracked = subprocess.run(
        ["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True
    ).stdout
    assert ".report." not in untracked and ".apply-lock" not in untracked


def _run(command: str, cwd: Path, env: dict[str, str], *, answer_yes: bool) -> None:
    stdin: int | None = None
    master = -1
    if answer_yes:  # a person at a terminal, typing y
        master, stdin = os.openpty()
    done = subprocess.Popen(
        ["bash", "-c", command], cwd=cwd, env=env, stdin=stdin,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    if answer_yes:
        assert stdin is not None
        os.close(stdin)
        os.write(master, b"y\n")
    out, err = done.communicate(timeout=120)
    if answer_yes:
        os.close(master)
        assert "? [y/N]" in err
    assert done.returncode == 0, f"$ {command}\n{out}{err}"
    assert "Traceback" not in err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(port: int) -> None:
    for _ in range(200):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)  # a real server starting in a real process
    raise AssertionError(f"the sandbox did not listen on port {port}")
