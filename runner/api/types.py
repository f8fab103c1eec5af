"""What the IPPanel Edge API answers, as typed values: result dataclasses and the envelope.

The API is loose about types: ids are ints in send responses and strings in
reports, counts and unix times are strings, ``cost`` is a float or a string,
stats mix ``0`` and ``"1"``. Everything is converted here, once, so the rest of
the program sees ``int`` and ``float``.
Nothing here does I/O or imports httpx; ``runner.api.envelope`` decodes answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from runner.errors import ApiError
from runner.safe_text import excerpt

T = TypeVar("T")

# bulk_stats keys are ``operators_<category>``; these are the categories the API reports.
STAT_CATEGORIES = ("sent", "delivered", "failed", "pending", "blacklist")


@dataclass(frozen=True)
class SendResult:
    """The outbox ids a send created: one per webservice request, one per p2p ``params`` item."""

    outbox_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One bulk (send request) from ``report/new_list`` or ``report/by_bulk``."""

    outbox_id: int
    sender: str
    message: str
    state_id: int | None
    state: str
    status: str
    type: str
    recipients: int
    exit_count: int
    cost: float
    parts: int | None
    created_at: int | None
    send_at: int | None
    reject_comment: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a paginated list and where it stands among the others."""

    items: tuple[T, ...]
    page: int
    last_page: int
    per_page: int
    total: int


@dataclass(frozen=True)
class BulkStats:
    """``report/bulk_stats``: category → operator → ``{"fa": n, "en": n}`` message counts."""

    counts: Mapping[str, Mapping[str, Mapping[str, int]]]

    def by_operator(self, category: str) -> dict[str, int]:
        """Messages of one category per operator, Persian and Latin added up."""
        return {op: sum(langs.values()) for op, langs in self.counts.get(category, {}).items()}

    def total(self, category: str) -> int:
        return sum(self.by_operator(category).values())


@dataclass(frozen=True)
class RecipientRow:
    """One recipient of a bulk; ``status`` is None until the bulk is final (2 = delivered)."""

    recipient: str
    message: str
    parts: int
    status: int | None
    readable: bool


@dataclass(frozen=True)
class Credit:
    """The account's credit (Rials, as far as the docs tell)."""

    credit: float
    gift: float
    yesterday_credit: float | None
    gift_expires_at: str | None
    updated_at: str | None


@dataclass(frozen=True)
class PriceQuote:
    """``send/calculate-price``: price of one message per operator group, and its parts."""

    mci_price: float
    other_price: float
    parts: int


@dataclass(frozen=True)
class LoginStep:
    """A login answer: ``method`` is ``login`` (token final), ``sms`` or ``ga`` (OTP needed)."""

    method: str
    token: str = field(repr=False)


@dataclass(frozen=True)
class Account:
    """Who the credential belongs to (``auth/check_token``)."""

    user_name: str
    user_id: int
    name: str
    is_reseller: bool = False
    send_block: bool = False
    document_block: bool = False


def _unexpected(what: str, value: object) -> ApiError:
    return ApiError(f"the API sent an unexpected {what}: {excerpt(value)}")


def as_int(value: object, what: str) -> int:
    """An int from ``5``, ``"5"`` or ``5.0``; anything else is an ApiError naming ``what``."""
    if isinstance(value, bool):
        raise _unexpected(what, value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _unexpected(what, value)


def as_opt_int(value: object, what: str) -> int | None:
    return None if value is None or value == "" else as_int(value, what)


def as_float(value: object, what: str, default: float = 0.0) -> float:
    if value is None or value == "":
        return default
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            pass
    raise _unexpected(what, value)


def opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def parse_send(data: object) -> SendResult:
    ids = data.get("message_outbox_ids") if isinstance(data, Mapping) else None
    if not isinstance(ids, list):
        raise _unexpected("send answer", data)
    return SendResult(tuple(as_int(i, "message_outbox_id") for i in ids))


def parse_outbox_row(row: object) -> OutboxRow:
    if not isinstance(row, Mapping):
        raise _unexpected("outbox row", row)
    return OutboxRow(
        outbox_id=as_int(row.get("messages_outbox_id"), "messages_outbox_id"),
        sender=str(row.get("number") or ""),
        message=str(row.get("message") or ""),
        state_id=as_opt_int(row.get("state_id"), "state_id"),
        state=str(row.get("state") or ""),
        status=str(row.get("status") or ""),
        type=str(row.get("type") or ""),
        recipients=as_opt_int(row.get("rcpts_count"), "rcpts_count") or 0,
        exit_count=as_opt_int(row.get("exit_count"), "exit_count") or 0,
        cost=as_float(row.get("cost"), "cost"),
        parts=as_opt_int(row.get("part"), "part"),
        created_at=as_opt_int(row.get("time"), "time"),
        send_at=as_opt_int(row.get("time_send"), "time_send"),
        reject_comment=opt_str(row.get("reject_comment")),
        raw=dict(row),
    )


def parse_recipient(row: object) -> RecipientRow:
    if not isinstance(row, Mapping):
        raise _unexpected("recipient row", row)
    return RecipientRow(
        recipient=str(row.get("recipient") or ""),
        message=str(row.get("message") or ""),
        parts=as_opt_int(row.get("msg_parts"), "msg_parts") or 1,
        status=as_opt_int(row.get("message_status"), "message_status"),
        readable=bool(row.get("is_readable", True)),
    )


def parse_bulk_stats(data: object) -> BulkStats:
    if not isinstance(data, Mapping):
        raise _unexpected("bulk_stats answer", data)
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for category in STAT_CATEGORIES:
        operators = data.get(f"operators_{category}") or {}
        if not isinstance(operators, Mapping):
            raise _unexpected(f"operators_{category}", operators)
        counts[category] = {
            str(op): {lang: as_int(n, f"{category} count") for lang, n in langs.items()}
            for op, langs in operators.items()
            if isinstance(langs, Mapping)
        }
    return BulkStats(counts)


def parse_page(
    data: object, meta: Mapping[str, Any], parse: Callable[[object], T], requested_page: int
) -> Page[T]:
    """Rows of a Laravel-paginated list; a missing ``meta`` field means "this page only"."""
    rows = data if isinstance(data, list) else []
    page = as_opt_int(meta.get("current_page"), "current_page") or requested_page
    return Page(
        items=tuple(parse(row) for row in rows),
        page=page,
        last_page=as_opt_int(meta.get("last_page"), "last_page") or page,
        per_page=as_opt_int(meta.get("per_page"), "per_page") or len(rows),
        total=as_opt_int(meta.get("total"), "total") or len(rows),
    )


def walk_pages(fetch: Callable[[int], Page[T]]) -> Iterator[T]:
    """Every item of the pages ``fetch(page)`` answers, page 1 first.

    Pages are counted here: a server that ignores ``page`` must not loop us forever.
    """
    page = 1
    while True:
        result = fetch(page)
        yield from result.items
        if not result.items or page >= result.last_page:
            return
        page += 1


def mapping(data: object, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _unexpected(what, data)
    return data


def parse_credit(data: object) -> Credit:
    row = mapping(data, "credit answer")
    yesterday = row.get("yesterday_credit")
    return Credit(
        credit=as_float(row.get("credit"), "credit"),
        gift=as_float(row.get("gift"), "gift"),
        yesterday_credit=None if yesterday is None else as_float(yesterday, "yesterday_credit"),
        gift_expires_at=opt_str(row.get("gift_expires_at")),
        updated_at=opt_str(row.get("updated_at")),
    )


def parse_price(data: object) -> PriceQuote:
    row = mapping(data, "price answer")
    return PriceQuote(
        mci_price=as_float(row.get("mci_price"), "mci_price"),
        other_price=as_float(row.get("other_price"), "other_price"),
        parts=as_int(row.get("parts"), "parts"),
    )


def parse_account(data: object) -> Account:
    row = mapping(data, "check_token answer")
    return Account(
        user_name=str(row.get("user_name") or ""),
        user_id=as_int(row.get("user_id"), "user_id"),
        name=str(row.get("name") or ""),
        is_reseller=bool(row.get("is_reseller")),
        send_block=bool(row.get("send_block")),
        document_block=bool(row.get("document_block")),
    )


def parse_login_step(data: object) -> LoginStep:
    row = mapping(data, "login answer")
    return LoginStep(method=str(row.get("method") or ""), token=str(row.get("token") or ""))
