"""What the person who ran the campaign reads first: message, sender, when, cost, operators.

``campaign_facts(report)`` gathers, from the outboxes as the API shows them, the
message (or a sample when texts are personalized), the sender, when it went out
or is scheduled to (and until when it can be cancelled), the cost and the cost per
delivered message. ``operator_rows(report)`` is the per-operator table whose rows
add up to the recipients: MCI, Irancell, other operators, and the recipients of
outboxes that have no per-recipient report yet. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from runner.operators import OPERATORS, operator_of
from runner.report.model import Counts, Report
from runner.report.words import OPERATOR_NAMES, iso_utc
from runner.schedule import ScheduleView, cancel_command, cancel_deadline, describe
from runner.show import shown_path

# A last operator row holds the recipients of outboxes without a report yet.
NOT_REPORTED = "no report yet (outbox not final)"


@dataclass(frozen=True)
class Facts:
    """The campaign as it went out."""

    message: str  # the text, or the first of several
    texts: int  # how many different texts the outboxes carry
    types: tuple[str, ...]  # the batches' sending types
    senders: tuple[str, ...]
    sent_at: datetime | None  # the first outbox's send (or scheduled) time
    scheduled: bool  # it goes out later than the report was made
    final: bool  # every outbox reached a final state
    cancel_command: str
    cost: float
    delivered: int

    @property
    def cost_per_delivered(self) -> float | None:
        return self.cost / self.delivered if self.delivered else None

    @property
    def when(self) -> ScheduleView | None:
        return describe(self.sent_at) if self.sent_at else None

    @property
    def cancel_until(self) -> ScheduleView | None:
        return describe(cancel_deadline(self.sent_at)) if self.sent_at else None

    def to_json(self) -> dict[str, Any]:
        return {
            "message_sample": self.message,
            "distinct_texts": self.texts,
            "senders": list(self.senders),
            "send_time": iso_utc(self.sent_at),
            "scheduled": self.scheduled,
            "cost_per_delivered": self.cost_per_delivered,
        }


def campaign_facts(report: Report) -> Facts:
    outboxes = report.outboxes
    texts = list(dict.fromkeys(o.message for o in outboxes if o.message))
    times = [t for o in outboxes for t in (o.send_at or o.created_at,) if t]
    sent_at = datetime.fromtimestamp(min(times), timezone.utc) if times else None
    waiting = [o for o in outboxes if not o.final]
    totals = report.totals()
    return Facts(
        message=texts[0] if texts else "",
        texts=len(texts),
        types=tuple(dict.fromkeys(b.sending_type for b in report.batches)),
        senders=tuple(sorted({o.sender for o in outboxes if o.sender})),
        sent_at=sent_at,
        scheduled=bool(waiting) and sent_at is not None and sent_at > report.generated_at,
        final=bool(outboxes) and not waiting,
        cancel_command=cancel_command(_campaign_path(report), sandbox=report.sandbox),
        cost=float(totals["cost"]),
        delivered=int(totals["delivered"]),
    )


def _campaign_path(report: Report) -> str:
    """The campaign as typed from where the report was made (a repository's root, say);
    its bare name when that is outside, since the report sits beside it."""
    shown = shown_path(report.campaign_path)
    return report.campaign_file if shown.startswith("..") else shown


@dataclass(frozen=True)
class OperatorLine:
    """One row of the operator table: recipients by outcome."""

    name: str
    counts: Counts

    def to_json(self) -> dict[str, Any]:
        return {"operator": self.name, "recipients": self.counts.total, **self.counts.to_json()}


def operator_rows(report: Report) -> list[OperatorLine]:
    """Recipients per operator (by number prefix) and outcome, from the per-recipient rows.

    Outboxes without a per-recipient report yet (not final) add a last row, so the
    rows always add up to the recipients.
    """
    statuses: dict[str, list[int | None]] = {name: [] for name in OPERATORS}
    for row in report.recipients:
        statuses[operator_of(row.phone)].append(row.status)
    lines = [
        OperatorLine(OPERATOR_NAMES[name], Counts.of_statuses(found))
        for name, found in statuses.items()
        if found
    ]
    unreported = report.counts.total - len(report.recipients)
    if unreported > 0:
        lines.append(OperatorLine(NOT_REPORTED, Counts(pending=unreported)))
    return lines
