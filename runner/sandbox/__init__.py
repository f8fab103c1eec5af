"""The built-in IPPanel Edge API simulator (``--sandbox`` and ``ippanel-run sandbox``).

``SandboxApp(state_dir, clock=None, sleep=time.sleep, api=None).handle(SandboxRequest)``
answers one request; ``server.serve`` / ``server.start_in_thread`` serve it over HTTP.
Seed data (API key, users, sender lines, patterns) is in ``seed``; fault kinds in
``faults`` (stored by ``fault_store``); the ``/v1/__sandbox__/`` control endpoints in
``control``; the API modes (``current``, or only the ``original`` document's
endpoints: ``API_MODES``, ``SandboxApp(..., api=...)``, ``set_api``) in ``modes``;
a fake clock and a request helper for tests in ``testing``.

Endpoints by module: ``auth`` (login flows), ``send`` with ``send_types``,
``postal`` and ``patterns`` (``POST /api/send``), ``account`` (credit,
price, cancel), ``reports`` (outbox reports), ``patterns`` (pattern list / by code),
``inbox`` (received messages; ``SandboxApp.add_inbox`` fills it), ``routes`` (which
handler answers which path). State lives in SQLite (``store``, ``tables``).
"""

from __future__ import annotations

from runner.sandbox.app import SandboxApp
from runner.sandbox.fault_store import Faults
from runner.sandbox.faults import FAULT_KINDS, Fault, FaultKind, FaultMatch
from runner.sandbox.modes import API_MODES, DEFAULT_API_MODE, ApiMode
from runner.sandbox.seed import (
    DEMO_API_KEY,
    DEMO_USER_ID,
    GA_OTP,
    IN_PROCESS_BASE_URL,
    SMS_OTP,
)
from runner.sandbox.store import CommittedMessage, Store
from runner.sandbox.wire import (
    AfterCommit,
    BadArguments,
    SandboxRequest,
    SandboxResponse,
    header,
)

__all__ = [
    "API_MODES",
    "DEFAULT_API_MODE",
    "DEMO_API_KEY",
    "DEMO_USER_ID",
    "FAULT_KINDS",
    "GA_OTP",
    "IN_PROCESS_BASE_URL",
    "SMS_OTP",
    "AfterCommit",
    "ApiMode",
    "BadArguments",
    "CommittedMessage",
    "Fault",
    "FaultKind",
    "FaultMatch",
    "Faults",
    "SandboxApp",
    "SandboxRequest",
    "SandboxResponse",
    "Store",
    "header",
]
