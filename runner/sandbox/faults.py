"""Fault injection: failures a test or a user switches on while the sandbox runs.

Faults are rows in the state database, so a CLI subprocess sees faults a test set.
Each fault affects ``count`` matching requests (0 = until cleared). ``match`` picks
the requests: ``"send"`` is ``POST /api/send``, ``"report"`` any ``/api/report/...``
path, ``"any"`` every API path (the ``__sandbox__`` controls are never affected).

Kinds:
- ``error_500_before_commit``: answer 500, store nothing.
- ``rate_limit_429``: answer 429 (the duplicate-request body), store nothing.
- ``drop_after_commit``: process and commit, then close the connection unanswered.
- ``delay_after_commit``: process and commit, then wait ``seconds`` before answering.
- ``latency``: wait ``ms`` milliseconds before processing; the answer is normal.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Literal, get_args

from runner.sandbox.store import Store

FaultKind = Literal[
    "error_500_before_commit",
    "drop_after_commit",
    "delay_after_commit",
    "rate_limit_429",
    "latency",
]
FaultMatch = Literal["send", "report", "any"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
FAULT_MATCHES: tuple[str, ...] = get_args(FaultMatch)


@dataclass(frozen=True)
class Fault:
    """One active fault; ``remaining`` is None when it lasts until cleared."""

    id: int
    kind: str
    match: str
    remaining: int | None
    seconds: float = 0.0
    ms: float = 0.0


def request_scope(method: str, path: str) -> str | None:
    """Which ``match`` group an API path belongs to (``None`` for the sandbox controls)."""
    if path.startswith("/__sandbox__"):
        return None
    if method == "POST" and path.rstrip("/") == "/api/send":
        return "send"
    if path.startswith("/api/report"):
        return "report"
    return "other"


class Faults:
    """Add, list, clear and consume faults in a sandbox's store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(
        self,
        kind: FaultKind | str,
        count: int = 1,
        match: FaultMatch | str = "send",
        *,
        seconds: float = 0.0,
        ms: float = 0.0,
    ) -> Fault:
        """Switch a fault on; raises ValueError for an unknown kind, match or count."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if match not in FAULT_MATCHES:
            raise ValueError(f"unknown fault match {match!r}; expected one of {FAULT_MATCHES}")
        if count < 0:
            raise ValueError("count must be 0 (until cleared) or more")
        remaining = count or None
        with self._store.transaction() as tx:
            cursor = tx.execute(
                "INSERT INTO faults (kind, match, remaining, seconds, ms) VALUES (?, ?, ?, ?, ?)",
                (kind, match, remaining, float(seconds), float(ms)),
            )
            fault_id = int(cursor.lastrowid or 0)
        return Fault(fault_id, kind, match, remaining, float(seconds), float(ms))

    def list(self) -> list[Fault]:
        with self._store.transaction() as tx:
            rows = tx.execute(
                "SELECT id, kind, match, remaining, seconds, ms FROM faults ORDER BY id"
            ).fetchall()
        return [Fault(*row) for row in rows]

    def clear(self) -> None:
        with self._store.transaction() as tx:
            tx.execute("DELETE FROM faults")

    def take(self, scope: str | None) -> tuple[float, Fault | None]:
        """Consume the faults that hit a request in ``scope``.

        Returns the latency to add (seconds, every matching ``latency`` fault) and the
        first other matching fault, each used up by one.
        """
        if scope is None:
            return 0.0, None
        with self._store.transaction() as tx:
            rows = tx.execute(
                "SELECT id, kind, match, remaining, seconds, ms FROM faults ORDER BY id"
            ).fetchall()
            hits = [Fault(*row) for row in rows if row["match"] in ("any", scope)]
            latency = [f for f in hits if f.kind == "latency"]
            other = next((f for f in hits if f.kind != "latency"), None)
            for fault in [*latency, *([other] if other else [])]:
                _use_once(tx, fault)
        return sum(f.ms for f in latency) / 1000.0, other


def _use_once(tx: sqlite3.Connection, fault: Fault) -> None:
    if fault.remaining is None:
        return
    if fault.remaining <= 1:
        tx.execute("DELETE FROM faults WHERE id = ?", (fault.id,))
    else:
        tx.execute("UPDATE faults SET remaining = remaining - 1 WHERE id = ?", (fault.id,))
