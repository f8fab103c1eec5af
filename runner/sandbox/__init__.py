"""The built-in IPPanel Edge API simulator (``--sandbox`` and ``ippanel-run sandbox``).

``SandboxApp(state_dir, clock=None, sleep=time.sleep).handle(SandboxRequest)`` answers
one request; ``server.serve`` / ``server.start_in_thread`` serve it over HTTP.
Seed data (API key, users, sender lines, patterns) is in ``seed``; fault kinds in
``faults``; the ``/v1/__sandbox__/`` control endpoints in ``control``; a fake clock
and a request helper for tests in ``testing``.
"""

from __future__ import annotations

from runner.sandbox.app import SandboxApp
from runner.sandbox.fault_store import Faults
from runner.sandbox.faults import FAULT_KINDS, Fault, FaultKind, FaultMatch
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
    "DEMO_API_KEY",
    "DEMO_USER_ID",
    "FAULT_KINDS",
    "GA_OTP",
    "IN_PROCESS_BASE_URL",
    "SMS_OTP",
    "AfterCommit",
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
