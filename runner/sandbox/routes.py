"""Which handler answers which ``METHOD /api/...`` path, and what every handler gets.

Paths are templates (``/api/patterns/{code}``); a template's ``{name}`` parts reach
the handler as ``Call.path_args``. Every endpoint except the three login steps
needs a valid credential, checked before the body is validated (so a bad key is a
401 even with a bad body). In the ``original`` API mode (see ``modes``) only the
original document's endpoints exist; the others answer 404 like an unknown path.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from runner.sandbox import account, auth, inbox, modes, patterns, reports
from runner.sandbox.multipart import Body, parse_body
from runner.sandbox.send import SendContext, handle_send
from runner.sandbox.send_types import PARSERS
from runner.sandbox.wire import SandboxRequest, SandboxResponse, fail, not_found, paged

NOT_FOUND = "مسیر یافت نشد"


@dataclass
class Call:
    """One API request inside its transaction, at the sandbox's ``now``."""

    tx: sqlite3.Connection
    request: SandboxRequest
    now: datetime
    api: str = modes.DEFAULT_API_MODE
    commit_delay: float = 0.0
    path_args: dict[str, str] = field(default_factory=dict)

    @property
    def unix(self) -> float:
        return self.now.timestamp()

    @cached_property
    def body(self) -> Body:
        return parse_body(self.request.header("Content-Type"), self.request.body)

    @property
    def fields(self) -> dict[str, Any]:
        return self.body.fields

    @cached_property
    def user(self) -> sqlite3.Row:
        return auth.authenticate(self.tx, self.request, self.unix)

    @property
    def user_id(self) -> int:
        return int(self.user["id"])


def _send(call: Call) -> SandboxResponse:
    rows = call.tx.execute("SELECT id, number FROM numbers WHERE user_id = ?", (call.user_id,))
    numbers = {str(r["number"]): int(r["id"]) for r in rows}
    ctx = SendContext(call.tx, call.user_id, call.now, numbers, call.commit_delay)
    parsers = {k: p for k, p in PARSERS.items() if modes.serves_sending_type(call.api, k)}
    return handle_send(ctx, call.body, parsers)


def _numbers(call: Call) -> SandboxResponse:
    """The account's lines, Laravel-paged (``page``, ``per_page``; default 10 a page)."""
    page, per_page = reports.paging(call.request.query, "per_page")
    (total,) = call.tx.execute(
        "SELECT count(*) FROM numbers WHERE user_id = ?", (call.user_id,)
    ).fetchone()
    rows = call.tx.execute(
        "SELECT id, number FROM numbers WHERE user_id = ? ORDER BY id LIMIT ? OFFSET ?",
        (call.user_id, per_page, (page - 1) * per_page),
    ).fetchall()
    data = [
        {
            "id": r["id"],
            "number": r["number"],
            "operator_id": 1,
            "alias": None,
            "gets": 0,
            "is_66_char": 0,
        }
        for r in rows
    ]
    path = call.request.path
    return paged(data, page=page, per_page=per_page, total=total, path=path, message="Success")


def _by_bulk(call: Call) -> SandboxResponse:
    outbox_id = call.path_args.get("id", call.request.query.get("messages_outbox_id"))
    return reports.by_bulk(call.tx, call.user_id, outbox_id, call.unix)


Handler = Callable[[Call], SandboxResponse]
PUBLIC: dict[str, Handler] = {
    "/api/acl/auth/login": lambda c: auth.login(c.tx, c.fields, c.unix),
    "/api/acl/auth/send_sms_otp": lambda c: auth.send_sms_otp(c.tx, c.fields, c.unix),
    "/api/acl/auth/confirm_otp": lambda c: auth.confirm_otp(c.tx, c.fields, c.unix),
}
ROUTES: dict[tuple[str, str], Handler] = {
    **{("POST", path): handler for path, handler in PUBLIC.items()},
    ("POST", "/api/acl/auth/check_token"): lambda c: auth.check_token(c.user),
    ("GET", "/api/acl/auth/check_token"): lambda c: auth.check_token(c.user),
    ("POST", "/api/acl/auth/logout"): lambda c: auth.logout(c.tx, c.request),
    ("POST", "/api/send"): _send,
    ("POST", "/api/send/calculate-price"): lambda c: account.calculate_price(
        c.tx, c.user_id, c.fields
    ),
    ("POST", "/api/send/cancel"): lambda c: account.cancel(c.tx, c.user_id, c.fields, c.unix),
    ("GET", "/api/payment/credit/mine"): lambda c: account.credit_mine(c.tx, c.user_id),
    ("GET", "/api/number/numbers"): _numbers,
    ("GET", "/api/numbers"): _numbers,
    ("POST", "/api/report/new_list"): lambda c: reports.new_list(c.tx, c.user_id, c.fields, c.unix),
    ("GET", "/api/report/by_bulk"): _by_bulk,
    ("POST", "/api/report/by_bulk"): _by_bulk,
    ("POST", "/api/report/by_bulk/{id}"): _by_bulk,
    ("GET", "/api/report/bulk_stats"): lambda c: reports.bulk_stats(
        c.tx, c.user_id, c.request.query, c.unix
    ),
    ("GET", "/api/report/recipients"): lambda c: reports.recipients(
        c.tx, c.user_id, c.request.query, c.unix
    ),
    ("POST", "/api/report/messages-inbox"): lambda c: inbox.messages_inbox(
        c.tx, c.user_id, c.fields
    ),
    ("GET", "/api/patterns"): lambda c: patterns.list_patterns(c.tx, c.user, c.request.query),
    ("GET", "/api/patterns/{code}"): lambda c: patterns.pattern_by_code(
        c.tx, c.user, c.path_args["code"]
    ),
}


def _compile(template: str) -> re.Pattern[str]:
    """``/api/patterns/{code}`` → a regex whose named groups are the ``{}`` parts."""
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)))


COMPILED: dict[str, re.Pattern[str]] = {template: _compile(template) for _, template in ROUTES}


def route(call: Call) -> SandboxResponse:
    """Find and run the handler for the call's method and path (404 / 405 otherwise)."""
    method, path = call.request.method.upper(), call.request.path
    other_methods = False
    for (route_method, template), handler in ROUTES.items():
        match = COMPILED[template].fullmatch(path)
        if match is None or not modes.serves_endpoint(call.api, route_method, template):
            continue
        if route_method != method:
            other_methods = True
            continue
        call.path_args = match.groupdict()
        if template not in PUBLIC:
            _ = call.user
        return handler(call)
    if other_methods:
        raise fail(405, "405-1", "متد درخواست مجاز نیست")
    raise not_found(NOT_FOUND)
