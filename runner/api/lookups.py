"""What the account has, as typed values: its patterns, its sender lines, its inbox.

Answers of ``GET /api/patterns/{code}`` (and the pattern list), ``GET
/api/number/numbers`` and ``POST /api/report/messages-inbox``, converted once here
(ids as ints, statuses lower-case) so the online checks and ``replies`` see plain
values, and the walks over their pages. Nothing here imports httpx: the calls are
``runner.api.reads``'.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runner.api.types import as_int, as_opt_int, mapping, opt_str, walk_pages
from runner.errors import ApiError

if TYPE_CHECKING:
    from runner.api.client import IPPanelClient


@dataclass(frozen=True)
class PatternVariable:
    """One variable of a pattern: its name and type (``string``, ``integer`` or ``number``)."""

    name: str
    type: str


@dataclass(frozen=True)
class Pattern:
    """A pattern as ``GET /api/patterns/{code}`` shows it; ``status`` is active, pending…"""

    code: str
    status: str
    status_fa: str
    admin_comment: str
    message: str
    variables: tuple[PatternVariable, ...]

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True)
class SenderLine:
    """One of the account's lines (``GET /api/number/numbers``)."""

    id: int | None
    number: str
    alias: str | None


@dataclass(frozen=True)
class InboxMessage:
    """One received message (``report/messages-inbox``): ``sender`` texted ``line``."""

    inbox_id: int
    sender: str
    line: str
    message: str
    time: int | None


def parse_pattern(data: object) -> Pattern:
    row = mapping(data, "pattern")
    variables = row.get("variable") or []
    if not isinstance(variables, list):
        raise ApiError(f"the API sent an unexpected pattern variable list: {variables!r}"[:300])
    return Pattern(
        code=str(row.get("pattern_code") or row.get("code") or ""),
        status=str(row.get("pattern_status") or "").lower(),
        status_fa=str(row.get("pattern_status_fa") or ""),
        admin_comment=str(row.get("admin_comment") or ""),
        message=str(row.get("pattern_message") or row.get("message") or ""),
        variables=tuple(
            PatternVariable(str(v.get("name") or ""), str(v.get("type") or "string").lower())
            for v in variables
            if isinstance(v, Mapping)
        ),
    )


def parse_sender_line(data: object) -> SenderLine:
    row = mapping(data, "number row")
    return SenderLine(
        id=as_opt_int(row.get("id"), "number id"),
        number=str(row.get("number") or ""),
        alias=opt_str(row.get("alias")),
    )


def parse_inbox_message(data: object) -> InboxMessage:
    row = mapping(data, "inbox row")
    return InboxMessage(
        inbox_id=as_int(row.get("messages_inbox_id"), "messages_inbox_id"),
        sender=str(row.get("from") or ""),
        line=str(row.get("number") or ""),
        message=str(row.get("message") or ""),
        time=as_opt_int(row.get("time"), "inbox time"),
    )


def all_sender_lines(client: IPPanelClient, *, per_page: int = 100) -> Iterator[SenderLine]:
    """Every line of the account, page after page."""
    return walk_pages(lambda page: client.sender_lines(page=page, per_page=per_page))


def iter_inbox(
    client: IPPanelClient, *, from_id: int = 0, per_page: int = 100
) -> Iterator[InboxMessage]:
    """Every message received after ``from_id``, each once.

    The pages of one ``from_id`` are walked, then the cursor moves to the highest id
    seen and is asked again, until nothing new comes: that gets everything whether the
    server lists oldest first (the sandbox) or newest first (the vendor's one example),
    and ends on a server that ignores ``page``.
    """
    seen: set[int] = set()
    cursor = from_id
    while True:
        before = len(seen)
        page = 1
        while True:
            result = client.inbox(from_id=cursor, page=page, per_page=per_page)
            fresh = [m for m in result.items if m.inbox_id > from_id and m.inbox_id not in seen]
            seen.update(m.inbox_id for m in fresh)
            yield from fresh
            if not fresh or page >= result.last_page:
                break
            page += 1
        if len(seen) == before:
            return
        cursor = max(seen)


def line_key(number: str) -> str:
    """A line without its formatting: ``+983000505``, ``983000505`` and ``03000505`` agree."""
    key = re.sub(r"[^0-9A-Za-z]", "", number).upper()
    for prefix in ("0098", "98", "0"):
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key
