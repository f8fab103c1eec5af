"""Patterns: ``GET /api/patterns``, ``GET /api/patterns/{code}``, and ``pattern`` sends.

Rows follow the vendor's list / by-code examples field for field (the text is
``pattern_message``; there is no ``message`` key). Statuses: ``active`` (id 1,
"فعال") and ``inactive`` (id 2, "رد شده") as documented; ``pending`` is given id 0
here, since the docs show no pending row. The list pages at most
``LIST_MAX_PER_PAGE`` (100, documented) and refuses a larger ``per_page``; its
filters (``filter[code]``, ``filter[title]``, ``filter[state]``, ``filter[type]``,
``filter[is_share]``) must not be sent empty, as the docs warn.

A pattern send names an active pattern and gives every variable as a string;
an ``integer`` variable's string must be digits. Unknown codes are a 404 once the
rest of the body is valid, as the Persian docs show.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runner.sandbox.multipart import Body
from runner.sandbox.send import NewBulk, SendContext, sender_of
from runner.sandbox.validate import Errors, as_int, check_recipients, text_field
from runner.sandbox.wire import SandboxResponse, invalid, not_found, ok, paged

PATTERN_NOT_FOUND = "الگو یافت نشد"
LIST_MAX_PER_PAGE = 100
VARIABLE = re.compile(r"%([A-Za-z0-9_]+)%")
# The seed patterns' review date, shown as their ``updated_at`` / ``time``.
REVIEWED_AT = (1735559975, "2024-12-30T11:59:35.103000Z")


@dataclass(frozen=True)
class Status:
    """How a pattern status shows in a row, and why a send with it is refused."""

    status_id: int
    persian: str
    admin_comment: str
    refusal: str | None


STATUSES: dict[str, Status] = {
    "active": Status(1, "فعال", "متن پترن مورد تائید است.", None),
    "inactive": Status(
        2, "رد شده", "لطفا نام مجموعه را در متن پترن درج نمایید.", "الگو غیرفعال است"
    ),
    "pending": Status(0, "در انتظار بررسی", "", "الگو هنوز تایید نشده است"),
}
FILTERS: dict[str, str] = {
    "filter[code]": "code = ?",
    "filter[title]": "instr(coalesce(title, ''), ?) > 0",
    "filter[state]": "status = ?",
}
OTHER_FILTERS = {"filter[type]": ("normal",), "filter[is_share]": ("0", "false")}
REVISION_FIELDS = ("state", "message", "is_share", "description", "delimiter", "variable")


def variables_of(row: sqlite3.Row) -> list[dict[str, Any]]:
    """The pattern's ``[{name, type, len}]``; text-only rows have string variables."""
    if row["variables"]:
        return list(json.loads(row["variables"]))
    names = dict.fromkeys(VARIABLE.findall(str(row["text"])))
    return [{"name": name, "type": "string", "len": 0} for name in names]


def pattern_row(row: sqlite3.Row, user: sqlite3.Row) -> dict[str, Any]:
    """One pattern as the list and by-code endpoints show it."""
    status = STATUSES[str(row["status"])]
    out: dict[str, Any] = {
        "id": hashlib.sha256(str(row["code"]).encode()).hexdigest()[:24],
        "partner_id": None,
        "verifier_user_id": None,
        "verifier_partner_id": None,
        "title": row["title"],
        "username": user["username"],
        "user_id": str(user["id"]),
        "pattern_code": row["code"],
        "pattern_message": row["text"],
        "admin_comment": status.admin_comment,
        "pattern_description": row["title"] or "",
        "website": None,
        "pattern_status": row["status"],
        "pattern_status_fa": status.persian,
        "pattern_status_id": status.status_id,
        "pattern_is_share": False,
        "reject_text": "",
        "type": "sms",
        "variable": variables_of(row),
        "delimiter": "%",
        "updated_at": REVIEWED_AT[1],
        "time": REVIEWED_AT[0],
        "pattern_type": "normal",
        "readonly": False,
    }
    out.update(_no_revision())
    return out


def _no_revision() -> dict[str, Any]:
    """A pattern's pending revision and its log, in the API's shape: empty, as none is pending."""
    out: dict[str, Any] = {}
    for name in REVISION_FIELDS:
        out[f"pattern_{name}_revision"] = None
    out["pattern_type_revision"] = ""
    for name in REVISION_FIELDS:
        out[f"pattern_{name}_log"] = None
    out["pattern_type_log"] = None
    out["revision"] = {
        "type": "",
        "variable": None,
        "pattern_status_id": None,
        "pattern_status_fa": None,
        "pattern_message": None,
        "pattern_description": None,
        "pattern_is_share": None,
        "delimiter": None,
    }
    out["pattern_log"] = None
    return out


def pattern_by_code(tx: sqlite3.Connection, user: sqlite3.Row, code: str) -> SandboxResponse:
    row = tx.execute(
        "SELECT * FROM patterns WHERE code = ? AND user_id = ?", (code, user["id"])
    ).fetchone()
    if row is None:
        raise not_found(PATTERN_NOT_FOUND)
    return ok(pattern_row(row, user), parameters=False)


def list_patterns(
    tx: sqlite3.Connection, user: sqlite3.Row, query: Mapping[str, str]
) -> SandboxResponse:
    """The user's patterns, oldest first, filtered and paged as documented."""
    errors = Errors()
    page = as_int(query.get("page", "1")) or 1
    per_page = as_int(query.get("per_page", "10")) or 0
    if not 1 <= per_page <= LIST_MAX_PER_PAGE:
        errors.add("per_page", f"مقدار per_page باید بین 1 و {LIST_MAX_PER_PAGE} باشد")
    clauses, args = ["user_id = ?"], [user["id"]]
    for key, value in query.items():
        if not key.startswith("filter["):
            continue
        if value == "":
            errors.add(key, f"مقدار {key} نباید خالی باشد")
        elif key in FILTERS:
            clauses.append(FILTERS[key])
            args.append(value)
        elif value not in OTHER_FILTERS.get(key, ()):
            # Seed patterns are all normal and unshared: other values match none.
            clauses.append("0")
    errors.raise_if_any()
    where = " AND ".join(clauses)
    (total,) = tx.execute(f"SELECT count(*) FROM patterns WHERE {where}", args).fetchone()
    rows = tx.execute(
        f"SELECT * FROM patterns WHERE {where} ORDER BY rowid LIMIT ? OFFSET ?",
        (*args, per_page, (max(page, 1) - 1) * per_page),
    ).fetchall()
    data = [pattern_row(r, user) for r in rows]
    return paged(data, page=max(page, 1), per_page=per_page, total=total, path="/api/patterns")


def parse_pattern(body: Body, ctx: SendContext, errors: Errors) -> list[NewBulk]:
    sender = sender_of(body, ctx, errors)
    code = text_field(body.fields, "code", errors)
    recipients = check_recipients(body.fields.get("recipients"), "recipients", errors)
    if len(recipients) > 1:
        errors.add("recipients", "فقط یک گیرنده مجاز است")
    params = body.fields.get("params", {})
    if not isinstance(params, dict):
        errors.add("params", "پارامترها باید یک شیء باشند")
        params = {}
    if errors or not code:
        return []
    row = ctx.tx.execute(
        "SELECT * FROM patterns WHERE code = ? AND user_id = ?", (code, ctx.user_id)
    ).fetchone()
    if row is None:
        raise not_found(PATTERN_NOT_FOUND)
    refusal = STATUSES[str(row["status"])].refusal
    if refusal is not None:
        raise invalid({"code": [refusal]})
    text = _fill_pattern(str(row["text"]), variables_of(row), params, errors)
    return [NewBulk("pattern", sender, text, recipients)]


def _fill_pattern(
    template: str, variables: list[dict[str, Any]], params: dict[str, Any], errors: Errors
) -> str:
    """Put ``params`` into the pattern's ``%name%`` slots, checking each variable's type."""
    for variable in variables:
        name = str(variable["name"])
        value = params.get(name)
        if value is None or value == "":
            errors.add(f"params.{name}", f"تکمیل گزینه {name} الزامی است")
        elif not isinstance(value, str):
            errors.add(f"params.{name}", f"مقدار {name} باید رشته باشد")
        elif variable["type"] == "integer" and not (value.isascii() and value.isdigit()):
            errors.add(f"params.{name}", f"مقدار {name} باید عدد صحیح باشد")
    if errors:
        return ""
    return VARIABLE.sub(lambda m: str(params.get(m.group(1), m.group(0))), template)
