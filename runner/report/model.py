"""The delivery report as data: frozen results and their JSON.

``Report.to_json`` is most of the
``<stem>.report.json`` contract described by ``schemas/report.schema.json``
(``write.render_json`` adds the campaign facts and recipients per operator);
phone numbers appear in it only under ``failures``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from runner.report.words import (
    ATTENTION_STATES,
    FAILED_STATUSES,
    FINAL_STATES,
    OPERATOR_COLUMNS,
    iso_utc,
    state_meaning,
    state_name,
    status_name,
)

FORMAT = "ippanel-run report"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Counts:
    """Recipients by delivery outcome; ``pending`` has no final status yet."""

    delivered: int = 0
    not_delivered: int = 0
    blacklisted: int = 0
    pending: int = 0

    @property
    def total(self) -> int:
        return self.delivered + self.not_delivered + self.blacklisted + self.pending

    @classmethod
    def of_statuses(cls, statuses: Iterable[int | None]) -> Counts:
        found = {2: 0, 3: 0, 4: 0, None: 0}
        for status in statuses:
            found[status if status in (2, 3, 4) else None] += 1
        return cls(found[2], found[3], found[4], found[None])

    @classmethod
    def sum(cls, many: Iterable[Counts]) -> Counts:
        rows = list(many)
        return cls(
            sum(c.delivered for c in rows),
            sum(c.not_delivered for c in rows),
            sum(c.blacklisted for c in rows),
            sum(c.pending for c in rows),
        )

    def to_json(self) -> dict[str, int]:
        return {
            "delivered": self.delivered,
            "not_delivered": self.not_delivered,
            "blacklisted": self.blacklisted,
            "pending": self.pending,
        }


@dataclass(frozen=True, slots=True)
class RecipientResult:
    """One recipient of one outbox (kept for the failures list and the CSV)."""

    phone: str
    outbox_id: int
    status: int | None
    parts: int


@dataclass(frozen=True)
class OutboxResult:
    """One outbox as the API reports it now."""

    outbox_id: int
    state_id: int | None
    cost: float
    recipients: int
    sent: int
    parts: int | None
    created_at: int | None
    send_at: int | None
    reject_comment: str | None
    counts: Counts
    # bulk_stats' shape, counted from the recipients: category → operator → language → messages
    stats: Mapping[str, Mapping[str, Mapping[str, int]]] = field(default_factory=dict)
    message: str = ""  # the text as the API shows it (for patterns, maybe the pattern's)
    sender: str = ""

    @property
    def final(self) -> bool:
        return self.state_id in FINAL_STATES

    def to_json(self) -> dict[str, Any]:
        return {
            "outbox_id": self.outbox_id,
            "state_id": self.state_id,
            "state": state_name(self.state_id),
            "meaning": state_meaning(self.state_id),
            "final": self.final,
            "cost": self.cost,
            "recipients": self.recipients,
            "sent": self.sent,
            "parts": self.parts,
            "created_at": iso_utc(self.created_at),
            "send_at": iso_utc(self.send_at),
            "reject_comment": self.reject_comment,
            **self.counts.to_json(),
        }


@dataclass(frozen=True)
class BatchResult:
    """One lockfile batch and what became of its outboxes."""

    key: str
    lock_state: str
    sending_type: str
    recipients: int
    outboxes: tuple[OutboxResult, ...]
    error: str = ""
    attempted_at: int = 0  # when its request was made (unix seconds; 0 if unknown)
    recorded_ids: tuple[int, ...] = ()  # the lockfile's ids (all a cancelled batch has)

    @property
    def outbox_ids(self) -> tuple[int, ...]:
        return tuple(o.outbox_id for o in self.outboxes) or self.recorded_ids

    @property
    def counts(self) -> Counts:
        return Counts.sum(o.counts for o in self.outboxes)

    @property
    def cost(self) -> float:
        return sum(o.cost for o in self.outboxes)

    @property
    def status(self) -> str:
        """One phrase for the batch: its outboxes' common state, or why there are none."""
        if self.lock_state in ("failed", "cancelled"):
            return {"failed": "not sent"}.get(self.lock_state, self.lock_state)
        if self.lock_state in ("sending", "unknown"):
            return "unresolved"
        if not self.outboxes:
            return "no outbox ids"
        if not all(o.final for o in self.outboxes):
            return "in progress"
        names = sorted({state_name(o.state_id) for o in self.outboxes})
        return names[0] if len(names) == 1 else "mixed: " + ", ".join(names)

    @property
    def note(self) -> str:
        """What a reader should know or do about this batch; empty when nothing."""
        if self.lock_state == "failed":
            return f"the send failed and nothing went out{': ' + self.error if self.error else ''}"
        if self.lock_state == "cancelled":
            return "cancelled before its send time, so nothing went out; apply plans it again"
        if self.lock_state in ("sending", "unknown"):
            return (
                f"lockfile state {self.lock_state}: the send may or may not have gone out; "
                "run ippanel-run on the campaign again to reconcile it"
            )
        if not self.outboxes:
            return "the lockfile records no outbox ids for this batch"
        waiting = [o for o in self.outboxes if not o.final]
        if waiting:
            states = sorted({state_name(o.state_id) for o in waiting})
            return f"{len(waiting)} outbox(es) still {' / '.join(states)}; run the report again"
        unsent = Counter(o.state_id for o in self.outboxes if o.state_id != 6)
        return "; ".join(
            f"{n} outbox(es) {state_name(state)}: {state_meaning(state)}"
            for state, n in sorted(unsent.items(), key=lambda item: item[0] or 0)
        )

    @property
    def reject_comments(self) -> tuple[str, ...]:
        """The reviewers' comments on rejected outboxes, as the API sent them (often Persian)."""
        return tuple(sorted({o.reject_comment for o in self.outboxes if o.reject_comment}))

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "lock_state": self.lock_state,
            "sending_type": self.sending_type,
            "status": self.status,
            "note": self.note,
            "reject_comments": list(self.reject_comments),
            "recipients": self.recipients,
            "cost": self.cost,
            "outbox_ids": list(self.outbox_ids),
            "outboxes": [o.to_json() for o in self.outboxes],
            **self.counts.to_json(),
        }


@dataclass(frozen=True)
class OperatorRow:
    """One operator's messages by bulk_stats category (from the recipients), over every outbox."""

    operator: str
    by_category: Mapping[str, Mapping[str, int]]  # category → language → messages

    def count(self, category: str) -> int:
        return sum(self.by_category.get(category, {}).values())

    def to_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {"operator": self.operator}
        names = {"failed": "not_delivered", "blacklist": "blacklisted", "sent": "sent_no_report"}
        for category, _ in OPERATOR_COLUMNS:
            row[names.get(category, category)] = self.count(category)
        row["languages"] = {
            lang: {c: self.by_category.get(c, {}).get(lang, 0) for c, _ in OPERATOR_COLUMNS}
            for lang in ("fa", "en")
        }
        return row


@dataclass(frozen=True)
class Report:
    """Everything a delivery report shows about one campaign."""

    campaign: str
    description: str
    campaign_path: Path
    generated_at: datetime
    batches: tuple[BatchResult, ...]
    operators: tuple[OperatorRow, ...]
    recipients: tuple[RecipientResult, ...]
    sandbox: bool = False  # its sends went to the built-in sandbox (``--sandbox``)

    @property
    def campaign_file(self) -> str:
        return self.campaign_path.name

    @property
    def lockfile(self) -> str:
        return f"{self.campaign_path.stem}.lock.json"

    @property
    def outboxes(self) -> tuple[OutboxResult, ...]:
        return tuple(o for b in self.batches for o in b.outboxes)

    @property
    def counts(self) -> Counts:
        return Counts.sum(b.counts for b in self.batches)

    @property
    def complete(self) -> bool:
        """Every outbox reached a final state (batches without ids cannot get further)."""
        return all(o.final for o in self.outboxes)

    @property
    def failures(self) -> tuple[RecipientResult, ...]:
        return tuple(r for r in self.recipients if r.status in FAILED_STATUSES)

    def totals(self) -> dict[str, Any]:
        counts, outboxes = self.counts, self.outboxes
        return {
            "batches": len(self.batches),
            "outboxes": len(outboxes),
            "recipients": counts.total,
            "sent": sum(o.sent for o in outboxes),
            **counts.to_json(),
            "cost": sum(o.cost for o in outboxes),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "campaign": self.campaign,
            "description": self.description,
            "campaign_file": self.campaign_file,
            "lockfile": self.lockfile,
            "generated_at": iso_utc(self.generated_at),
            "complete": self.complete,
            "needs_attention": needs_attention(self),
            "totals": self.totals(),
            "batches": [b.to_json() for b in self.batches],
            "operators": [o.to_json() for o in self.operators],
            "failures": [
                {
                    "phone": r.phone,
                    "outbox_id": r.outbox_id,
                    "status": r.status,
                    "status_name": status_name(r.status),
                }
                for r in self.failures
            ],
        }


def needs_attention(report: Report) -> bool:
    """Whether the CLI should exit 1: a batch was rejected, refused or failed, or is unresolved.

    Final states 3 (rejected by review), 4 (invalid recipients), 8 (no credit) and
    9 (system error) need a person; so do lockfile batches left ``sending`` or
    ``unknown``, which the next apply must reconcile.
    """
    if any(o.state_id in ATTENTION_STATES for o in report.outboxes):
        return True
    return any(b.lock_state in ("sending", "unknown") for b in report.batches)
