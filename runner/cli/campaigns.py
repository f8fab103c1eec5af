"""The campaigns a command was given: files and folders to campaign files, then to plans.

``campaign_files`` expands folders; ``campaign_for`` loads one campaign (its state in
the sandbox for ``--sandbox``); ``plan_all`` plans them all and collects every
problem of every file instead of stopping at the first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

import click

from runner import lockfile
from runner.campaign import load_campaign
from runner.cli.base import AppContext
from runner.cli.connect import SANDBOX_STATE
from runner.cli.options import FORMATS
from runner.diff import diff
from runner.errors import InputError, InvalidCampaign, Violation
from runner.limits import recipient_problems
from runner.loader import MAX_BYTES
from runner.models import Campaign, CampaignPlan
from runner.paths import is_regular_inside, repository_root
from runner.safe_text import one_line


def campaign_files(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders expanded to the campaign YAML files inside them, sorted.

    In a folder, only regular files that resolve inside its repository are taken: a
    symlink to ``/dev/zero`` or out of the repository is not a campaign.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            root = repository_root(path / "campaign.yaml")
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.suffix in (".yaml", ".yml")
                and is_regular_inside(p, root)
                and _looks_like_campaign(p)
            )
        else:
            found.append(path)
    return found


def _looks_like_campaign(path: Path) -> bool:
    # Folders also hold CI workflows and pre-commit configs: a campaign has `version:` at the top.
    try:
        with path.open("rb") as handle:
            head = handle.read(MAX_BYTES)
    except OSError:
        return False
    return head.startswith(b"version:") or b"\nversion:" in head


def plan_all(
    app: AppContext,
    paths: Sequence[Path],
    *,
    skip_invalid: bool,
    allow_over_limit: bool = False,
    sandbox: bool = False,
) -> tuple[list[CampaignPlan], list[Violation]]:
    """Plan every campaign; collect every problem of every file instead of stopping at one.

    A plan over its campaign's ``limits.max_recipients`` is a problem too (apply would
    refuse it), unless ``allow_over_limit``. With ``sandbox``, against the sandbox's
    lockfiles (``campaign_for``).
    """
    plans: list[CampaignPlan] = []
    problems: list[Violation] = []
    now = app.now()
    for path in campaign_files(paths):
        try:
            campaign = campaign_for(path, sandbox=sandbox)
            lock = lockfile.load(campaign.lockfile_path, campaign.name)
            plan = diff(campaign, lock, now=now, skip_invalid=skip_invalid)
            over = [] if allow_over_limit else recipient_problems(plan)
            if over:
                raise InvalidCampaign(over)
            plans.append(plan)
        except InvalidCampaign as err:
            problems.extend(err.violations)
        except InputError as err:
            problems.append(_located(path, str(err)))
    for plan in plans:
        for skipped in plan.stats.invalid:
            click.echo(one_line(f"warning: skipped {skipped}"), err=True)
    return plans, problems


def _located(path: Path, text: str) -> Violation:
    """An input error as a violation: at the file (and line) it names, else at ``path``."""
    head, sep, rest = text.partition(": ")
    file, _, line = head.partition(":")
    if sep and file.endswith(_FILES) and (not line or line.isdigit()):
        number = int(line) if line else 0
        return Violation(file, number, 1 if number else 0, rest)
    file, _, rest = text.partition(" is ")  # "x.lock.json is damaged: …"
    if rest and " " not in file and file.endswith(_FILES):
        return Violation(file, 0, 0, rest)
    return Violation(str(path), 0, 0, text)


_FILES = (".yaml", ".yml", ".json")


def print_plans(plans: Sequence[CampaignPlan], fmt: str, out: TextIO) -> None:
    """Write ``plans`` to ``out`` in the ``--format`` chosen."""
    FORMATS[fmt](plans, out)


def sandbox_state(sandbox: bool) -> Path | None:
    """Where a ``--sandbox`` run keeps its lockfiles, reports and replies (None: beside)."""
    return SANDBOX_STATE if sandbox else None


def campaign_for(path: Path, *, sandbox: bool) -> Campaign:
    """The campaign file; for ``--sandbox``, with its lockfile and reports in the sandbox.

    A sandbox run never writes where a real apply reads: ``.ippanel-sandbox/lockfiles/``
    mirrors the campaign's path (``Campaign.state_stem``).
    """
    campaign = load_campaign(path)
    return dataclasses.replace(campaign, sandbox=SANDBOX_STATE) if sandbox else campaign
