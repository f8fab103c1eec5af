"""``SandboxApp``: the IPPanel Edge API simulator, one request in, one response out.

Adapters (the HTTP server in ``server``, the in-process transport in
``runner.api.client``) build a ``SandboxRequest`` and act on the ``SandboxResponse``,
including its ``after_commit`` instruction (see ``wire``). Each API request runs
in one SQLite transaction; an error answer rolls it back, so nothing is stored.
The sandbox clock is ``clock()`` plus an offset kept in the store, so
``advance()`` moves time for every process sharing the state directory.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl

from runner.sandbox import store as db
from runner.sandbox.control import handle_control
from runner.sandbox.faults import Fault, Faults, request_scope
from runner.sandbox.routes import Call, route
from runner.sandbox.store import Store
from runner.sandbox.wire import Reply, SandboxRequest, SandboxResponse, duplicate, fail


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class SandboxApp:
    """The simulator over one state directory; safe to share between threads."""

    def __init__(
        self,
        state_dir: Path,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = Store(state_dir)
        self.faults = Faults(self.store)
        self._clock = clock or _utc_now
        self._sleep = sleep

    def clock_offset(self) -> float:
        with self.store.transaction() as tx:
            return db.clock_offset(tx)

    def now(self) -> datetime:
        """The sandbox's current time: the clock plus the stored offset."""
        return self._clock() + timedelta(seconds=self.clock_offset())

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock forward (for every process using this state)."""
        with self.store.transaction() as tx:
            db.set_setting(tx, "clock_offset", str(db.clock_offset(tx) + seconds))

    def set_credit(self, credit: float, username: str = "demo") -> None:
        with self.store.transaction() as tx:
            row = tx.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
            if row is None:
                raise ValueError(f"no sandbox user {username!r}")
            now = self._clock().timestamp() + db.clock_offset(tx)
            db.set_credit(tx, int(row[0]), float(credit), now)

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer one request, applying any fault that matches it."""
        path, query = _split(request)
        try:
            if path.startswith("/__sandbox__"):
                return handle_control(self, request.method.upper(), path, request.body)
            latency, fault = self.faults.take(request_scope(request.method.upper(), path))
            if latency:
                self._sleep(latency)
            _refuse_before_commit(fault)
            response = self._dispatch(replace(request, path=path, query=query))
        except Reply as reply:
            return reply.response
        return _after_commit(response, fault)

    def _dispatch(self, request: SandboxRequest) -> SandboxResponse:
        try:
            with self.store.transaction() as tx:
                offset = db.clock_offset(tx)
                now = self._clock() + timedelta(seconds=offset)
                return route(Call(tx, request, now))
        except Reply as reply:
            return reply.response
        except sqlite3.Error as err:
            return fail(500, "500-1", f"خطای سرور: {err}").response


def _split(request: SandboxRequest) -> tuple[str, dict[str, str]]:
    """The API path without the ``/v1`` base, and the query merged from both places."""
    path, _, raw_query = request.path.partition("?")
    query = dict(parse_qsl(raw_query))
    query.update(request.query)
    path = path.removeprefix("/v1")
    return (path.rstrip("/") or "/"), query


def _refuse_before_commit(fault: Fault | None) -> None:
    if fault is None:
        return
    if fault.kind == "error_500_before_commit":
        raise fail(500, "500-1", "خطای داخلی سرور")
    if fault.kind == "rate_limit_429":
        raise duplicate()


def _after_commit(response: SandboxResponse, fault: Fault | None) -> SandboxResponse:
    if fault is not None and fault.kind == "drop_after_commit":
        return replace(response, after_commit="drop")
    if fault is not None and fault.kind == "delay_after_commit":
        return replace(response, after_commit="timeout", delay_seconds=fault.seconds)
    return response
