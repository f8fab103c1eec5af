"""What a report already knows for good: final outboxes and their recipients, kept on disk.

``<stem>.report.cache.json`` beside the campaign holds, per outbox id, the outbox
as the API last showed it and every recipient's status, once that can no longer
change: the outbox's state is final and every recipient has a final status (or
operators have had ``SETTLE_HOURS`` to send their delivery reports). A rerun or
``report --watch`` then asks the API only about what is not in it.

The cache is never trusted blindly. It is read only if it names the same campaign
and the same API (base URL); an entry counts only while the lockfile still records
its outbox id under the same batch, as sent. Anything unreadable or malformed is
ignored (the report fetches again and rewrites the file): it is a cache, not
evidence. It holds phone numbers (like the CSV report), so it is not for git.
Written atomically, with sorted keys, only when its content changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.api.types import OutboxRow, as_float, as_int, as_opt_int
from runner.errors import ApiError
from runner.files import write_atomic
from runner.lockfile import Lock
from runner.report.model import RecipientResult
from runner.report.words import FINAL_STATES

FORMAT = "ippanel-run report cache"
FORMAT_VERSION = 1
# Operators keep retrying an undelivered SMS for a day or two; after this long a
# status still "sent" will not change any more.
SETTLE_HOURS = 72
FINAL_STATUSES = frozenset({2, 3, 4})
SENT = 6
# What is kept of an outbox row, in this order (its id is the entry's key; the state's
# name and status text follow from state_id).
ROW_FIELDS = (
    "sender",
    "message",
    "state_id",
    "recipients",
    "exit_count",
    "cost",
    "parts",
    "created_at",
    "send_at",
    "reject_comment",
)


@dataclass(frozen=True, slots=True)
class FinalOutbox:
    """An outbox whose report can no longer change: its row and every recipient."""

    batch: str
    row: OutboxRow
    recipients: tuple[RecipientResult, ...]


def cache_path(campaign_path: Path) -> Path:
    """``x.yaml`` → ``x.report.cache.json``, beside the report files."""
    return campaign_path.with_name(f"{campaign_path.stem}.report.cache.json")


def settled(row: OutboxRow, statuses: list[int | None], now: float) -> bool:
    """Whether an outbox and its recipients' statuses are final, so worth keeping."""
    if row.state_id not in FINAL_STATES:
        return False
    if row.state_id != SENT or all(status in FINAL_STATUSES for status in statuses):
        return True  # a bulk that never went out (rejected, cancelled…) gets no more reports
    sent_at = row.send_at or row.created_at
    return sent_at is not None and now - sent_at > SETTLE_HOURS * 3600


def load_cache(path: Path, lock: Lock, api: str) -> dict[int, FinalOutbox]:
    """The entries of ``path`` that still match ``lock`` and ``api``; ``{}`` if none can be used."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if (
            data.get("format") != FORMAT
            or data.get("format_version") != FORMAT_VERSION
            or data.get("campaign") != lock.campaign
            or data.get("api") != api
            or data.get("row_fields") != list(ROW_FIELDS)
        ):
            return {}
        entries = {int(k): _entry(int(k), v) for k, v in data["outboxes"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError, ApiError):
        return {}
    return {i: e for i, e in entries.items() if _still_in(lock, e.batch, i)}


def save_cache(path: Path, lock: Lock, api: str, entries: Mapping[int, FinalOutbox]) -> bool:
    """Write ``entries`` to ``path`` (atomically) if that changes it; True if written."""
    if not entries and not path.exists():
        return False  # nothing final yet: no file to litter the folder with
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "campaign": lock.campaign,
        "api": api,
        "row_fields": list(ROW_FIELDS),
        "outboxes": {str(i): _json(e) for i, e in sorted(entries.items())},
    }
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    write_atomic(path, text)
    return True


def _still_in(lock: Lock, key: str, outbox_id: int) -> bool:
    record = lock.batches.get(key)
    return record is not None and record.state == "sent" and outbox_id in record.outbox_ids


def _json(entry: FinalOutbox) -> dict[str, Any]:
    row = entry.row
    return {
        "batch": entry.batch,
        "row": [getattr(row, name) for name in ROW_FIELDS],
        # One short list a recipient, in the API's order: [phone, status, parts].
        "recipients": [[r.phone, r.status, r.parts] for r in entry.recipients],
    }


def _entry(outbox_id: int, data: Mapping[str, Any]) -> FinalOutbox:
    """One cached outbox, checked field by field (``ApiError``/``ValueError`` if malformed)."""
    row = dict(zip(ROW_FIELDS, data["row"], strict=True))
    comment = row["reject_comment"]
    parsed = OutboxRow(
        outbox_id=outbox_id,
        sender=_text(row["sender"]),
        message=_text(row["message"]),
        state_id=as_opt_int(row["state_id"], "state_id"),
        state="",
        status="",
        type="",
        recipients=as_int(row["recipients"], "recipients"),
        exit_count=as_int(row["exit_count"], "exit_count"),
        cost=as_float(row["cost"], "cost"),
        parts=as_opt_int(row["parts"], "parts"),
        created_at=as_opt_int(row["created_at"], "created_at"),
        send_at=as_opt_int(row["send_at"], "send_at"),
        reject_comment=None if comment is None else _text(comment),
    )
    recipients = tuple(
        RecipientResult(
            _text(phone), outbox_id, as_opt_int(status, "status"), as_int(parts, "parts")
        )
        for phone, status, parts in data["recipients"]
    )
    return FinalOutbox(_text(data["batch"]), parsed, recipients)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return value
