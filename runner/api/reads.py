"""The client's reads: reports, credit and prices, and what the account has.

``ReadCalls`` is the half of ``runner.api.client.IPPanelClient`` that only asks and
never sends: outbox rows (``report/new_list``, ``report/by_bulk``), a bulk's stats
and recipients, credit and price quotes, patterns, sender lines, the inbox and
whose credential is in use. Each goes through the client's ``_read``, which repeats
a read on transient failures (the client's retry policy), and returns typed values
from ``runner.api.types`` and ``runner.api.lookups``. Nothing here imports httpx.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from runner.api.envelope import Envelope, missing_endpoint
from runner.api.lookups import (
    InboxMessage,
    Pattern,
    SenderLine,
    parse_inbox_message,
    parse_pattern,
    parse_sender_line,
)
from runner.api.types import (
    Account,
    BulkStats,
    Credit,
    OutboxRow,
    Page,
    PriceQuote,
    RecipientRow,
    parse_account,
    parse_bulk_stats,
    parse_credit,
    parse_outbox_row,
    parse_page,
    parse_price,
    parse_recipient,
    walk_pages,
)
from runner.errors import ApiError, NotFoundError


class ReadCalls(abc.ABC):
    """The API's read calls; ``IPPanelClient`` supplies ``_read`` (and the transport)."""

    # None until a by_bulk call tells which of the two documented shapes this server speaks.
    _by_bulk_get: bool | None = None

    @abc.abstractmethod
    def _read(self, method: str, path: str, **kwargs: Any) -> Envelope:
        """One read request, repeated on transient failures (``IPPanelClient``'s policy)."""

    # -- reports, credit, prices ---------------------------------------------------------------

    def outbox_list(self, *, page: int = 1, limit: int = 100, **filters: Any) -> Page[OutboxRow]:
        """One page of ``report/new_list``; ``filters`` as the API names them."""
        body: dict[str, Any] = {"page": page, "limit": limit}
        if filters:
            body["filters"] = filters
        envelope = self._read("POST", "/api/report/new_list", json=body)
        return parse_page(envelope.data, envelope.meta, parse_outbox_row, page)

    def iter_outbox(self, *, limit: int = 100, **filters: Any) -> Iterator[OutboxRow]:
        """Every row of ``report/new_list`` matching ``filters``, page after page."""
        return walk_pages(lambda page: self.outbox_list(page=page, limit=limit, **filters))

    def outbox_by_id(self, outbox_id: int) -> OutboxRow:
        """One bulk by id: the current ``GET by_bulk?messages_outbox_id=``, else the older POST."""
        if self._by_bulk_get is not False:
            try:
                envelope = self._read(
                    "GET", "/api/report/by_bulk", params={"messages_outbox_id": outbox_id}
                )
            except ApiError as err:
                if self._by_bulk_get or not missing_endpoint(err):
                    raise
            else:
                self._by_bulk_get = True
                return _one_row(envelope.data, outbox_id)
        body = {"page": 1, "limit": 10}
        envelope = self._read("POST", f"/api/report/by_bulk/{outbox_id}", json=body)
        self._by_bulk_get = False
        return _one_row(envelope.data, outbox_id)

    def bulk_stats(self, outbox_id: int) -> BulkStats:
        envelope = self._read("GET", "/api/report/bulk_stats", params={"bulk_id": outbox_id})
        return parse_bulk_stats(envelope.data)

    def recipients(self, outbox_id: int, *, per_page: int = 1000) -> Iterator[RecipientRow]:
        """Every recipient of a bulk, across all pages of ``report/recipients``."""

        def one_page(page: int) -> Page[RecipientRow]:
            params = {"page": page, "per_page": per_page, "bulk_id": outbox_id}
            envelope = self._read("GET", "/api/report/recipients", params=params)
            return parse_page(envelope.data, envelope.meta, parse_recipient, page)

        return walk_pages(one_page)

    def credit(self) -> Credit:
        return parse_credit(self._read("GET", "/api/payment/credit/mine").data)

    def calculate_price(self, number: str, message: str) -> PriceQuote:
        """The price of ``message`` sent from line ``number`` to one recipient."""
        body = {"number": number, "message": message}
        return parse_price(self._read("POST", "/api/send/calculate-price", json=body).data)

    # -- what the account has: patterns, lines, inbox, who it is -------------------------------

    def pattern(self, code: str) -> Pattern:
        """``GET /api/patterns/{code}``; ``NotFoundError`` when there is no such pattern."""
        return parse_pattern(self._read("GET", "/api/patterns/" + quote(code, safe="")).data)

    def find_patterns(self, code: str) -> list[Pattern]:
        """The pattern list filtered by code (``GET /api/patterns?filter[code]=``)."""
        params = {"filter[code]": code, "page": 1, "per_page": 100}
        data = self._read("GET", "/api/patterns", params=params).data
        return [parse_pattern(row) for row in (data if isinstance(data, list) else [])]

    def sender_lines(self, *, page: int = 1, per_page: int = 100) -> Page[SenderLine]:
        """One page of the account's lines: ``GET /api/number/numbers``, else the older
        document's ``/api/numbers`` (``runner.api.lookups.all_sender_lines`` pages on)."""
        params = {"page": page, "per_page": per_page}
        try:
            envelope = self._read("GET", "/api/number/numbers", params=params)
        except ApiError as err:
            if not missing_endpoint(err):
                raise
            envelope = self._read("GET", "/api/numbers", params=params)
        return parse_page(envelope.data, envelope.meta, parse_sender_line, page)

    def inbox(self, *, from_id: int = 0, page: int = 1, per_page: int = 100) -> Page[InboxMessage]:
        """One page of the messages received after ``from_id`` (``report/messages-inbox``);
        ``runner.api.lookups.iter_inbox`` walks them all."""
        body = {"page": page, "per_page": per_page, "filters": {"from_id": from_id}}
        envelope = self._read("POST", "/api/report/messages-inbox", json=body)
        return parse_page(envelope.data, envelope.meta, parse_inbox_message, page)

    def check_token(self) -> Account:
        """Who the credential belongs to; an AuthenticationError if it is not accepted."""
        return parse_account(self._read("POST", "/api/acl/auth/check_token").data)


def _one_row(data: object, outbox_id: int) -> OutboxRow:
    # The older POST shape may page its answer like new_list does.
    if isinstance(data, list):
        if not data:
            raise NotFoundError(f"outbox {outbox_id} not found", status=404)
        data = data[0]
    return parse_outbox_row(data)
