"""The lockfile: what a campaign sent, batch by batch; written so a crash never loses an id.

``<stem>.lock.json`` beside the campaign holds, per batch key, its state
(``sending`` → ``sent`` | ``failed`` | ``unknown``; ``sent`` → ``cancelled`` by
``ippanel-run cancel``), outbox ids, recipient count and 6-byte digests of its
recipients (never a plaintext number, never a secret). A cancelled batch keeps its
outbox ids (evidence, and reconciliation must never adopt them) under a key of its
own (``cancelled_key``), so sending the same batch again cannot overwrite it.
Keys are sorted and the file ends in a newline, so it diffs well in git.
It also names the API (base URL) and the account (``user_id``, when the API says)
it describes: a lockfile of another API or account is refused, never trusted.

An apply or cancel holds the campaign's file lock (``exclusive``, from
``runner.apply_lock``) while it reads and writes the lockfile.

During apply every state change is first appended to the journal (``runner.journal``),
and the journal is folded into the lockfile (temp file, fsync, ``os.replace``, fsync
of the folder) when the run ends, or by the next run after a crash. Rewriting a
multi-megabyte lockfile twice per batch would make a million-recipient campaign
write gigabytes; a journal line is a few kilobytes.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from runner import __version__
from runner.apply_lock import exclusive
from runner.errors import LockfileError
from runner.files import sweep_temp_files, write_atomic
from runner.journal import Journal, journal_path, read_journal
from runner.owner import SANDBOX_API, check_owner

__all__ = ["Journal", "check_owner", "exclusive", "journal_path"]

FORMAT = "ippanel-run lockfile"
FORMAT_VERSION = 2
# Format 1 did not record the API; a format-1 lockfile written by ``--sandbox`` is the
# sandbox's (its command says so), any other is taken to be the current API's.
READS = (1, 2)
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
    # Until when the API may still store this send (attempt + the client's deadline + the
    # commit margin): it is never settled as not sent before then.
    settles_at: int = 0

    def to_json(self) -> dict[str, Any]:
        # Field by field: ``dataclasses.asdict`` deep-copies, and this runs twice a send.
        data = {name: getattr(self, name) for name in _FIELDS}
        data["outbox_ids"] = list(self.outbox_ids)
        return data

    @classmethod
    def from_json(cls, key: str, data: dict[str, Any]) -> BatchRecord:
        if data.get("state") not in STATES:
            raise ValueError(f"batch {key} has unknown state {data.get('state')!r}")
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data and k != "key"}
        fields["outbox_ids"] = tuple(int(i) for i in data.get("outbox_ids", ()))
        return cls(key=key, **fields)


_FIELDS = tuple(name for name in BatchRecord.__dataclass_fields__ if name != "key")


@dataclass
class Lock:
    """The whole lockfile in memory: the campaign's batches by key, and whose they are.

    ``api`` is the base URL the batches went through and ``account`` the API's
    ``user_id`` of the account that sent them ("" while unknown).
    """

    campaign: str
    batches: dict[str, BatchRecord] = field(default_factory=dict)
    inputs: str = ""
    written_by: dict[str, str] = field(default_factory=dict)
    api: str = ""
    account: str = ""

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

    def to_data(self) -> dict[str, Any]:
        """The lockfile's JSON document."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "campaign": self.campaign,
            "api": self.api,
            "account": self.account,
            "inputs": self.inputs,
            "written_by": self.written_by,
            "batches": {k: r.to_json() for k, r in self.batches.items()},
        }

    def to_text(self) -> str:
        return _text(self.to_data())


def _text(data: dict[str, Any]) -> str:
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


def load(path: Path, campaign: str) -> Lock:
    """Read the lockfile (if any) and replay a journal a crashed run left behind.

    Raises ``LockfileError`` for a lockfile that is not this campaign's, and
    ``JournalDamaged`` for a journal with a damaged line (both are kept as they are).
    """
    lock = Lock(campaign)
    if path.exists():
        lock = _parse(path, campaign)
    journal = journal_path(path)
    if journal.exists():
        for key, record in read_journal(journal, _journal_record):
            if record is None:
                lock.batches.pop(key, None)
            else:
                lock.batches[key] = record
    return lock


def _journal_record(data: dict[str, Any]) -> tuple[str, BatchRecord | None]:
    key = data.pop("key")
    if not isinstance(key, str):
        raise TypeError("a journal line's key must be text")
    if data.get("forget") is True and len(data) == 1:
        return key, None
    return key, BatchRecord.from_json(key, data)


def journal_line(record: BatchRecord) -> dict[str, Any]:
    """What the journal holds for ``record``."""
    return {"key": record.key, **record.to_json()}


def forget_line(key: str) -> dict[str, Any]:
    """A journal line withdrawing ``key``'s ``sending`` line: its POST never started."""
    return {"key": key, "forget": True}


def _parse(path: Path, campaign: str) -> Lock:
    # Never "move it away": past the outbox look-up's window everyone would be sent again.
    advice = (
        "nothing is sent until it is readable. Keep the file: it records what already went "
        f"out. Restore it from git (git checkout -- {path}, or the copy CI committed); if no "
        "copy is left, compare "
        "the account's outbox (IPPanel panel, Reports) with the campaign before sending again"
    )
    try:
        text = path.read_text(encoding="utf-8")
        _refuse_conflict_markers(path, text)
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise LockfileError(f"{path} is not readable JSON ({err}); {advice}") from err
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LockfileError(f"{path} is not an ippanel-run lockfile; {advice}")
    if data.get("format_version") not in READS:
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
    written_by = data.get("written_by", {})
    written_by = dict(written_by) if isinstance(written_by, dict) else {}
    api, account = str(data.get("api", "")), str(data.get("account", ""))
    if data["format_version"] == 1 and " --sandbox" in str(written_by.get("command", "")):
        api = SANDBOX_API
    return Lock(campaign, batches, str(data.get("inputs", "")), written_by, api, account)


def _refuse_conflict_markers(path: Path, text: str) -> None:
    """A lockfile two branches both changed: say how to merge it, not that it is damaged."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line == "=======":
            raise LockfileError(
                f"{path}:{number}: git merge conflict markers: two branches both recorded sends. "
                "Resolve the merge keeping the batches of both sides (each is one key under "
                '"batches"), then run again; nothing is sent until then'
            )


def save(path: Path, lock: Lock, command: str) -> bool:
    """Write ``lock`` atomically if its content changed; drop the journal. True if written.

    Call it holding the campaign's file lock (``exclusive``): it also removes the temp
    files of writes that were killed half way.
    """
    sweep_temp_files(path, every=True)
    data = lock.to_data()
    written = bool(data["batches"] != _batches_unless_changed(path, data))
    if written:
        lock.written_by = {"tool": "ippanel-run", "version": __version__, "command": command}
        data["written_by"] = lock.written_by
        write_atomic(path, _text(data))
    with contextlib.suppress(FileNotFoundError):
        journal_path(path).unlink()
    return written


def _batches_unless_changed(path: Path, data: dict[str, Any]) -> object:
    """The file's batches when all else in it is ``data``'s; None when anything else differs.

    Compared as parsed JSON: serializing a big lockfile twice to compare texts costs more.
    """
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict):
        return None
    same = all(found.get(k) == v for k, v in data.items() if k not in ("batches", "written_by"))
    return found.get("batches") if same and set(found) == set(data) else None
