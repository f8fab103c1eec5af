"""Received messages: ``POST /api/report/messages-inbox`` and the way a test fills it.

The inbox starts empty. ``add_message`` (the ``/__sandbox__/inbox`` control and
``SandboxApp.add_inbox``) stores a message sent from a mobile to one of an
account's lines; only lines receive, so the line decides whose inbox it lands in.

The list answers messages with an id above ``filters.from_id`` (0 when absent),
**oldest first** (by id, the order they arrived in the sandbox), Laravel-paged by
``page`` / ``per_page``. Oldest first is what an incremental ``from_id`` cursor
needs: a client keeps the last id it saw and asks for the rest. (The vendor's
single example, without ``from_id``, happens to list newest first.)
"""

from __future__ import annotations

import sqlite3
from typing import Any

from runner.sandbox import seed
from runner.sandbox.reports import paging
from runner.sandbox.validate import IRAN_MOBILE, as_int
from runner.sandbox.wire import BadArguments, SandboxResponse, invalid, paged

PATH = "/api/report/messages-inbox"


def _row(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "messages_inbox_id": int(row["id"]),
        "from": row["sender"],
        "number": row["number"],
        "message": row["message"],
        "type": "normal",
        "time": int(row["time"]),
        "seen": "0",
    }


def messages_inbox(tx: sqlite3.Connection, user_id: int, body: dict[str, Any]) -> SandboxResponse:
    """Messages after ``filters.from_id``, oldest first, one page of them."""
    given = body.get("filters")
    filters: dict[str, Any] = given if isinstance(given, dict) else {}
    raw_from = filters.get("from_id")
    from_id = 0 if raw_from in (None, "") else as_int(raw_from)
    if from_id is None:
        raise invalid({"filters.from_id": ["مقدار from_id باید عدد صحیح باشد"]})
    page, per_page = paging(body, "per_page")
    where = "WHERE user_id = ? AND id > ?"
    (total,) = tx.execute(f"SELECT count(*) FROM inbox {where}", (user_id, from_id)).fetchone()
    rows = tx.execute(
        f"SELECT * FROM inbox {where} ORDER BY id LIMIT ? OFFSET ?",
        (user_id, from_id, per_page, (page - 1) * per_page),
    ).fetchall()
    return paged([_row(r) for r in rows], page=page, per_page=per_page, total=total, path=PATH)


def add_message(
    tx: sqlite3.Connection, sender: object, to: object, message: object, at: float
) -> int:
    """Store one received message; BadArguments names each bad field. Returns its id."""
    errors: dict[str, list[str]] = {}
    if not isinstance(sender, str) or not IRAN_MOBILE.fullmatch(sender):
        errors["from"] = [f"from must be an Iranian mobile like +989120000000, not {sender!r}"]
    owner = tx.execute("SELECT user_id FROM numbers WHERE number = ?", (str(to),)).fetchone()
    if owner is None:
        lines = ", ".join(n for _, n in seed.SENDER_NUMBERS)
        errors["to"] = [f"to must be one of the account's lines ({lines}), not {to!r}"]
    if not isinstance(message, str) or not message:
        errors["message"] = ["message must be a non-empty string"]
    if errors:
        raise BadArguments(errors)
    (last,) = tx.execute("SELECT max(id) FROM inbox").fetchone()
    inbox_id = seed.FIRST_INBOX_ID if last is None else int(last) + 1
    tx.execute(
        "INSERT INTO inbox (id, user_id, sender, number, message, time) VALUES (?, ?, ?, ?, ?, ?)",
        (inbox_id, int(owner[0]), sender, to, message, at),
    )
    return inbox_id
