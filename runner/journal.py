"""The write-ahead journal beside a lockfile: every batch state change, appended and fsynced.

``<stem>.lock.json.journal`` gets one JSON line per change during an apply. A batch's
``sending`` line is on disk (fsynced) before its POST starts; other lines are flushed
to the operating system and reach the disk with the next fsync — losing one in a
power cut only leaves a batch ``sending``, which the next run looks up in the
account's outbox. Concurrent sends share fsyncs (a group commit): a writer whose
line an fsync already covered does not wait for another, and the sender writes the
``sending`` lines of the next round of batches ahead and makes them durable with one
fsync (``sync``), so no POST waits for the disk. A ``{"key", "forget": true}`` line
withdraws a ``sending`` line whose POST never started (the run stopped first).

Reading it back is strict: only a torn final line (cut short by the crash, with no
line end: its fsync never finished, so its POST never started) may be dropped. A
blank or garbled line anywhere else is damage, and ``read_journal`` raises
``JournalDamaged`` naming the line, so that no evidence is silently skipped.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from runner.errors import LockfileError


class JournalDamaged(LockfileError):
    """The journal has a blank or garbled line before its last one; it is kept as it is."""


def journal_path(lockfile: Path) -> Path:
    return lockfile.with_name(lockfile.name + ".journal")


def read_journal(path: Path, parse: Callable[[dict[str, Any]], Any]) -> Iterator[Any]:
    """Each line's ``parse(data)``, in order; raises ``JournalDamaged`` on a damaged line."""
    with path.open("rb") as handle:
        lines = handle.read().split(b"\n")
    # Everything after the last line end is a torn write: its fsync never completed.
    *complete, torn = lines
    for number, raw in enumerate(complete, start=1):
        try:
            data = json.loads(raw.decode("utf-8"))
            yield parse(data)
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise JournalDamaged(_damage(path, number, len(complete), raw, err)) from err
    if torn.strip(b"\0 \t\r"):
        try:
            yield parse(json.loads(torn.decode("utf-8")))
        except (ValueError, KeyError, TypeError, AttributeError):
            return  # cut short before its line end: its POST never started


def _damage(path: Path, number: int, total: int, raw: bytes, err: Exception) -> str:
    what = "blank" if not raw.strip() else f"not a journal record ({type(err).__name__})"
    return (
        f"{path} line {number} of {total} is {what}. The journal is the record of a run "
        "that stopped before writing its lockfile, so ippanel-run stops rather than guess, "
        "and keeps the journal as it is. To recover: keep a copy (cp "
        f"{path.name} {path.name}.bak), delete only the damaged line(s) from the journal, "
        "and run the same command again: the batches it can no longer tell about are "
        "looked up in the account's outbox before anything is sent."
    )


class Journal:
    """Append-only record of batch state changes during one apply; safe across threads."""

    def __init__(self, lockfile: Path) -> None:
        self.path = journal_path(lockfile)
        self._handle: IO[str] = self.path.open("a", encoding="utf-8")
        self._written = 0  # lines handed to the operating system
        self._synced = 0  # lines known to be on disk
        self._write_guard = threading.Lock()
        self._sync_guard = threading.Lock()
        self._closed = False

    def record(self, data: dict[str, Any], *, durable: bool = True) -> None:
        """Append one line; with ``durable``, return only once it is on disk."""
        line = json.dumps(data, sort_keys=True, ensure_ascii=False) + "\n"
        with self._write_guard:
            if self._closed:
                return  # a send that outlived the run: the next run looks it up
            self._handle.write(line)
            self._handle.flush()
            self._written += 1
            mine = self._written
        if durable:
            self._sync(mine)

    def sync(self) -> None:
        """Make every line written so far durable: one fsync for all of them."""
        with self._write_guard:
            written = self._written
        self._sync(written)

    def _sync(self, line: int) -> None:
        with self._sync_guard:
            if self._synced >= line:
                return  # another writer's fsync covered this line
            with self._write_guard:
                if self._closed:
                    return
                upto = self._written
                fd = self._handle.fileno()
            os.fsync(fd)
            self._synced = upto

    def close(self) -> None:
        with self._sync_guard, self._write_guard:
            if self._closed:
                return
            self._closed = True
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
