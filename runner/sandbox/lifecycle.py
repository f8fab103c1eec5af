"""How a bulk lives on after it is accepted, computed from the clock when read.

Nothing runs in the background: a bulk's ``state_id`` and its recipients' delivery
statuses are functions of the stored bulk and "now". Non-pattern bulks wait
``REVIEW_SECONDS`` in the monitoring queue (state 1), then sit in the send queue
(state 5) from the later of review end and ``send_time``, and are sent (state 6)
``SENDING_SECONDS`` after that. Patterns skip review. Texts containing ``[reject]``
are rejected (3) at review end; bulks the credit could not pay end in 8; cancelled
bulks are 7.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass

from runner.parts import count_parts
from runner.sandbox import seed

REVIEW_SECONDS = 60.0
SENDING_SECONDS = 30.0
REJECT_MARKER = "[reject]"
REJECT_COMMENT = "محتوای پیام مجاز نیست"

MCI_PREFIXES = frozenset([*range(910, 920), *range(990, 995)])
IRANCELL_PREFIXES = frozenset([*range(901, 906), *range(930, 940), 941])
OPERATOR_BY_PREFIX: dict[str, str] = {
    **{str(p): "mci" for p in MCI_PREFIXES},
    **{str(p): "irancell" for p in IRANCELL_PREFIXES},
}
FIXED_OUTCOMES = {"0000": 2, "9999": 4, "8888": 3}

STATE_NAMES: dict[int, tuple[str, str]] = {
    0: ("creating", "در حال ایجاد"),
    1: ("pending", "در صف بررسی"),
    2: ("sending", "در حال ارسال"),
    3: ("rejected", "رد شده"),
    4: ("invalid", "گیرندگان نامعتبر"),
    5: ("queue", "در صف ارسال"),
    6: ("finish", "پایان یافته"),
    7: ("canceled", "لغو شده"),
    8: ("no_credit", "اعتبار ناکافی"),
    9: ("failed", "خطای سیستمی"),
}
FINAL_STATES = frozenset({3, 4, 6, 7, 8, 9})


@dataclass(frozen=True)
class Bulk:
    """The stored fields of one outbox row that its lifecycle depends on."""

    id: int
    created_at: float
    send_at: float | None
    review: bool
    verdict: str
    cancelled_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Bulk:
        return cls(
            int(row["id"]),
            float(row["created_at"]),
            row["send_at"],
            bool(row["review"]),
            str(row["verdict"]),
            row["cancelled_at"],
        )


def state_at(bulk: Bulk, now: float) -> int:
    """The bulk's ``state_id`` at unix time ``now``."""
    if bulk.cancelled_at is not None and now >= bulk.cancelled_at:
        return 7
    reviewed_at = bulk.created_at + (REVIEW_SECONDS if bulk.review else 0.0)
    if now < reviewed_at:
        return 1
    if bulk.verdict == "reject":
        return 3
    queued_at = max(reviewed_at, bulk.send_at or 0.0)
    if now < queued_at:
        return 1 if bulk.review else 5
    if bulk.verdict == "no_credit":
        return 8
    sent_at = queued_at + (SENDING_SECONDS if bulk.review else 0.0)
    return 5 if now < sent_at else 6


def sent_time(bulk: Bulk) -> float:
    """When the bulk goes (or went) out: its ``send_time``, else its creation."""
    return bulk.send_at if bulk.send_at is not None else bulk.created_at


def operator(recipient: str) -> str:
    """``mci``, ``irancell`` or ``other`` by the Iranian mobile prefix (09xx)."""
    return operators([recipient])[0]


def operators(recipients: list[str]) -> list[str]:
    """``operator`` of each recipient (one pass: bulks may have a million)."""
    by_prefix = OPERATOR_BY_PREFIX
    return [by_prefix.get(r[3:6], "other") if r[:4] == "+989" else "other" for r in recipients]


def outcome(recipient: str, outbox_id: int) -> int:
    """The final ``message_status``: 2 delivered, 3 not delivered, 4 blacklisted."""
    return outcomes([recipient], outbox_id)[0]


def outcomes(recipients: list[str], outbox_id: int) -> list[int]:
    """``outcome`` of each recipient of a bulk.

    Numbers ending 0000 are delivered, 9999 blacklisted, 8888 not delivered; the rest
    by a hash of number and outbox id: 80 % delivered, 12 % not, 8 % blacklisted.
    """
    tail = f":{outbox_id}".encode()
    sha256 = hashlib.sha256
    fixed = FIXED_OUTCOMES
    return [
        fixed.get(r[-4:])
        or _by_bucket(int.from_bytes(sha256(r.encode() + tail).digest()[:4], "big"))
        for r in recipients
    ]


def _by_bucket(value: int) -> int:
    bucket = value % 100
    if bucket < 80:
        return 2
    return 3 if bucket < 92 else 4


def message_status(state_id: int, final_outcome: int) -> int:
    """A recipient's status in a bulk of ``state_id``, given its stored ``outcome``.

    Bulks that never went out (rejected, cancelled, no credit) report their
    recipients as not delivered (3), so a report lists them as failed.
    """
    if state_id == 6:
        return final_outcome
    if state_id in FINAL_STATES:
        return 3
    return 1 if state_id == 5 else 0


def price_per_message(text: str) -> tuple[float, float, int]:
    """(mci price, other price, parts) of one message, in Rials."""
    parts = count_parts(text)
    mci, other = seed.PRICE_GSM7 if parts.encoding == "GSM-7" else seed.PRICE_UCS2
    return mci * parts.parts, other * parts.parts, parts.parts


def bulk_cost(text: str, recipient_operators: list[str]) -> float:
    """What sending ``text`` to recipients of these operators costs (Irancell as "other")."""
    mci, other, _ = price_per_message(text)
    on_mci = recipient_operators.count("mci")
    return mci * on_mci + other * (len(recipient_operators) - on_mci)


def is_latin(text: str) -> bool:
    """Whether ``text`` is Latin (GSM-7) rather than Persian (UCS-2), as bulk_stats splits."""
    return count_parts(text).encoding == "GSM-7"
