"""Saved plans: ``plan --out plan.json`` now, ``apply plan.json`` later sends exactly that.

A saved plan is the ``--format json`` plan plus, per campaign, a fingerprint: a
digest of the campaign and data files, a digest of the lockfile, and the keys of
the batches to send. ``apply`` re-plans and refuses when any of them differ, so
what was reviewed is what is sent — or nothing is.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.campaign import input_files, inputs_digest
from runner.errors import InputError
from runner.files import atomic_writer
from runner.lockfile import journal_path
from runner.models import Campaign, CampaignPlan
from runner.show import write_json

SAVED_PLAN = "ippanel-run saved plan"


@dataclass(frozen=True)
class Fingerprint:
    """What a reviewed plan was made from."""

    inputs: str
    lockfile: str
    send: tuple[str, ...]
    # Each input file → its digest, to say which one changed (empty in older saved plans).
    files: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SavedCampaign:
    """One campaign of a saved plan: its file and fingerprint."""

    path: Path
    fingerprint: Fingerprint


def lockfile_digest(lockfile: Path) -> str:
    """The lockfile's bytes (and a crashed run's journal), or "" when there is none."""
    digest = hashlib.sha256()
    for path in (lockfile, journal_path(lockfile)):
        if path.exists():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def fingerprint(plan: CampaignPlan) -> Fingerprint:
    campaign = plan.campaign
    return Fingerprint(
        inputs=inputs_digest(campaign),
        lockfile=lockfile_digest(campaign.lockfile_path),
        send=tuple(b.key for b in plan.batches if b.action == "send"),
        files=tuple(sorted(input_files(campaign).items())),
    )


def write_saved_plan(path: Path, plans: Sequence[CampaignPlan]) -> None:
    folder = path.resolve().parent

    def extra(plan: CampaignPlan) -> dict[str, Any]:
        found = fingerprint(plan)
        return {
            "saved": {
                "format": SAVED_PLAN,
                "campaign_file": os.path.relpath(plan.campaign.path.resolve(), folder),
                "inputs": found.inputs,
                "lockfile": found.lockfile,
                "send": list(found.send),
                "files": dict(found.files),
            }
        }

    with atomic_writer(path) as out:
        write_json(plans, out, extra=extra)


def is_saved_plan(path: Path) -> bool:
    return path.suffix == ".json" and path.is_file()


def read_saved_plan(path: Path) -> list[SavedCampaign]:
    """The campaigns of a saved plan; an unreadable or foreign file is an input error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = []
        for entry in data["campaigns"]:
            saved = entry["saved"]
            if saved["format"] != SAVED_PLAN:
                raise KeyError("format")
            files = tuple(sorted((str(k), str(v)) for k, v in saved.get("files", {}).items()))
            mark = Fingerprint(saved["inputs"], saved["lockfile"], tuple(saved["send"]), files)
            found.append(SavedCampaign(_as_typed(path.parent / saved["campaign_file"]), mark))
        return found
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InputError(
            f"{path} is not a plan saved by `ippanel-run plan --out` ({err}); make one with "
            f"`ippanel-run plan --out {path.name} CAMPAIGN...`"
        ) from err


def _as_typed(path: Path) -> Path:
    """``path`` relative to the working directory when below it, as a user would type it."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve())
    except ValueError:
        return resolved


def check_inputs(saved: Fingerprint, campaign: Campaign) -> None:
    """Before anything else: the files and the lockfile are those the plan was made from."""
    changed = []
    if inputs_digest(campaign) != saved.inputs:
        changed.append(_changed_files(saved, campaign))
    if lockfile_digest(campaign.lockfile_path) != saved.lockfile:
        changed.append("the lockfile changed (something was sent or settled since)")
    _refuse(campaign, changed)


def check_batches(saved: Fingerprint, plan: CampaignPlan) -> None:
    """After planning: the batches to send are those the plan showed."""
    now = tuple(b.key for b in plan.batches if b.action == "send")
    _refuse(plan.campaign, [] if now == saved.send else ["the batches to send changed"])


def _changed_files(saved: Fingerprint, campaign: Campaign) -> str:
    """Which input files differ from the saved plan's, by name."""
    before, now = dict(saved.files), input_files(campaign)
    names = [
        f"{name} {_how(name in before, name in now)}"
        for name in sorted(before.keys() | now.keys())
        if before.get(name) != now.get(name)
    ]
    if not before or not names:
        return "the campaign or its data files changed"
    return ", ".join(names)


def _how(before: bool, now: bool) -> str:
    return "is new" if not before else "is gone" if not now else "was edited"


def _refuse(campaign: Campaign, changed: list[str]) -> None:
    if changed:
        raise InputError(
            f"{campaign.path}: the saved plan is stale: {'; '.join(changed)} since it was made. "
            "Nothing was sent; review a new plan (`ippanel-run plan --out`)"
        )
