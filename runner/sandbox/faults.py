"""Fault injection: failures a test or a user switches on while the sandbox runs.

Faults are rows in the state database, so a CLI subprocess sees faults a test set.
Each fault affects ``count`` matching requests (0 = until cleared). ``match`` picks
the requests: ``"send"`` is ``POST /api/send``, ``"report"`` any ``/api/report/...``
path, ``"any"`` every API path (the ``__sandbox__`` controls are never affected).

Kinds (parameters and their defaults in brackets):
- ``error_500_before_commit``: answer 500, store nothing.
- ``rate_limit_429`` [``retry_after``: none]: answer 429 (the duplicate-request
  body), store nothing; with ``retry_after`` (whole seconds) add a ``Retry-After``.
- ``drop_after_commit``: process and commit, then close the connection unanswered.
- ``delay_after_commit`` [``seconds``: 0]: process and commit, then wait ``seconds``
  before answering.
- ``late_commit`` [``seconds``: required]: the API is slow to commit. The send is
  validated and stored at once, but dated ``seconds`` ahead: no report, no
  ``__sandbox__/outbox`` and no duplicate check sees it until the sandbox clock gets
  there. The answer waits ``seconds`` (the client times out).
- ``gateway_html`` [``status``: 502, ``commit``: true]: a gateway in front of the
  API answers an HTML page with ``status``, after the API committed the request
  (``commit``), or without it reaching the API (nothing stored).
- ``empty_body`` [``status``: 200, ``commit``: true]: the same with an empty body.
- ``wrong_id_count`` [``ids``: 0]: commit normally, but a send's answer lists only
  its first ``ids`` outbox ids.
- ``slow_body`` [``seconds``: required]: commit, then the HTTP server sends the answer
  one byte every ``seconds`` (to test an overall deadline); in-process it is a
  timeout after the commit.
- ``latency`` [``ms``: 0]: wait ``ms`` milliseconds before processing; the answer is
  normal. Every matching latency fault adds up, and may combine with one other fault.

What an adapter must do is carried by ``SandboxResponse`` (see ``wire``). The
faults themselves are stored and consumed by ``fault_store.Faults``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Literal, get_args

from runner.sandbox.wire import BadArguments, SandboxResponse, duplicate, fail

FaultKind = Literal[
    "error_500_before_commit",
    "drop_after_commit",
    "delay_after_commit",
    "rate_limit_429",
    "latency",
    "late_commit",
    "gateway_html",
    "empty_body",
    "wrong_id_count",
    "slow_body",
]
FaultMatch = Literal["send", "report", "any"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
FAULT_MATCHES: tuple[str, ...] = get_args(FaultMatch)


@dataclass(frozen=True)
class Fault:
    """One active fault; ``remaining`` is None when it lasts until cleared.

    Parameters a kind does not take are None (``seconds`` and ``ms`` are 0).
    """

    id: int
    kind: str
    match: str
    remaining: int | None
    seconds: float = 0.0
    ms: float = 0.0
    status: int | None = None
    commit: bool | None = None
    ids: int | None = None
    retry_after: int | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Fault:
        commits = row["commits"]
        return cls(
            id=int(row["id"]),
            kind=str(row["kind"]),
            match=str(row["match"]),
            remaining=row["remaining"],
            seconds=float(row["seconds"]),
            ms=float(row["ms"]),
            status=row["status"],
            commit=None if commits is None else bool(commits),
            ids=row["ids"],
            retry_after=row["retry_after"],
        )


# Runs the request for real; the argument is how many seconds late its commit is.
Proceed = Callable[[float], SandboxResponse]
Effect = Callable[[Fault, Proceed], SandboxResponse]


def _error_500(fault: Fault, proceed: Proceed) -> SandboxResponse:
    return fail(500, "500-1", "خطای داخلی سرور").response


def _rate_limit(fault: Fault, proceed: Proceed) -> SandboxResponse:
    response = duplicate().response
    if fault.retry_after is None:
        return response
    return replace(response, headers={**response.headers, "Retry-After": str(fault.retry_after)})


def _drop(fault: Fault, proceed: Proceed) -> SandboxResponse:
    return replace(proceed(0.0), after_commit="drop")


def _delay(fault: Fault, proceed: Proceed) -> SandboxResponse:
    return replace(proceed(0.0), after_commit="timeout", delay_seconds=fault.seconds)


def _late_commit(fault: Fault, proceed: Proceed) -> SandboxResponse:
    return replace(proceed(fault.seconds), after_commit="timeout", delay_seconds=fault.seconds)


def _gateway_html(fault: Fault, proceed: Proceed) -> SandboxResponse:
    if fault.commit:
        proceed(0.0)
    status = fault.status or HTTPStatus.BAD_GATEWAY
    page = f"<html><body><h1>{status} {HTTPStatus(status).phrase}</h1></body></html>"
    return SandboxResponse(status, page.encode(), {"Content-Type": "text/html"})


def _empty_body(fault: Fault, proceed: Proceed) -> SandboxResponse:
    if fault.commit:
        proceed(0.0)
    return SandboxResponse(fault.status or 200, b"", {"Content-Type": "application/json"})


def _wrong_id_count(fault: Fault, proceed: Proceed) -> SandboxResponse:
    response = proceed(0.0)
    payload = response.json() if response.status == 200 else None
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or "message_outbox_ids" not in data:
        return response  # not a send's answer: nothing to cut
    data["message_outbox_ids"] = data["message_outbox_ids"][: fault.ids or 0]
    return replace(response, body=json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def _slow_body(fault: Fault, proceed: Proceed) -> SandboxResponse:
    return replace(proceed(0.0), after_commit="timeout", byte_seconds=fault.seconds)


def _latency(fault: Fault, proceed: Proceed) -> SandboxResponse:
    return proceed(0.0)  # the wait itself is taken before processing (``Faults.take``)


REQUIRED = object()


@dataclass(frozen=True)
class KindSpec:
    """A fault kind: the parameters it takes (name → default or ``REQUIRED``), its effect."""

    params: Mapping[str, object]
    effect: Effect


KINDS: dict[str, KindSpec] = {
    "error_500_before_commit": KindSpec({}, _error_500),
    "rate_limit_429": KindSpec({"retry_after": None}, _rate_limit),
    "drop_after_commit": KindSpec({}, _drop),
    "delay_after_commit": KindSpec({"seconds": 0.0}, _delay),
    "late_commit": KindSpec({"seconds": REQUIRED}, _late_commit),
    "gateway_html": KindSpec({"status": 502, "commit": True}, _gateway_html),
    "empty_body": KindSpec({"status": 200, "commit": True}, _empty_body),
    "wrong_id_count": KindSpec({"ids": 0}, _wrong_id_count),
    "slow_body": KindSpec({"seconds": REQUIRED}, _slow_body),
    "latency": KindSpec({"ms": 0.0}, _latency),
}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# Each parameter's check, and what a bad value is told.
PARAM_CHECKS: dict[str, tuple[Callable[[object], bool], str]] = {
    "seconds": (_is_number, "a number of seconds, 0 or more"),
    "ms": (_is_number, "a number of milliseconds, 0 or more"),
    "status": (
        lambda v: _is_count(v) and 100 <= v <= 599,  # type: ignore[operator]
        "an HTTP status between 100 and 599",
    ),
    "commit": (lambda v: isinstance(v, bool), "true or false"),
    "ids": (_is_count, "a whole number, 0 or more"),
    "retry_after": (_is_count, "whole seconds, 0 or more"),
}


def check_params(kind: str, given: Mapping[str, object]) -> dict[str, object]:
    """The kind's parameters with defaults filled in; BadArguments names each bad one."""
    spec = KINDS.get(kind)
    if spec is None:
        raise BadArguments(
            {"kind": [f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}"]}
        )
    errors: dict[str, list[str]] = {}
    for name in given:
        if name not in spec.params:
            errors[name] = [f"{name} does not apply to {kind}"]
    values: dict[str, object] = {}
    for name, default in spec.params.items():
        value = given.get(name, default)
        if value is REQUIRED:
            errors[name] = [f"{name} is required for {kind}"]
        elif value is not None and not PARAM_CHECKS[name][0](value):
            errors[name] = [f"{name} must be {PARAM_CHECKS[name][1]}, not {value!r}"]
        else:
            values[name] = value
    if errors:
        raise BadArguments(errors)
    return values


def apply_fault(fault: Fault, proceed: Proceed) -> SandboxResponse:
    """The answer to a request that ``fault`` hit; ``proceed`` runs the request itself."""
    return KINDS[fault.kind].effect(fault, proceed)
