"""``POST /api/send``: validate a send of any supported type, apply the 40 s rule, commit.

Each sending type has a parser that turns the body into ``NewBulk``s (one per outbox
id the API returns) while collecting validation errors. The request is then
fingerprinted (type, sender, texts, recipients): the same fingerprint committed
within the last ``DUPLICATE_SECONDS`` answers 429 and stores nothing.

A late commit (``SendContext.commit_delay``, the ``late_commit`` fault) stores the
bulks at once but dates them, and their fingerprint, ``commit_delay`` seconds
ahead: until then no report shows them and an identical request is not a duplicate
(the real API had not committed the first one yet either). Their cost is charged
at once, like any other bulk's.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from itertools import count, repeat
from typing import Any

from runner.parts import count_parts
from runner.sandbox import lifecycle, seed
from runner.sandbox.multipart import Body
from runner.sandbox.store import get_credit, set_credit, take_outbox_ids
from runner.sandbox.validate import Errors, check_send_time, check_sender
from runner.sandbox.wire import SandboxResponse, duplicate, invalid, ok

DUPLICATE_SECONDS = 40.0
WEBSERVICE_MAX_RECIPIENTS = 1000
FILE_MAX_ROWS = 10_000


@dataclass(frozen=True)
class NewBulk:
    """One outbox row to create: a single text and who gets it."""

    sending_type: str
    sender: str
    text: str
    recipients: list[str]
    summary: str | None = None

    @cached_property
    def operators(self) -> list[str]:
        """Each recipient's operator, worked out once: a ``file`` bulk may have a million."""
        return lifecycle.operators(self.recipients)

    @property
    def cost(self) -> float:
        if self.sending_type == "votp":
            return seed.VOTP_COST * len(self.recipients)
        return lifecycle.bulk_cost(self.text, self.operators)


@dataclass(frozen=True)
class SendContext:
    """What a parser may consult: the transaction, the user, now, the user's lines."""

    tx: sqlite3.Connection
    user_id: int
    now: datetime
    numbers: dict[str, int]
    commit_delay: float = 0.0

    @property
    def committed_at(self) -> float:
        """When the bulks become committed and visible (unix seconds)."""
        return self.now.timestamp() + self.commit_delay


Parser = Callable[[Body, SendContext, Errors], list[NewBulk]]


def handle_send(ctx: SendContext, body: Body, parsers: dict[str, Parser]) -> SandboxResponse:
    """Validate, deduplicate and store one send; answer with its outbox ids."""
    sending_type = body.fields.get("sending_type")
    if not sending_type:
        raise invalid({"sending_type": ["تکمیل گزینه نوع ارسال الزامی است"]})
    parser = parsers.get(str(sending_type))
    if parser is None:
        raise invalid({"sending_type": ["نوع ارسال پشتیبانی نمی‌شود"]})
    errors = Errors()
    send_at = check_send_time(body.fields.get("send_time"), ctx.now, errors)
    bulks = parser(body, ctx, errors)
    errors.raise_if_any()
    _refuse_duplicate(ctx, bulks)
    ids = _commit(ctx, bulks, send_at)
    return ok({"message_outbox_ids": ids})


def _fingerprint(bulks: list[NewBulk]) -> str:
    key = [[b.sending_type, b.sender, b.text, b.recipients] for b in bulks]
    return hashlib.sha256(json.dumps(key, ensure_ascii=False).encode()).hexdigest()


def _refuse_duplicate(ctx: SendContext, bulks: list[NewBulk]) -> None:
    now = ctx.now.timestamp()
    digest = _fingerprint(bulks)
    tx = ctx.tx
    tx.execute("DELETE FROM send_fingerprints WHERE at <= ?", (now - DUPLICATE_SECONDS,))
    seen = tx.execute(
        "SELECT max(at) FROM send_fingerprints WHERE digest = ? AND at <= ?", (digest, now)
    ).fetchone()
    if seen[0] is not None and now - float(seen[0]) < DUPLICATE_SECONDS:
        raise duplicate()
    tx.execute(
        "INSERT INTO send_fingerprints (digest, at) VALUES (?, ?)", (digest, ctx.committed_at)
    )


def _commit(ctx: SendContext, bulks: list[NewBulk], send_at: float | None) -> list[int]:
    """Store the bulks; each is charged now, or marked rejected / unpaid at no cost."""
    ids = take_outbox_ids(ctx.tx, len(bulks))
    now = ctx.now.timestamp()
    committed_at = ctx.committed_at
    credit, _ = get_credit(ctx.tx, ctx.user_id)
    for outbox_id, bulk in zip(ids, bulks, strict=True):
        cost = bulk.cost
        if lifecycle.REJECT_MARKER in bulk.text.casefold():
            verdict, cost = "reject", 0.0
        elif cost > credit:
            verdict, cost = "no_credit", 0.0
        else:
            verdict, credit = "ok", credit - cost
        _insert(ctx, outbox_id, bulk, (cost, committed_at, send_at, verdict))
    set_credit(ctx.tx, ctx.user_id, credit, now)
    return ids


def _insert(
    ctx: SendContext, outbox_id: int, bulk: NewBulk, extra: tuple[float, float, float | None, str]
) -> None:
    cost, committed_at, send_at, verdict = extra
    parts = count_parts(bulk.text)
    ctx.tx.execute(
        "INSERT INTO outbox (id, user_id, sending_type, sender, number_id, message, parts, "
        "encoding, rcpts, cost, created_at, send_at, review, verdict, summary, visible_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            outbox_id,
            ctx.user_id,
            bulk.sending_type,
            bulk.sender,
            ctx.numbers.get(bulk.sender),
            bulk.text,
            1 if bulk.sending_type == "votp" else parts.parts,
            parts.encoding,
            len(bulk.recipients),
            cost,
            committed_at,
            send_at,
            0 if bulk.sending_type == "pattern" else 1,
            verdict,
            bulk.summary,
            committed_at,
        ),
    )
    # Operator and final outcome are stored so reports can count them in SQL.
    ctx.tx.executemany(
        "INSERT INTO recipients (outbox_id, seq, recipient, operator, outcome) "
        "VALUES (?, ?, ?, ?, ?)",
        zip(
            repeat(outbox_id),
            count(),
            bulk.recipients,
            bulk.operators,
            lifecycle.outcomes(bulk.recipients, outbox_id),
        ),
    )


def sender_of(body: Body, ctx: SendContext, errors: Errors) -> str:
    return check_sender(body.fields.get("from_number"), ctx.numbers, errors)


def params_object(body: Body, errors: Errors) -> dict[str, Any]:
    params = body.fields.get("params")
    if not isinstance(params, dict):
        errors.required("params")
        return {}
    return params
