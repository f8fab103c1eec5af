"""Where faults live: rows in the state database, added, listed, cleared and consumed.

Storing them in SQLite lets a CLI subprocess see the faults a test set. The kinds,
their parameters and their effects are in ``faults``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from runner.sandbox.faults import (
    FAULT_MATCHES,
    Fault,
    FaultKind,
    FaultMatch,
    check_params,
)
from runner.sandbox.store import Store
from runner.sandbox.wire import BadArguments

FAULT_COLUMNS = "id, kind, match, remaining, seconds, ms, status, commits, ids, retry_after"


def request_scope(method: str, path: str) -> str | None:
    """Which ``match`` group an API path belongs to (``None`` for the sandbox controls)."""
    if path.startswith("/__sandbox__"):
        return None
    if method == "POST" and path.rstrip("/") == "/api/send":
        return "send"
    if path.startswith("/api/report"):
        return "report"
    return "other"


def _checked(
    kind: FaultKind | str, count: int, match: FaultMatch | str, given: Mapping[str, object]
) -> dict[str, object]:
    """The parameters ``given`` as the kind takes them; ``BadArguments`` names every bad field."""
    errors: dict[str, list[str]] = {}
    if match not in FAULT_MATCHES:
        errors["match"] = [f"unknown fault match {match!r}; expected one of {FAULT_MATCHES}"]
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        errors["count"] = ["count must be 0 (until cleared) or more"]
    values: dict[str, object] = {}
    try:
        values = check_params(str(kind), given)
    except BadArguments as err:
        errors.update(err.errors)
    if errors:
        raise BadArguments(errors)
    return values


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
        seconds: float | None = None,
        ms: float | None = None,
        status: int | None = None,
        commit: bool | None = None,
        ids: int | None = None,
        retry_after: int | None = None,
    ) -> Fault:
        """Switch a fault on; pass only the parameters its kind takes (see ``faults``).

        Raises ``BadArguments`` (a ValueError naming each bad field) for an unknown
        kind or match, a bad count, or a parameter the kind lacks or cannot take.
        """
        params = {
            "seconds": seconds,
            "ms": ms,
            "status": status,
            "commit": commit,
            "ids": ids,
            "retry_after": retry_after,
        }
        given = {name: value for name, value in params.items() if value is not None}
        columns = {"seconds": 0.0, "ms": 0.0, **_checked(kind, count, match, given)}
        if "commit" in columns:
            columns["commits"] = int(bool(columns.pop("commit")))
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        with self._store.transaction() as tx:
            cursor = tx.execute(
                f"INSERT INTO faults (kind, match, remaining, {names}) VALUES (?, ?, ?, {marks})",
                (kind, match, count or None, *columns.values()),
            )
            stored = tx.execute(
                f"SELECT {FAULT_COLUMNS} FROM faults WHERE id = ?", (cursor.lastrowid,)
            ).fetchone()
        return Fault.from_row(stored)

    def list(self) -> list[Fault]:
        with self._store.transaction() as tx:
            rows = tx.execute(f"SELECT {FAULT_COLUMNS} FROM faults ORDER BY id").fetchall()
        return [Fault.from_row(row) for row in rows]

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
            rows = tx.execute(f"SELECT {FAULT_COLUMNS} FROM faults ORDER BY id").fetchall()
            hits = [Fault.from_row(row) for row in rows if row["match"] in ("any", scope)]
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
