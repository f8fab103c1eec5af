"""``SandboxApp``: the IPPanel Edge API simulator, one request in, one response out.

Adapters (the HTTP server in ``server``, the in-process transport in
``runner.api.client``) build a ``SandboxRequest`` and act on the ``SandboxResponse``,
including its ``after_commit`` instruction (see ``wire``). Each API request runs
in one SQLite transaction; an error answer rolls it back, so nothing is stored.
A fault that hits the request (see ``faults``) decides whether it runs at all and
what its answer becomes.

The sandbox clock is ``clock()`` plus an offset kept in the store, so ``advance()``
moves time for every process sharing the state directory. So is the API mode
(``api``, see ``modes``): ``SandboxApp(dir, api="original")`` switches the state
directory to the original document's endpoints; ``api=None`` keeps what the state
says (``current`` for a fresh one).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl

from runner.sandbox import inbox, modes
from runner.sandbox import store as db
from runner.sandbox.control import handle_control
from runner.sandbox.fault_store import Faults, request_scope
from runner.sandbox.faults import apply_fault
from runner.sandbox.modes import ApiMode
from runner.sandbox.routes import Call, route
from runner.sandbox.store import CommittedMessage, Store
from runner.sandbox.wire import BadArguments, Reply, SandboxRequest, SandboxResponse, fail


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class SandboxApp:
    """The simulator over one state directory; safe to share between threads."""

    def __init__(
        self,
        state_dir: Path,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        api: ApiMode | str | None = None,
    ) -> None:
        self.store = Store(state_dir)
        self.faults = Faults(self.store)
        self._clock = clock or _utc_now
        self._sleep = sleep
        if api is not None:
            self.set_api(api)

    @property
    def api(self) -> ApiMode:
        """Which API the state directory plays: ``current`` or ``original``."""
        with self.store.transaction() as tx:
            return modes.get_mode(tx)

    def set_api(self, api: ApiMode | str) -> ApiMode:
        """Switch the API mode for every process on this state; ValueError if unknown."""
        checked = modes.check_mode(api)
        with self.store.transaction() as tx:
            return modes.set_mode(tx, checked)

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

    def add_inbox(self, sender: str, to: str, message: str, at: float | None = None) -> int:
        """A message from mobile ``sender`` to the account line ``to``; returns its inbox id.

        ``at`` (unix seconds, default the sandbox's now) may not be in the future.
        Raises ``BadArguments`` (a ValueError) naming each bad field.
        """
        with self.store.transaction() as tx:
            now = self._clock().timestamp() + db.clock_offset(tx)
            if at is not None and (isinstance(at, bool) or not isinstance(at, (int, float))):
                raise BadArguments({"at": ["at must be unix seconds"]})
            if at is not None and at > now:
                raise BadArguments({"at": ["at must not be after the sandbox's now"]})
            return inbox.add_message(tx, sender, to, message, now if at is None else float(at))

    def committed_messages(self) -> list[CommittedMessage]:
        """What the API shows as committed at the sandbox's now (late commits hidden)."""
        return self.store.committed_messages(self.now().timestamp())

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer one request, applying any fault that matches it."""
        path, query = _split(request)
        try:
            if path.startswith("/__sandbox__"):
                return handle_control(self, request.method.upper(), path, request.body)
            latency, fault = self.faults.take(request_scope(request.method.upper(), path))
            if latency:
                self._sleep(latency)
            api_request = replace(request, path=path, query=query)
            if fault is None:
                return self._dispatch(api_request, 0.0)
            return apply_fault(fault, lambda delay: self._dispatch(api_request, delay))
        except Reply as reply:
            return reply.response

    def _dispatch(self, request: SandboxRequest, commit_delay: float) -> SandboxResponse:
        try:
            with self.store.transaction() as tx:
                offset = db.clock_offset(tx)
                now = self._clock() + timedelta(seconds=offset)
                return route(Call(tx, request, now, modes.get_mode(tx), commit_delay))
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
