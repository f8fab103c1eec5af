"""SQLite persistence for the sandbox, so separate processes see the same account.

The database lives at ``state_dir / "sandbox.sqlite3"`` in WAL mode. Every unit of
work opens its own connection and runs in one ``BEGIN IMMEDIATE`` transaction with a
busy timeout: the threaded HTTP server and concurrent CLI processes then serialize
their writes instead of failing with "database is locked". The tables, how an older
state directory is upgraded, and the seed account are in ``tables``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from runner.errors import SandboxError
from runner.sandbox import seed, tables

BUSY_TIMEOUT_SECONDS = 30.0


class CommittedMessage(NamedTuple):
    """One recipient of one committed bulk, and the text it carries."""

    outbox_id: int
    recipient: str
    text: str


class Store:
    """The sandbox's state directory; ``transaction()`` is the only way in."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        self.path = self.state_dir / seed.STATE_FILE_NAME
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            self._initialize()
        except (OSError, sqlite3.Error) as err:
            raise SandboxError(f"cannot use sandbox state in {self.state_dir}: {err}") from err

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        # WAL with NORMAL sync survives a crashed process; only a power cut can lose the
        # last commits, which is fine for a simulator and keeps each request fast.
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; committed on success, rolled back on any exception."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def _initialize(self) -> None:
        conn = self._connect()
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            tables.create(conn)
        finally:
            conn.close()
        with self.transaction() as tx:
            if tx.execute("SELECT 1 FROM settings WHERE key = 'seeded'").fetchone() is None:
                tables.seed_account(tx)
            tables.seed_patterns(tx)

    def committed_messages(self, now: float | None = None) -> list[CommittedMessage]:
        """Every committed (outbox id, recipient, text), in sending order.

        With ``now`` (sandbox unix time), only bulks visible by then: a late commit
        (see ``faults``) is stored at once but hidden until its ``visible_at``.
        """
        visible, args = ("", ()) if now is None else ("WHERE o.visible_at <= ? ", (now,))
        with self.transaction() as tx:
            rows = tx.execute(
                "SELECT o.id, r.recipient, o.message FROM recipients r "
                "JOIN outbox o ON o.id = r.outbox_id " + visible + "ORDER BY o.id, r.seq",
                args,
            ).fetchall()
        return [CommittedMessage(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def get_setting(tx: sqlite3.Connection, key: str, default: str = "") -> str:
    row = tx.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return default if row is None else str(row[0])


def set_setting(tx: sqlite3.Connection, key: str, value: str) -> None:
    tx.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def clock_offset(tx: sqlite3.Connection) -> float:
    return float(get_setting(tx, "clock_offset", "0"))


def take_outbox_ids(tx: sqlite3.Connection, count: int) -> list[int]:
    """Reserve ``count`` consecutive outbox ids."""
    first = int(get_setting(tx, "next_outbox_id", str(seed.FIRST_OUTBOX_ID)))
    set_setting(tx, "next_outbox_id", str(first + count))
    return list(range(first, first + count))


def get_credit(tx: sqlite3.Connection, user_id: int) -> tuple[float, float]:
    """The user's credit and when it last changed (unix seconds)."""
    row = tx.execute("SELECT credit, updated_at FROM credit WHERE user_id = ?", (user_id,))
    found = row.fetchone()
    if found is None:
        return 0.0, 0.0
    return float(found[0]), float(found[1])


def set_credit(tx: sqlite3.Connection, user_id: int, credit: float, now: float) -> None:
    tx.execute(
        "INSERT INTO credit (user_id, credit, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET credit = excluded.credit, "
        "updated_at = excluded.updated_at",
        (user_id, credit, now),
    )
