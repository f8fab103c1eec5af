"""Small formatting helpers shared by the Markdown and HTML renderers."""

from __future__ import annotations

import re
from collections.abc import Sequence

from runner.report.model import Report
from runner.report.words import state_name

# Arabic-script letters (Persian included): text holding any is laid out right to left.
PERSIAN = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
SHOWN_IDS = 4
ATTENTION = (
    "a batch was rejected, not paid for or failed, or is unresolved; see the notes under Batches."
)
SUMMARY_ROWS = (
    ("Sent", "sent"),
    ("Delivered", "delivered"),
    ("Not delivered", "not_delivered"),
    ("Blacklisted", "blacklisted"),
    ("Pending (no final status yet)", "pending"),
)


def is_persian(text: str) -> bool:
    return PERSIAN.search(text) is not None


def number(value: int) -> str:
    return f"{value:,}"


def money(value: float) -> str:
    """Rials with thousands separators and at most two decimals (``1,463``, ``3,657.5``)."""
    text = f"{round(value, 2):,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def id_list(ids: Sequence[int]) -> str:
    """A few ids in full, else the first ones and how many more."""
    if len(ids) <= SHOWN_IDS:
        return ", ".join(str(i) for i in ids) or "–"
    shown = ", ".join(str(i) for i in ids[: SHOWN_IDS - 1])
    return f"{shown} … {ids[-1]} ({len(ids)} ids)"


def short_key(key: str) -> str:
    return key[:12]


def status_sentence(report: Report) -> str:
    """Whether the report is final, in one sentence."""
    outboxes = report.outboxes
    waiting = [o for o in outboxes if not o.final]
    if not outboxes:
        return "No batch of this campaign has an outbox id yet, so there is nothing to report."
    if not waiting:
        return f"All {len(outboxes):,} outbox(es) have reached a final state."
    states = " / ".join(sorted({state_name(o.state_id) for o in waiting}))
    return (
        f"{len(waiting):,} of {len(outboxes):,} outbox(es) are still in progress ({states}); "
        "these numbers will change: run the report again, or with --watch."
    )
