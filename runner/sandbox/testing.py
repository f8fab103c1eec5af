"""Helpers for tests that drive the sandbox in-process: a settable clock and a caller.

``FakeClock`` is the one test clock (of the sandbox and of the CLI's seams): it only
moves when told to.
``call(app, "POST", "/api/send", json={...})`` builds the ``SandboxRequest`` (with
the demo API key unless ``key`` says otherwise) and returns the response.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from runner.sandbox.app import SandboxApp
from runner.sandbox.seed import DEMO_API_KEY
from runner.sandbox.wire import SandboxRequest, SandboxResponse

DEFAULT_START = datetime(2025, 3, 20, 8, 0, 0, tzinfo=timezone.utc)


class FakeClock:
    """Test time: a UTC clock that moves only when told to; ``sleep`` advances it.

    Call it (or ``now()``) for the time; pass it as ``SandboxApp(clock=...)`` and its
    ``sleep`` wherever code would wait, so tests never sleep for real. ``sleeps``
    records every requested pause.
    """

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        self.current = start
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.current

    __call__ = now

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)


def call(
    app: SandboxApp,
    method: str,
    path: str,
    *,
    json: Any = None,
    query: Mapping[str, str] | None = None,
    key: str | None = DEMO_API_KEY,
    body: bytes | None = None,
    content_type: str = "application/json",
) -> SandboxResponse:
    """Send one request to ``app``; ``path`` is relative to the base URL (``/api/...``)."""
    headers = {"Content-Type": content_type, "Accept": "application/json"}
    if key is not None:
        headers["Authorization"] = key
    raw = body if body is not None else b""
    if json is not None:
        raw = jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
    return app.handle(SandboxRequest(method, "/v1" + path, dict(query or {}), headers, raw))


def multipart(fields: Mapping[str, str], files: list[tuple[str, str, bytes]]) -> tuple[str, bytes]:
    """A multipart/form-data body: (content type, bytes). ``files`` are (field, name, bytes)."""
    boundary = "sandbox-boundary-7MA4YWxkTrZu0gW"
    chunks: list[bytes] = []
    for name, value in fields.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for field, filename, content in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
        )
        chunks.append(head.encode() + content + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks)
