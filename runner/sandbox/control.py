"""The sandbox's own control endpoints under ``/v1/__sandbox__/`` (no auth: local only).

- ``POST /__sandbox__/faults`` ``{"kind", "count"=1, "match"="send", "seconds", "ms"}``
  adds a fault (see ``faults``); ``GET`` lists them; ``DELETE`` clears them all.
- ``GET /__sandbox__/outbox``: every committed ``{"outbox_id", "recipient", "text"}``.
- ``POST /__sandbox__/advance`` ``{"seconds": N}``: move the sandbox clock forward.
- ``GET /__sandbox__/clock``: the sandbox's now and its offset from the real clock.
- ``POST /__sandbox__/credit`` ``{"credit": N}`` (optional ``"username"``, default demo).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from runner.sandbox.wire import SandboxResponse, fail, invalid, ok

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
    if action == "faults":
        return _faults(app, method, body)
    if (method, action) == ("GET", "outbox"):
        rows = [m._asdict() for m in app.store.committed_messages()]
        return ok(rows)
    if (method, action) == ("POST", "advance"):
        app.advance(_number(body, "seconds"))
        return _clock(app)
    if (method, action) == ("GET", "clock"):
        return _clock(app)
    if (method, action) == ("POST", "credit"):
        app.set_credit(_number(body, "credit"), str(body.get("username", "demo")))
        return ok({"credit": _number(body, "credit")})
    raise fail(404, "404-1", f"unknown sandbox control: {method} {path}")


def _number(body: dict[str, Any], key: str) -> float:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid({key: [f"{key} must be a number"]})
    return float(value)


def _clock(app: SandboxApp) -> SandboxResponse:
    now = app.now()
    return ok({"now": now.isoformat(), "offset_seconds": app.clock_offset()})


def _faults(app: SandboxApp, method: str, body: dict[str, Any]) -> SandboxResponse:
    if method == "DELETE":
        app.faults.clear()
        return ok([])
    if method == "POST":
        try:
            fault = app.faults.add(
                str(body.get("kind", "")),
                int(body.get("count", 1)),
                str(body.get("match", "send")),
                seconds=float(body.get("seconds", 0.0)),
                ms=float(body.get("ms", 0.0)),
            )
        except (TypeError, ValueError) as err:
            raise invalid({"kind": [str(err)]}) from err
        return ok(asdict(fault))
    return ok([asdict(f) for f in app.faults.list()])
