"""Frozen dataclasses that cross stage boundaries.

load (``campaign.py``) → ``Campaign``; recipients (``recipients.py``) → ``Recipient``;
planner (``planner.py``) → ``CampaignPlan`` of ``Batch``; the executor and the report
read those. Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from runner.errors import Violation

SendingType = Literal[
    "normal",
    "webservice",
    "file",
    "peer_to_peer",
    "peer_to_peer_file",
    "postal_code",
    "pattern",
    "votp",
]
Action = Literal["send", "skip", "reconcile", "adopt"]
DEFAULT_OUTBOX_WINDOW = 24 * 3600


@dataclass(frozen=True)
class Location:
    """Where a value stands in a user's file (1-based line and column)."""

    file: str
    line: int
    col: int

    def violation(self, message: str) -> Violation:
        return Violation(self.file, self.line, self.col, message)


@dataclass(frozen=True)
class InlineNumber:
    """A phone number written directly in the campaign's ``recipients`` or ``exclude``."""

    value: str
    where: Location


@dataclass(frozen=True)
class FileSource:
    """A ``.csv`` (header row) or ``.txt`` (one number a line) file of numbers."""

    path: Path
    phone_column: str
    where: Location


Source = InlineNumber | FileSource


@dataclass(frozen=True)
class Template:
    """A Jinja2 template from the campaign file, with where it was written.

    ``first_line`` is the file line of the template's own line 1 (for a ``|``
    block scalar that is the line after the key).
    """

    source: str
    field: str
    where: Location
    first_line: int


@dataclass(frozen=True)
class Schedule:
    """``schedule:`` as written: a local time in a calendar and a time zone."""

    at: str
    calendar: Literal["gregorian", "jalali"]
    timezone: str
    where: Location


@dataclass(frozen=True)
class OperatorSlice:
    """A slice of one operator's number bank: ``start`` offset, ``size`` numbers."""

    start: int
    size: int


@dataclass(frozen=True)
class Targeting:
    """One ``postal_code`` targeting entry (birth years are Solar Hijri)."""

    postal_code: int
    bank: Literal["all", "white"]
    gender: Literal["all", "male", "female"]
    birth_year_from: int | None
    birth_year_to: int | None
    operators: Mapping[str, OperatorSlice]


@dataclass(frozen=True)
class Limits:
    """Optional safety limits a campaign sets on itself."""

    max_recipients: int | None = None
    max_cost: float | None = None


@dataclass(frozen=True)
class Campaign:
    """A validated campaign file (format version 1), not yet rendered."""

    path: Path
    name: str
    description: str
    type: SendingType
    sender: str | None
    vars: Mapping[str, Any]
    message: Template | None
    pattern_code: str | None
    pattern_params: tuple[tuple[str, Template], ...]
    recipients: tuple[Source, ...]
    exclude: tuple[Source, ...]
    schedule: Schedule | None
    targeting: tuple[Targeting, ...]
    batch_size: int
    limits: Limits
    # ``send_hours`` as written ("08:00-22:00", "any"), or None when the campaign sets none.
    send_hours: str | None = None
    # Where top-level keys (and a few nested ones, dotted: "limits.max_recipients") were written.
    where: Mapping[str, Location] = field(default_factory=dict)
    # How far back (seconds) the account's outbox is searched for an earlier send of this
    # campaign before a batch goes out (``outbox_window``, default 24 h).
    outbox_window: int = DEFAULT_OUTBOX_WINDOW
    # The sandbox's state folder when this run uses ``--sandbox``: its lockfile and report
    # live there, never beside the campaign where a real apply would read them.
    sandbox: Path | None = None

    @property
    def state_stem(self) -> Path:
        """``<folder>/<stem>``: beside the campaign, or its mirror in the sandbox's folder."""
        if self.sandbox is None:
            return self.path.with_name(self.path.stem)
        return sandbox_stem(self.sandbox, self.path)

    def state_file(self, suffix: str) -> Path:
        """Where this campaign's ``<stem><suffix>`` file lives (``.lock.json``, ``.report.md``)."""
        stem = self.state_stem
        return stem.with_name(stem.name + suffix)

    def location(self, key: str) -> Location:
        """Where ``key`` (dotted) was written, else its nearest written parent, else the file."""
        while key:
            if key in self.where:
                return self.where[key]
            key = key.rpartition(".")[0]
        return Location(str(self.path), 0, 0)

    @property
    def lockfile_path(self) -> Path:
        return self.state_file(".lock.json")


def sandbox_stem(sandbox: Path, campaign: Path) -> Path:
    """``<sandbox>/lockfiles/<the campaign's path from the working folder, without suffix>``.

    A campaign outside the folder that holds ``sandbox`` goes under ``_elsewhere/<digest of
    its folder>/``. Pure path arithmetic (``os.path``), nothing is read.
    """
    where = Path(os.path.normpath(os.path.abspath(campaign)))
    home = Path(os.path.normpath(os.path.abspath(sandbox))).parent
    root = sandbox / "lockfiles"
    try:
        relative = where.relative_to(home)
    except ValueError:
        folder = hashlib.sha256(str(where.parent).encode()).hexdigest()[:12]
        return root / "_elsewhere" / folder / where.stem
    return root / relative.parent / where.stem


@dataclass(frozen=True, slots=True)
class Recipient:
    """One normalized recipient, with its CSV row (empty for inline and .txt numbers)."""

    phone: str
    fields: Mapping[str, str]
    origin: str


@dataclass
class RecipientStats:
    """Counts gathered while streaming recipients; filled in as the stream is read."""

    read: int = 0
    kept: int = 0
    duplicates: int = 0
    excluded: int = 0
    invalid: list[Violation] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Message:
    """One rendered text and the recipients who get it."""

    text: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class Batch:
    """One API request: ``fields`` are its small body fields, ``messages`` its bulk.

    ``batching.request_body`` turns a batch into the exact body that is POSTed.
    """

    key: str
    sending_type: SendingType
    fields: Mapping[str, Any]
    messages: tuple[Message, ...]
    action: Action = "send"
    # For batches known only from the lockfile (skip / reconcile): how many it recorded.
    recorded: int = 0
    # Numbers the request's targeting takes from IPPanel's bank (postal_code), beyond ``messages``.
    targeted: int = 0

    @property
    def recipient_count(self) -> int:
        listed = sum(len(m.recipients) for m in self.messages)
        return listed + self.targeted or self.recorded


@dataclass(frozen=True)
class Sample:
    """A rendered example shown in the plan."""

    phone: str
    text: str
    parts: int
    encoding: str
    # What the operator appends (a promotional type's opt-out suffix); ``parts`` count it.
    appended: str = ""


@dataclass(frozen=True)
class Change:
    """One line of what changed since a campaign was sent, as ``terraform plan`` shows it.

    ``symbol`` is ``~`` (changed), ``+`` (will be sent), ``-`` (gone from the campaign)
    or ``=`` (unchanged, left out); ``what`` is ``text`` or ``recipients``.
    """

    symbol: str
    what: str
    detail: str
    count: int
    # For programs (the JSON plan): text_changed, added, planned_again, removed, left_out.
    key: str


@dataclass(frozen=True)
class CampaignPlan:
    """Everything apply would do for one campaign; dry-run prints exactly this."""

    campaign: Campaign
    send_time: datetime | None
    batches: tuple[Batch, ...]
    stats: RecipientStats
    samples: tuple[Sample, ...]
    max_parts: int
    total_parts: int
    skipped_recipients: int = 0
    notes: tuple[str, ...] = ()
    # What changed since the lockfile's sends (empty for a campaign not sent yet).
    changes: tuple[Change, ...] = ()
    # Everyone got it and no file changed since, so the recipients were not read again:
    # ``stats`` then counts only what the lockfile recorded.
    unchanged: bool = False

    @property
    def targeted(self) -> int:
        """Numbers the batches' targeting takes from IPPanel's bank (postal_code)."""
        return sum(b.targeted for b in self.batches)

    @property
    def recipients(self) -> int:
        """Everyone the campaign reaches: the numbers listed plus those targeted."""
        return self.stats.kept + self.targeted
