"""The sandbox's own control endpoints under ``/v1/__sandbox__/`` (no auth: local only).

- ``POST /__sandbox__/faults`` ``{"kind", "count"=1, "match"="send"}`` plus the kind's
  parameters (``seconds``, ``ms``, ``status``, ``commit``, ``ids``, ``retry_after``;
  see ``faults``) adds a fault; ``GET`` lists them; ``DELETE`` clears them all.
- ``GET /__sandbox__/outbox``: every ``{"outbox_id", "recipient", "text"}`` committed
  and visible at the sandbox's now (a late commit shows once its time has come).
- ``POST /__sandbox__/advance`` ``{"seconds": N}``: move the sandbox clock forward.
- ``GET /__sandbox__/clock``: the sandbox's now and its offset from the real clock.
- ``POST /__sandbox__/credit`` ``{"credit": N}`` (optional ``"username"``, default demo).
- ``POST /__sandbox__/mode`` ``{"api": "current" | "original"}`` switches the API the
  sandbox plays (see ``modes``); ``GET`` says which.
- ``POST /__sandbox__/inbox`` ``{"from", "to", "message", "at"?}``: one message received
  on the account line ``to`` (see ``inbox``); answers its ``messages_inbox_id``.

Bad arguments answer 422 with ``errors`` naming each field (in English: these are
the sandbox's own endpoints, not the API's).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from runner.sandbox.faults import PARAM_CHECKS
from runner.sandbox.wire import BadArguments, SandboxResponse, fail, invalid, ok

if TYPE_CHECKING:
    from runner.sandbox.app import SandboxApp


def handle_control(app: SandboxApp, method: str, path: str, raw: bytes) -> SandboxResponse:
    try:
        body = json.loads(raw) if raw.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = None
    if not isinstance(body, dict):
        raise invalid({"body": ["the body must be a JSON object"]})
    action = path.removeprefix("/__sandbox__").strip("/")
    try:
        return _control(app, method, action, body)
    except BadArguments as err:
        raise invalid(err.errors) from err


def _control(app: SandboxApp, method: str, action: str, body: dict[str, Any]) -> SandboxResponse:
    if action == "faults":
        return _faults(app, method, body)
    if (method, action) == ("GET", "outbox"):
        rows = [m._asdict() for m in app.committed_messages()]
        return ok(rows)
    if (method, action) == ("POST", "advance"):
        app.advance(_number(body, "seconds"))
        return _clock(app)
    if (method, action) == ("GET", "clock"):
        return _clock(app)
    if (method, action) == ("POST", "credit"):
        app.set_credit(_number(body, "credit"), str(body.get("username", "demo")))
        return ok({"credit": _number(body, "credit")})
    if (method, action) == ("POST", "mode"):
        try:
            return ok({"api": app.set_api(body.get("api", ""))})
        except ValueError as err:
            raise BadArguments({"api": [str(err)]}) from err
    if (method, action) == ("GET", "mode"):
        return ok({"api": app.api})
    if (method, action) == ("POST", "inbox"):
        at = _number(body, "at") if body.get("at") is not None else None
        sender, to, message = (body.get(k, "") for k in ("from", "to", "message"))
        return ok({"messages_inbox_id": app.add_inbox(sender, to, message, at)})
    raise fail(404, "404-1", f"unknown sandbox control: {method} /__sandbox__/{action}")


def _number(body: dict[str, Any], key: str) -> float:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadArguments({key: [f"{key} must be a number"]})
    return float(value)


def _clock(app: SandboxApp) -> SandboxResponse:
    now = app.now()
    return ok({"now": now.isoformat(), "offset_seconds": app.clock_offset()})


FAULT_FIELDS = ("kind", "count", "match")


def _faults(app: SandboxApp, method: str, body: dict[str, Any]) -> SandboxResponse:
    if method == "DELETE":
        app.faults.clear()
        return ok([])
    if method == "POST":
        kind = body.get("kind", "")
        params = {k: v for k, v in body.items() if k not in FAULT_FIELDS}
        unknown = sorted(set(params) - set(PARAM_CHECKS))
        if unknown:
            raise BadArguments({k: [f"{k} is not a fault parameter"] for k in unknown})
        count = body.get("count", 1)
        fault = app.faults.add(str(kind), count, str(body.get("match", "send")), **params)
        return ok(asdict(fault))
    return ok([asdict(f) for f in app.faults.list()])
