"""The lockfile: what a campaign sent, batch by batch; written so a crash never loses an id.

``<stem>.lock.json`` beside the campaign holds, per batch key, its state
(``sending`` → ``sent`` | ``failed`` | ``unknown``; ``sent`` → ``cancelled`` by
``ippanel-run cancel``), outbox ids, recipient count and 6-byte digests of its
recipients (never a plaintext number, never a secret). A cancelled batch keeps its
outbox ids (evidence, and reconciliation must never adopt them) under a key of its
own (``cancelled_key``), so sending the same batch again cannot overwrite it.
Keys are sorted and the file ends in a newline, so it diffs well in git.

During apply every state change is first appended to ``<stem>.lock.json.journal``
and fsynced — that is the write-ahead record made before each POST — and the
journal is folded into the lockfile (temp file, fsync, ``os.replace``, fsync of the
folder) when the run ends, or by the next run after a crash. Rewriting a
multi-megabyte lockfile twice per batch would make a million-recipient campaign
write gigabytes; a journal line is a few kilobytes.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from runner import __version__
from runner.errors import LockfileError, LockHeld
from runner.files import write_atomic

FORMAT = "ippanel-run lockfile"
FORMAT_VERSION = 1
DIGEST_BYTES = 6
State = Literal["sending", "sent", "failed", "unknown", "cancelled"]
STATES = ("sending", "sent", "failed", "unknown", "cancelled")
# Batches whose recipients got nothing from them: planned again by the next apply.
NOT_SENT_STATES = ("failed", "cancelled")


def recipient_digest(campaign: str, phone: str) -> bytes:
    """A short digest of one recipient, salted with the campaign name."""
    return hashlib.sha256(f"{campaign}\n{phone}".encode()).digest()[:DIGEST_BYTES]


def text_digest(text: str) -> bytes:
    """A short digest of a rendered text, to tell this campaign's outboxes from others'."""
    return hashlib.sha256(text.encode()).digest()[:DIGEST_BYTES]


def pack_digests(digests: Iterable[bytes]) -> str:
    """Sorted digests as one base64 string (8 characters a recipient)."""
    return base64.b64encode(b"".join(sorted(digests))).decode("ascii")


def unpack_digests(packed: str) -> set[bytes]:
    raw = base64.b64decode(packed.encode("ascii"))
    return {raw[i : i + DIGEST_BYTES] for i in range(0, len(raw), DIGEST_BYTES)}


@dataclass(frozen=True)
class BatchRecord:
    """One batch as the lockfile knows it."""

    key: str
    state: State
    sending_type: str
    sender: str
    recipients: int
    digests: str
    outbox_ids: tuple[int, ...] = ()
    attempted_at: int = 0
    error: str = ""
    texts: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outbox_ids"] = list(self.outbox_ids)
        del data["key"]
        return data

    @classmethod
    def from_json(cls, key: str, data: dict[str, Any]) -> BatchRecord:
        if data.get("state") not in STATES:
            raise ValueError(f"batch {key} has unknown state {data.get('state')!r}")
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data and k != "key"}
        fields["outbox_ids"] = tuple(int(i) for i in data.get("outbox_ids", ()))
        return cls(key=key, **fields)


@dataclass
class Lock:
    """The whole lockfile in memory: the campaign's batches by key."""

    campaign: str
    batches: dict[str, BatchRecord] = field(default_factory=dict)
    inputs: str = ""
    written_by: dict[str, str] = field(default_factory=dict)

    def covered(self) -> set[bytes]:
        """Digests of every recipient a batch may have reached (all but failed and cancelled)."""
        found: set[bytes] = set()
        for record in self.batches.values():
            if record.state not in NOT_SENT_STATES:
                found |= unpack_digests(record.digests)
        return found

    def unresolved(self) -> list[BatchRecord]:
        return [r for r in self.batches.values() if r.state in ("sending", "unknown")]

    def outbox_ids(self) -> set[int]:
        return {i for r in self.batches.values() for i in r.outbox_ids}

    def to_text(self) -> str:
        data = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "campaign": self.campaign,
            "inputs": self.inputs,
            "written_by": self.written_by,
            "batches": {k: r.to_json() for k, r in self.batches.items()},
        }
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def replace_record(
    record: BatchRecord, *, state: State, outbox_ids: tuple[int, ...], error: str = ""
) -> BatchRecord:
    """The record with a settled state (by reconciliation or by hand)."""
    return dataclasses.replace(record, state=state, outbox_ids=outbox_ids, error=error)


def cancelled_key(record: BatchRecord) -> str:
    """Where a cancelled batch is kept: a key of its own, derived from its key and ids."""
    ids = ",".join(str(i) for i in record.outbox_ids)
    return hashlib.sha256(f"cancelled\n{record.key}\n{ids}".encode()).hexdigest()[:16]


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def load(path: Path, campaign: str) -> Lock:
    """Read the lockfile (if any) and replay a journal a crashed run left behind."""
    lock = Lock(campaign)
    if path.exists():
        lock = _parse(path, campaign)
    journal = journal_path(path)
    if journal.exists():
        for record in _read_journal(journal):
            lock.batches[record.key] = record
    return lock


def _parse(path: Path, campaign: str) -> Lock:
    advice = f"move {path} away or restore it from git; ippanel-run never overwrites it"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise LockfileError(f"{path} is not readable JSON ({err}); {advice}") from err
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LockfileError(f"{path} is not an ippanel-run lockfile; {advice}")
    if data.get("format_version") != FORMAT_VERSION:
        raise LockfileError(
            f"{path} has lockfile format {data.get('format_version')!r}; this ippanel-run "
            f"({__version__}) reads format {FORMAT_VERSION}: upgrade ippanel-run"
        )
    if data.get("campaign") != campaign:
        raise LockfileError(
            f"{path} belongs to campaign {data.get('campaign')!r}, not {campaign!r}; "
            f"a renamed campaign is a new campaign: {advice}"
        )
    try:
        batches = {k: BatchRecord.from_json(k, v) for k, v in data.get("batches", {}).items()}
    except (TypeError, ValueError, KeyError, AttributeError) as err:
        raise LockfileError(f"{path} is damaged: {err}; {advice}") from err
    return Lock(campaign, batches, str(data.get("inputs", "")), dict(data.get("written_by", {})))


def _read_journal(journal: Path) -> Iterator[BatchRecord]:
    with journal.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                data = json.loads(line)
                yield BatchRecord.from_json(data.pop("key"), data)
            except (ValueError, KeyError, TypeError):
                # A torn last line: its write was not fsynced, so its POST never started.
                return


class Journal:
    """Append-only, fsynced record of batch state changes during one apply."""

    def __init__(self, lockfile: Path) -> None:
        self.path = journal_path(lockfile)
        self._handle: IO[str] = self.path.open("a", encoding="utf-8")

    def record(self, record: BatchRecord) -> None:
        line = json.dumps({"key": record.key, **record.to_json()}, sort_keys=True)
        self._handle.write(line + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


def save(path: Path, lock: Lock, command: str) -> bool:
    """Write ``lock`` atomically if its content changed; drop the journal. True if written."""
    if _content(lock) != _content_of_file(path):
        lock.written_by = {"tool": "ippanel-run", "version": __version__, "command": command}
        write_atomic(path, lock.to_text())
        written = True
    else:
        written = False
    with contextlib.suppress(FileNotFoundError):
        journal_path(path).unlink()
    return written


def _content(lock: Lock) -> str:
    """The text without ``written_by``: what decides whether anything changed."""
    return Lock(lock.campaign, lock.batches, lock.inputs).to_text()


def _content_of_file(path: Path) -> str | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    data["written_by"] = {}
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold the campaign's file lock; a second apply fails at once, naming the holder."""
    lock_path = path.with_name(f".{path.name}.apply-lock")
    handle = lock_path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise LockHeld(
                f"{path.name} is being applied by {holder}; wait for it to finish "
                "(two applies at once could send twice)"
            ) from err
        handle.seek(0)
        handle.truncate()
        handle.write(
            f"pid {os.getpid()} on {socket.gethostname()} since "
            f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n"
        )
        handle.flush()
        yield
    finally:
        handle.close()
