"""Credit, price quotes and cancelling scheduled bulks.

Credit is charged when a bulk is accepted (the docs say at send time; charging at
once keeps the lazily computed lifecycle simple); a bulk the credit cannot pay is
kept, costs nothing and ends in state 8. Cancelling refunds the charge. The docs
disagree on the cancel error, so both occur: an unknown id gets the English
404 ``400-1``, a known bulk that can no longer be cancelled the Persian 404 ``404-1``.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from typing import Any

from runner.sandbox import lifecycle
from runner.sandbox.lifecycle import Bulk, state_at
from runner.sandbox.reports import visible_bulk
from runner.sandbox.store import get_credit, set_credit
from runner.sandbox.validate import Errors, check_message, check_sender, text_field
from runner.sandbox.wire import SandboxResponse, invalid, not_found, ok

CANCEL_LEAD_SECONDS = 5 * 60
UNKNOWN_MESSAGE = "پیام مورد نظر یافت نشد"
NOT_CANCELLABLE = "پیام یافت نشد یا قابل لغو نیست"


def _timestamp(unix: float) -> str:
    return datetime.fromtimestamp(unix, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def credit_mine(tx: sqlite3.Connection, user_id: int) -> SandboxResponse:
    credit, updated_at = get_credit(tx, user_id)
    data = {
        "credit": credit,
        "yesterday_credit": credit,
        "gift": 0,
        "gift_expires_at": None,
        "updated_at": _timestamp(updated_at),
    }
    return ok(data, parameters=False)


def _number(value: float) -> int | float:
    return int(value) if value == int(value) else value


def calculate_price(tx: sqlite3.Connection, user_id: int, body: dict[str, Any]) -> SandboxResponse:
    """Price of one message per operator group (Rials) and its parts."""
    errors = Errors()
    numbers = {
        str(r[0]): 0 for r in tx.execute("SELECT number FROM numbers WHERE user_id = ?", (user_id,))
    }
    if body.get("number") in (None, ""):
        errors.required("number")
    else:
        check_sender(body.get("number"), numbers, errors)
    text = text_field(body, "message", errors)
    check_message(text, "message", errors)
    errors.raise_if_any()
    mci, other, parts = lifecycle.price_per_message(text)
    data = {"mci_price": _number(mci), "other_price": _number(other), "parts": parts}
    return ok(data, "calculate successfully")


def cancel(
    tx: sqlite3.Connection, user_id: int, body: dict[str, Any], now: float
) -> SandboxResponse:
    """Cancel a scheduled bulk at least 5 minutes before its send time, with a refund."""
    value = body.get("message_outbox_id")
    if value is None or value == "":
        raise invalid({"message_outbox_id": ["تکمیل گزینه message_outbox_id الزامی است"]})
    row = visible_bulk(tx, user_id, value, now)
    if row is None:
        raise not_found(UNKNOWN_MESSAGE, code="400-1")
    bulk = Bulk.from_row(row)
    cancellable = (
        bulk.send_at is not None
        and now <= bulk.send_at - CANCEL_LEAD_SECONDS
        and state_at(bulk, now) in (1, 5)
    )
    if not cancellable:
        raise not_found(NOT_CANCELLABLE)
    tx.execute("UPDATE outbox SET cancelled_at = ?, cost = 0 WHERE id = ?", (now, bulk.id))
    credit, _ = get_credit(tx, user_id)
    set_credit(tx, user_id, credit + float(row["cost"]), now)
    return ok(None)
