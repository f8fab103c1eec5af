"""Report endpoints: outbox list, one bulk, bulk statistics, a bulk's recipients.

Rows follow the documented examples, type quirks included: ids, counts and unix
times are strings, ``cost`` is a float, ``state_id`` an int; bulk_stats counts are
``0`` when zero and strings otherwise. bulk_stats has only the ``irancell`` and
``mci`` keys the docs show, so numbers of other operators are not counted there.

Every report hides bulks whose ``visible_at`` is still ahead (a late commit).
``new_list`` pages at most ``NEW_LIST_MAX_LIMIT`` (1000) rows: the docs give no
maximum, so a larger ``limit`` is clamped and ``meta.per_page`` says so. Statistics
are counted in SQL from each recipient's stored operator and outcome, and
recipients are paged by their sequence number, so a bulk of a million recipients
reads as fast as a small one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from runner.sandbox import lifecycle
from runner.sandbox.lifecycle import Bulk, state_at
from runner.sandbox.validate import as_int
from runner.sandbox.wire import SandboxResponse, fail, invalid, not_found, ok, paged

MESSAGE_NOT_FOUND = "پیام یافت نشد"
TYPE_NAMES = {
    "votp": "sendvoice",
    "pattern": "pattern",
}
STAT_CATEGORIES = ("blacklist", "failed", "pending", "sent", "delivered")
STATUS_CATEGORY = {0: "sent", 1: "sent", 2: "delivered", 3: "failed", 4: "blacklist"}
OUTBOX_SELECT = "SELECT o.*, u.username FROM outbox o JOIN users u ON u.id = o.user_id "
VISIBLE = "o.user_id = ? AND o.visible_at <= ? "
NEW_LIST_MAX_LIMIT = 1000


def outbox_row(row: sqlite3.Row, now: float, *, detailed: bool = False) -> dict[str, Any]:
    """One bulk as ``new_list`` (or, ``detailed``, ``by_bulk``) shows it."""
    bulk = Bulk.from_row(row)
    state_id = state_at(bulk, now)
    state, status = lifecycle.STATE_NAMES[state_id]
    valid = {1: None, 3: "reject"}.get(state_id, "approve")
    out: dict[str, Any] = {
        "username": row["username"],
        "number_color": "#95E871",
        "number": row["sender"],
        "number_id": None if row["number_id"] is None else str(row["number_id"]),
        "messages_outbox_id": str(bulk.id),
        "state": state,
        "type": TYPE_NAMES.get(row["sending_type"], row["sending_type"]),
        "time_send": str(int(lifecycle.sent_time(bulk))),
        "time": str(int(bulk.created_at)),
        "rcpts_count": str(row["rcpts"]),
        "exit_count": str(row["rcpts"] if state_id == 6 else 0),
        "status": status,
        "partner_id": None,
        "in_delivery_line": 0,
        "valid": valid,
        "message": row["message"],
        "part": str(row["parts"]),
        "cost": float(row["cost"]),
        "summary": row["summary"],
        "user_ip": None,
        "user_id": str(row["user_id"]),
        "files_path": None,
        "parent_id": None,
        "state_id": state_id,
    }
    if detailed:
        out["return"] = 0
        out["reject_comment"] = lifecycle.REJECT_COMMENT if state_id == 3 else None
    return out


def visible_bulk(
    tx: sqlite3.Connection, user_id: int, value: object, now: float
) -> sqlite3.Row | None:
    """The user's bulk with outbox id ``value`` if it exists and is visible at ``now``."""
    outbox_id = as_int(value)
    if outbox_id is None:
        return None
    row: sqlite3.Row | None = tx.execute(
        OUTBOX_SELECT + "WHERE o.id = ? AND " + VISIBLE, (outbox_id, user_id, now)
    ).fetchone()
    return row


def find_bulk(tx: sqlite3.Connection, user_id: int, value: object, now: float) -> sqlite3.Row:
    row = visible_bulk(tx, user_id, value, now)
    if row is None:
        raise not_found(MESSAGE_NOT_FOUND)
    return row


def _required(value: object, field: str) -> None:
    if value is None or value == "":
        raise invalid({field: [f"تکمیل گزینه {field} الزامی است"]})


def by_bulk(tx: sqlite3.Connection, user_id: int, outbox_id: object, now: float) -> SandboxResponse:
    """``GET by_bulk?messages_outbox_id=`` and the older ``POST by_bulk/{id}``."""
    _required(outbox_id, "messages_outbox_id")
    row = find_bulk(tx, user_id, outbox_id, now)
    return ok(outbox_row(row, now, detailed=True), parameters=False)


def paging(values: Mapping[str, Any], size_key: str, maximum: int | None = None) -> tuple[int, int]:
    """``(page, per_page)`` from a body or query: defaults 1 and 10, at most ``maximum``."""
    page = as_int(values.get("page")) or 1
    per_page = max(as_int(values.get(size_key)) or 10, 1)
    if maximum is not None:
        per_page = min(per_page, maximum)
    return max(page, 1), per_page


def new_list(
    tx: sqlite3.Connection, user_id: int, body: dict[str, Any], now: float
) -> SandboxResponse:
    """Bulks newest first, filtered as documented; ``state_id`` filters the live state."""
    given = body.get("filters")
    filters: dict[str, Any] = given if isinstance(given, dict) else {}
    wanted_state = None
    if filters.get("state_id") not in (None, ""):
        wanted_state = as_int(filters["state_id"])
        if wanted_state not in lifecycle.STATE_NAMES:
            raise fail(422, "400-31", "invalid state")
    where, args = _filter_sql(filters)
    page, limit = paging(body, "limit", NEW_LIST_MAX_LIMIT)
    select = OUTBOX_SELECT + "WHERE " + VISIBLE + where
    order = " ORDER BY o.created_at DESC, o.id DESC"
    if wanted_state is None:
        # No live-state filter: SQL pages, so a long outbox costs one page per call.
        (total,) = tx.execute(
            "SELECT count(*) FROM outbox o WHERE " + VISIBLE + where, (user_id, now, *args)
        ).fetchone()
        rows = tx.execute(
            select + order + " LIMIT ? OFFSET ?", (user_id, now, *args, limit, (page - 1) * limit)
        ).fetchall()
        chunk = [outbox_row(r, now) for r in rows]
    else:
        rows = tx.execute(select + order, (user_id, now, *args)).fetchall()
        shown = [r for r in (outbox_row(r, now) for r in rows) if r["state_id"] == wanted_state]
        total, chunk = len(shown), shown[(page - 1) * limit : page * limit]
    return paged(chunk, page=page, per_page=limit, total=total, path="/api/report/new_list")


FILTERS = (
    ("number", "o.sender = ?", str),
    ("message", "instr(o.message, ?) > 0", str),
    ("messages_outbox_id", "o.id = ?", as_int),
    ("create_from_date", "o.created_at >= ?", as_int),
    ("create_to_date", "o.created_at < ? + 1", as_int),
    ("send_from_date", "coalesce(o.send_at, o.created_at) >= ?", as_int),
    ("send_to_date", "coalesce(o.send_at, o.created_at) < ? + 1", as_int),
    ("from_exit_count", "o.rcpts >= ?", as_int),
    ("to_exit_count", "o.rcpts <= ?", as_int),
)


def _filter_sql(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    for key, clause, convert in FILTERS:
        if filters.get(key) in (None, ""):
            continue
        value = convert(filters[key])
        if value is None:
            raise invalid({f"filters.{key}": [f"مقدار {key} نامعتبر است"]})
        clauses.append(clause)
        args.append(value)
    return "".join(f"AND {c} " for c in clauses), args


def _bulk_of(
    tx: sqlite3.Connection, user_id: int, query: Mapping[str, str], now: float
) -> tuple[sqlite3.Row, int]:
    """The outbox ``bulk_id`` names (required), and its state at ``now``."""
    _required(query.get("bulk_id"), "bulk_id")
    row = find_bulk(tx, user_id, query.get("bulk_id"), now)
    return row, state_at(Bulk.from_row(row), now)


def bulk_stats(
    tx: sqlite3.Connection, user_id: int, query: Mapping[str, str], now: float
) -> SandboxResponse:
    row, state_id = _bulk_of(tx, user_id, query, now)
    language = "en" if lifecycle.is_latin(row["message"]) else "fa"
    counts = {c: {op: {"en": 0, "fa": 0} for op in ("irancell", "mci")} for c in STAT_CATEGORIES}
    grouped = tx.execute(
        "SELECT operator, outcome, count(*) FROM recipients "
        "WHERE outbox_id = ? AND operator IN ('mci', 'irancell') GROUP BY operator, outcome",
        (row["id"],),
    )
    for op, final_outcome, number in grouped:
        category = "pending"
        if state_id in lifecycle.FINAL_STATES:
            category = STATUS_CATEGORY[lifecycle.message_status(state_id, int(final_outcome))]
        counts[category][op][language] += int(number)
    data = {
        f"operators_{c}": {
            op: {lang: (n if n == 0 else str(n)) for lang, n in langs.items()}
            for op, langs in ops.items()
        }
        for c, ops in counts.items()
    }
    return ok(data)


def recipients(
    tx: sqlite3.Connection, user_id: int, query: Mapping[str, str], now: float
) -> SandboxResponse:
    row, state_id = _bulk_of(tx, user_id, query, now)
    page, per_page = paging(query, "per_page")
    first = (page - 1) * per_page
    # seq runs 0..rcpts-1, so a range on the primary key pages without an OFFSET scan.
    found = tx.execute(
        "SELECT recipient, outcome FROM recipients WHERE outbox_id = ? AND seq >= ? AND seq < ? "
        "ORDER BY seq",
        (row["id"], first, first + per_page),
    ).fetchall()
    items = [
        {
            "recipient": r[0],
            "message": row["message"],
            "is_readable": True,
            "msg_parts": str(row["parts"]),
            "message_status": str(lifecycle.message_status(state_id, int(r[1]))),
        }
        for r in found
    ]
    return paged(
        items, page=page, per_page=per_page, total=int(row["rcpts"]), path="/api/report/recipients"
    )
