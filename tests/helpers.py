"""Constants and small helpers shared by the tests (imported as ``helpers``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from click.testing import Result

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
# 1405-09-05 15:30 in Tehran: every example and campaign schedule is valid at this moment.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)

Invoke = Callable[..., Result]
GOLDEN = REPO / "tests" / "golden"
# What the CLI tests copy into their scratch folder (never used in place: a user's own
# runs in the checkout, such as the README's first command, must not change an outcome).
CHECKOUT_PARTS = ("examples", "campaigns", "schemas")


def check_golden(name: str, text: str) -> None:
    """Compare ``text`` with tests/golden/NAME; ``UPDATE_GOLDEN=1`` rewrites it (review it)."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"run UPDATE_GOLDEN=1 to refresh {path}"


def copy_checkout(target: Path) -> Path:
    """Copy the checkout's examples, campaigns and schemas into ``target``, as committed.

    Files a run leaves beside the examples (lockfiles, reports, journals, sandbox state)
    are left out, so a test sees the repository as a fresh clone has it.
    """
    litter = shutil.ignore_patterns(
        "*.lock.json", "*.journal", "*.apply-lock", "*.report.*", "*.replies.csv", ".ippanel-*"
    )
    for part in CHECKOUT_PARTS:
        shutil.copytree(REPO / part, target / part, ignore=litter)
    return target


def in_sandbox(root: Path, campaign: str | Path, suffix: str) -> Path:
    """Where a ``--sandbox`` run keeps ``campaign``'s ``<stem><suffix>`` (lockfile, report…).

    ``campaign`` is its path from ``root``, the working folder the run started in.
    """
    stem = Path(campaign).with_suffix("")
    return root / ".ippanel-sandbox" / "lockfiles" / stem.with_name(stem.name + suffix)
