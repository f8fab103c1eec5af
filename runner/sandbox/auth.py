"""Credentials and the login flows (``/api/acl/auth/*``).

The ``Authorization`` header carries the raw API key or token (``Bearer <value>``
is accepted too, since the docs' prose calls it a bearer token). Login answers:
``method: login`` with a final 10-hour token, or ``sms`` / ``ga`` with a 6-minute
temporary token that ``confirm_otp`` trades for a final one.

The two documents disagree on a failed login, so both answers occur: an unknown
username gets the older 401 ``400-1``, a wrong password for a known user the
current 422 ``422-1`` (top-level ``errors``, no ``data``).
"""

from __future__ import annotations

import secrets
import sqlite3
from typing import Any

from runner.sandbox import seed
from runner.sandbox.validate import Errors
from runner.sandbox.wire import (
    Reply,
    SandboxRequest,
    SandboxResponse,
    json_response,
    ok,
    unauthorized,
)

WRONG_LOGIN = "نام کاربری یا رمز عبور اشتباه است"


def credential(request: SandboxRequest) -> str | None:
    value = request.header("Authorization") or request.header("apikey")
    if not value:
        return None
    value = value.strip()
    if value.lower().startswith("bearer "):
        value = value[7:].strip()
    return value or None


def authenticate(tx: sqlite3.Connection, request: SandboxRequest, now: float) -> sqlite3.Row:
    """The user the request's credential belongs to; 401 if it is wrong or expired."""
    value = credential(request)
    if value is None:
        raise unauthorized()
    row: sqlite3.Row | None = tx.execute(
        "SELECT u.* FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key = ?", (value,)
    ).fetchone()
    if row is None:
        row = tx.execute(
            "SELECT u.* FROM tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.token = ? AND t.kind = 'final' AND t.revoked = 0 AND t.expires_at > ?",
            (value, now),
        ).fetchone()
    if row is None:
        raise unauthorized()
    return row


def _issue(tx: sqlite3.Connection, user_id: int, kind: str, now: float) -> str:
    token = secrets.token_hex(16)
    lifetime = seed.FINAL_TOKEN_SECONDS if kind == "final" else seed.TEMP_TOKEN_SECONDS
    tx.execute(
        "INSERT INTO tokens (token, user_id, kind, expires_at) VALUES (?, ?, ?, ?)",
        (token, user_id, kind, now + lifetime),
    )
    return token


def _required(body: dict[str, Any], *fields: str) -> dict[str, str]:
    errors = Errors()
    for field in fields:
        if not isinstance(body.get(field), str) or not body[field]:
            errors.required(field)
    errors.raise_if_any()
    return {field: str(body[field]) for field in fields}


def login(tx: sqlite3.Connection, body: dict[str, Any], now: float) -> SandboxResponse:
    given = _required(body, "username", "password")
    user = tx.execute("SELECT * FROM users WHERE username = ?", (given["username"],)).fetchone()
    if user is None:
        raise unauthorized()
    if user["password"] != given["password"]:
        raise Reply(json_response(422, _login_error()))
    method = str(user["method"])
    kind = "final" if method == "login" else "temp"
    return ok({"method": method, "token": _issue(tx, int(user["id"]), kind, now)})


def _login_error() -> dict[str, Any]:
    return {
        "errors": {"username": [WRONG_LOGIN]},
        "meta": {
            "status": False,
            "message": "درخواست معتبر نیست",
            "message_parameters": [],
            "message_code": "422-1",
        },
    }


def _temporary_user(tx: sqlite3.Connection, token: str, now: float) -> sqlite3.Row:
    row: sqlite3.Row | None = tx.execute(
        "SELECT u.* FROM tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.token = ? AND t.kind = 'temp' AND t.revoked = 0 AND t.expires_at > ?",
        (token, now),
    ).fetchone()
    if row is None:
        raise unauthorized()
    return row


def send_sms_otp(tx: sqlite3.Connection, body: dict[str, Any], now: float) -> SandboxResponse:
    """Resend the SMS code: the old temporary token is replaced by a new one."""
    given = _required(body, "token")
    user = _temporary_user(tx, given["token"], now)
    if user["method"] != "sms":
        raise unauthorized()
    tx.execute("UPDATE tokens SET revoked = 1 WHERE token = ?", (given["token"],))
    return ok({"method": "sms", "token": _issue(tx, int(user["id"]), "temp", now)})


def confirm_otp(tx: sqlite3.Connection, body: dict[str, Any], now: float) -> SandboxResponse:
    given = _required(body, "token", "otp")
    user = _temporary_user(tx, given["token"], now)
    expected = seed.SMS_OTP if user["method"] == "sms" else seed.GA_OTP
    if given["otp"] != expected:
        raise unauthorized()
    tx.execute("UPDATE tokens SET revoked = 1 WHERE token = ?", (given["token"],))
    return ok({"token": _issue(tx, int(user["id"]), "final", now), "method": "login"})


def check_token(user: sqlite3.Row) -> SandboxResponse:
    return ok(
        {
            "user_name": user["username"],
            "user_id": int(user["id"]),
            "document_block": False,
            "is_reseller": False,
            "send_block": False,
            "name": user["name"],
        }
    )


def logout(tx: sqlite3.Connection, request: SandboxRequest) -> SandboxResponse:
    """Revoke the token; an API key cannot be logged out and stays valid."""
    tx.execute("UPDATE tokens SET revoked = 1 WHERE token = ?", (credential(request),))
    return ok(None)
