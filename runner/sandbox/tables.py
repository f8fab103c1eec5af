"""The sandbox database's tables, their in-place upgrades, and the seed account.

A state directory made by an older sandbox is upgraded when opened: each column in
``ADDED_COLUMNS`` that a table lacks is added and back-filled once, and seed rows
added since (patterns) are inserted if missing. Nothing is ever dropped except the
40-second duplicate fingerprints, which are transient by nature.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from runner.sandbox import lifecycle, seed

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL, password TEXT NOT NULL,
    name TEXT NOT NULL, method TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (key TEXT PRIMARY KEY, user_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, user_id INTEGER NOT NULL, kind TEXT NOT NULL,
    expires_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS numbers (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, number TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS patterns (
    code TEXT PRIMARY KEY, user_id INTEGER NOT NULL, text TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active', variables TEXT, title TEXT);
CREATE TABLE IF NOT EXISTS credit (
    user_id INTEGER PRIMARY KEY, credit REAL NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, sending_type TEXT NOT NULL,
    sender TEXT NOT NULL, number_id INTEGER, message TEXT NOT NULL, parts INTEGER NOT NULL,
    encoding TEXT NOT NULL, rcpts INTEGER NOT NULL, cost REAL NOT NULL,
    created_at REAL NOT NULL, send_at REAL, review INTEGER NOT NULL, verdict TEXT NOT NULL,
    cancelled_at REAL, summary TEXT, visible_at REAL);
CREATE INDEX IF NOT EXISTS outbox_user_created ON outbox (user_id, created_at);
CREATE TABLE IF NOT EXISTS recipients (
    outbox_id INTEGER NOT NULL, seq INTEGER NOT NULL, recipient TEXT NOT NULL,
    operator TEXT, outcome INTEGER,
    PRIMARY KEY (outbox_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS send_fingerprints (digest TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS send_fingerprints_digest ON send_fingerprints (digest, at);
DROP TABLE IF EXISTS fingerprints;
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, match TEXT NOT NULL,
    remaining INTEGER, seconds REAL NOT NULL, ms REAL NOT NULL,
    status INTEGER, commits INTEGER, ids INTEGER, retry_after INTEGER);
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, sender TEXT NOT NULL,
    number TEXT NOT NULL, message TEXT NOT NULL, time REAL NOT NULL);
"""


def _backfill_outcomes(tx: sqlite3.Connection) -> None:
    """Operator and outcome of recipients stored before they were columns."""
    rows = tx.execute("SELECT outbox_id, seq, recipient FROM recipients").fetchall()
    tx.executemany(
        "UPDATE recipients SET operator = ?, outcome = ? WHERE outbox_id = ? AND seq = ?",
        [(lifecycle.operator(r[2]), lifecycle.outcome(r[2], int(r[0])), r[0], r[1]) for r in rows],
    )


@dataclass(frozen=True)
class AddedColumn:
    """A column newer sandboxes have; ``backfill`` fills it in an older database once."""

    table: str
    column: str
    declaration: str
    backfill: Callable[[sqlite3.Connection], object] | None = None


ADDED_COLUMNS: tuple[AddedColumn, ...] = (
    AddedColumn(
        "outbox",
        "visible_at",
        "REAL",
        lambda tx: tx.execute("UPDATE outbox SET visible_at = created_at"),
    ),
    AddedColumn("recipients", "operator", "TEXT"),
    AddedColumn("recipients", "outcome", "INTEGER", _backfill_outcomes),
    AddedColumn("patterns", "status", "TEXT NOT NULL DEFAULT 'active'"),
    AddedColumn("patterns", "variables", "TEXT"),
    AddedColumn("patterns", "title", "TEXT"),
    AddedColumn("faults", "status", "INTEGER"),
    AddedColumn("faults", "commits", "INTEGER"),
    AddedColumn("faults", "ids", "INTEGER"),
    AddedColumn("faults", "retry_after", "INTEGER"),
)


def create(conn: sqlite3.Connection) -> None:
    """Create missing tables; add and back-fill columns an older database lacks."""
    conn.executescript(SCHEMA)
    for added in ADDED_COLUMNS:
        if _has_column(conn, added):
            continue
        # Checked again under the write lock: another process may be upgrading too.
        conn.execute("BEGIN IMMEDIATE")
        try:
            if not _has_column(conn, added):
                sql = f"ALTER TABLE {added.table} ADD COLUMN {added.column} {added.declaration}"
                conn.execute(sql)
                if added.backfill is not None:
                    added.backfill(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def _has_column(conn: sqlite3.Connection, added: AddedColumn) -> bool:
    return any(row[1] == added.column for row in conn.execute(f"PRAGMA table_info({added.table})"))


def seed_account(tx: sqlite3.Connection) -> None:
    """Fill a fresh database with the account in ``seed``."""
    for user in seed.USERS:
        tx.execute(
            "INSERT INTO users (id, username, password, name, method) VALUES (?, ?, ?, ?, ?)",
            (user.user_id, user.username, user.password, user.name, user.method),
        )
        tx.execute(
            "INSERT INTO credit (user_id, credit, updated_at) VALUES (?, ?, 0)",
            (user.user_id, seed.START_CREDIT),
        )
    tx.execute(
        "INSERT INTO api_keys (key, user_id) VALUES (?, ?)", (seed.DEMO_API_KEY, seed.DEMO_USER_ID)
    )
    tx.executemany(
        "INSERT INTO numbers (id, user_id, number) VALUES (?, ?, ?)",
        [(nid, seed.DEMO_USER_ID, number) for nid, number in seed.SENDER_NUMBERS],
    )
    for key, value in (
        ("next_outbox_id", str(seed.FIRST_OUTBOX_ID)),
        ("clock_offset", "0"),
        ("seeded", "1"),
    ):
        tx.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (key, value))


def seed_patterns(tx: sqlite3.Connection) -> None:
    """Add seed patterns that are missing, and give older rows their variables."""
    for pattern in seed.PATTERNS:
        variables = json.dumps(
            [{"name": v.name, "type": v.type, "len": v.length} for v in pattern.variables]
        )
        tx.execute(
            "INSERT INTO patterns (code, user_id, text, status, variables, title) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET "
            "variables = excluded.variables, status = excluded.status, title = excluded.title "
            "WHERE patterns.variables IS NULL",
            (
                pattern.code,
                seed.DEMO_USER_ID,
                pattern.text,
                pattern.status,
                variables,
                pattern.title,
            ),
        )
