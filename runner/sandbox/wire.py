"""Requests, responses and the API's JSON envelope, as the sandbox speaks them.

``SandboxResponse.after_commit`` tells the adapter what to do once the request is
committed: ``None`` answer normally (whatever the status, headers and body are:
an HTML page or an empty body from the gateway faults included); ``"drop"`` close
the connection without an answer (the in-process adapter raises a transport
error); ``"timeout"`` the client must not get the answer in time: the HTTP server
waits ``delay_seconds`` before answering, and with ``byte_seconds`` > 0 then
writes the body one byte every ``byte_seconds``; the in-process adapter raises a
read timeout at once. Handlers stop early by raising ``Reply`` with a finished
response.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

AfterCommit = Literal["drop", "timeout"]

OK_MESSAGE = "انجام شد"
UNAUTHORIZED_MESSAGE = "اطلاعات وارد شده صحیح نمی باشد"
DUPLICATE_MESSAGE = "درخواست تکراری است"


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Look ``name`` up in ``headers`` ignoring case, as HTTP does."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


@dataclass(frozen=True)
class SandboxRequest:
    """One HTTP request: ``path`` without the query string, ``query`` already decoded."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return header(self.headers, name)


@dataclass(frozen=True)
class SandboxResponse:
    """One answer, plus what the adapter must do after the commit (see module docstring)."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    after_commit: AfterCommit | None = None
    delay_seconds: float = 0.0
    byte_seconds: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body)


class BadArguments(ValueError):
    """Bad arguments to a sandbox control (Python or ``/__sandbox__``): field → messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = dict(errors)


class Reply(Exception):
    """Raised by a handler to answer at once (errors, mostly)."""

    def __init__(self, response: SandboxResponse) -> None:
        super().__init__(response.status)
        self.response = response


def json_response(status: int, payload: Any) -> SandboxResponse:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return SandboxResponse(status, body, {"Content-Type": "application/json"})


def meta(message: str = OK_MESSAGE, *, parameters: bool = True) -> dict[str, Any]:
    """A success ``meta``; some documented endpoints omit ``message_parameters``."""
    out: dict[str, Any] = {"status": True, "message": message}
    if parameters:
        out["message_parameters"] = []
    out["message_code"] = "200-1"
    return out


def ok(data: Any, message: str = OK_MESSAGE, *, parameters: bool = True) -> SandboxResponse:
    return json_response(200, {"data": data, "meta": meta(message, parameters=parameters)})


def fail(
    status: int, code: str, message: str, errors: Mapping[str, list[str]] | None = None
) -> Reply:
    """An error envelope wrapped in ``Reply``, ready to ``raise``."""
    payload = {
        "data": None,
        "meta": {
            "status": False,
            "message": message,
            "message_parameters": [],
            "message_code": code,
            "errors": dict(errors or {}),
        },
    }
    return Reply(json_response(status, payload))


def unauthorized() -> Reply:
    return fail(401, "400-1", UNAUTHORIZED_MESSAGE)


def duplicate() -> Reply:
    return fail(429, "429-1", DUPLICATE_MESSAGE)


def invalid(errors: Mapping[str, list[str]]) -> Reply:
    """422 ``400-2``: ``meta.message`` is the first error, plus how many more there are."""
    messages = [message for field_messages in errors.values() for message in field_messages]
    first = messages[0] if messages else "درخواست معتبر نیست"
    more = len(messages) - 1
    message = f"{first} (و {more} خطای دیگر)" if more > 0 else first
    return fail(422, "400-2", message, errors)


def not_found(message: str = "یافت نشد", code: str = "404-1") -> Reply:
    return fail(404, code, message)


def paged(
    rows: list[Any],
    *,
    page: int,
    per_page: int,
    total: int,
    path: str,
    message: str = OK_MESSAGE,
) -> SandboxResponse:
    """A Laravel-paginated list, with the paging fields inside ``meta`` as the API does."""
    last_page = max(1, -(-total // per_page))
    first = (page - 1) * per_page + 1
    meta_out: dict[str, Any] = {
        "current_page": page,
        "from": first if rows else None,
        "last_page": last_page,
        "path": path,
        "per_page": per_page,
        "to": first + len(rows) - 1 if rows else None,
        "total": total,
        "status": True,
        "message": message,
        "message_code": "200-1",
    }
    return json_response(200, {"data": rows, "meta": meta_out})
