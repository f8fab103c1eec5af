"""Fetch what became of a campaign's outboxes and gather it into a ``Report``.

As few calls as the API allows: outbox states come many to a call from
``report/new_list`` (``runner.report.states``), and ``report/recipients`` is read
only for outboxes whose state is final and whose report the cache does not hold
yet, ``concurrency`` at a time. What can no longer change is kept in
``<stem>.report.cache.json`` (``runner.report.cache``), so a rerun or ``--watch``
asks only about what changed: a finished campaign's report costs no call at all.

Per-operator figures are counted from the recipients (operator by number prefix,
language by the outbox's text), so numbers of every operator are counted and the
figures match the per-recipient list. Outboxes not final yet have no recipient
data: they count as pending. The client repeats reads safely on transient
failures; any error that remains ends the report (raised), after the cache has
kept what was fetched before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path

from runner.api.client import IPPanelClient
from runner.api.types import OutboxRow
from runner.lockfile import BatchRecord, Lock
from runner.models import Campaign
from runner.operators import operator_of
from runner.parts import count_parts
from runner.report.cache import FinalOutbox, load_cache, save_cache, settled
from runner.report.model import (
    BatchResult,
    Counts,
    OperatorRow,
    OutboxResult,
    RecipientResult,
    Report,
)
from runner.report.states import bounded, by_outbox, outbox_rows
from runner.report.words import FINAL_STATES

Progress = Callable[[int, int], None]
# A recipient's message_status → the bulk_stats category it counts in (None: no status yet).
CATEGORY_OF_STATUS: dict[int | None, str] = {
    0: "sent",
    1: "sent",
    2: "delivered",
    3: "failed",
    4: "blacklist",
    None: "pending",
}
Stats = dict[str, dict[str, dict[str, int]]]
# Outboxes between two saves of the cache while recipients are read: a killed first report
# of a huge campaign loses at most this many reads.
SAVE_EVERY = 10_000


def _no_progress(done: int, total: int) -> None:
    """Progress callback that shows nothing."""


def _no_warning(message: str) -> None:
    """Warning callback that shows nothing."""


class Fetcher:
    """A campaign's outboxes as far as fetched: final ones (cached) and the rest's rows."""

    def __init__(
        self,
        lock: Lock,
        client: IPPanelClient,
        *,
        concurrency: int = 4,
        progress: Progress = _no_progress,
        cache: Path | None = None,
        warn: Callable[[str], None] = _no_warning,
    ) -> None:
        self.lock = lock
        self.client = client
        self.concurrency = concurrency
        self.progress = progress
        self._warn = warn
        self._warned: set[str] = set()
        self.cache = cache
        self.owner = by_outbox(sorted(lock.batches.values(), key=lambda r: r.key))
        self.final: dict[int, FinalOutbox] = (
            load_cache(cache, lock, client.base_url) if cache is not None else {}
        )
        # This run's view of what is not in the cache: rows, and recipients once final.
        self.rows: dict[int, OutboxRow] = {}
        self.recipients: dict[int, tuple[RecipientResult, ...]] = {}

    def refresh(self, now: datetime) -> None:
        """Ask the API about every outbox not known for good; keep what became final."""
        todo = {i for i in self.owner if i not in self.final}
        total = len(self.owner)
        self.progress(total - len(todo), total)
        if not todo:
            return
        try:
            self.rows.update(
                outbox_rows(
                    self.client,
                    list(self.lock.batches.values()),
                    todo,
                    concurrency=self.concurrency,
                    warn=self._warn_once,
                )
            )
            ready = sorted(
                i
                for i in todo
                if self.rows[i].state_id in FINAL_STATES and i not in self.recipients
            )
            done = total - len(ready)
            self.progress(done, total)
            for outbox_id, rows in bounded(ready, self._recipients_of, self.concurrency):
                self._keep(outbox_id, rows, now.timestamp())
                done += 1
                self.progress(done, total)
                if done % SAVE_EVERY == 0:
                    self._save()  # a first report of 100,000 outboxes takes minutes
        finally:
            self._save()

    def _warn_once(self, message: str) -> None:
        # --watch asks again every poll; the API lacking an endpoint is news only once.
        if message not in self._warned:
            self._warned.add(message)
            self._warn(message)

    def _save(self) -> None:
        if self.cache is not None:
            save_cache(self.cache, self.lock, self.client.base_url, self.final)

    def waiting(self) -> list[int]:
        """Outbox ids whose state is not final yet."""
        return sorted(
            i
            for i in self.owner
            if i not in self.final and self.rows[i].state_id not in FINAL_STATES
        )

    def report(self, campaign: Campaign, now: datetime) -> Report:
        """The report as of the last ``refresh``."""
        records = sorted(self.lock.batches.values(), key=send_order)
        results = {i: self._result(i) for i in self.owner}
        batches = tuple(_batch(r, results) for r in records)
        recipients = tuple(
            row
            for b in batches
            if b.lock_state == "sent"
            for i in b.outbox_ids
            for row in self._recipients_known(i)
        )
        return Report(
            campaign=campaign.name,
            description=campaign.description,
            campaign_path=campaign.path,
            generated_at=now,
            batches=batches,
            operators=_operators(o for b in batches for o in b.outboxes),
            recipients=recipients,
            sandbox=campaign.sandbox is not None,
        )

    def _recipients_of(self, outbox_id: int) -> tuple[RecipientResult, ...]:
        return tuple(
            RecipientResult(r.recipient, outbox_id, r.status, r.parts)
            for r in self.client.recipients(outbox_id)
        )

    def _keep(self, outbox_id: int, rows: tuple[RecipientResult, ...], now: float) -> None:
        row = self.rows[outbox_id]
        if settled(row, [r.status for r in rows], now):
            self.final[outbox_id] = FinalOutbox(self.owner[outbox_id].key, row, rows)
        else:
            self.recipients[outbox_id] = rows

    def _recipients_known(self, outbox_id: int) -> tuple[RecipientResult, ...]:
        if outbox_id in self.final:
            return self.final[outbox_id].recipients
        return self.recipients.get(outbox_id, ())

    def _result(self, outbox_id: int) -> OutboxResult:
        if outbox_id in self.final:
            entry = self.final[outbox_id]
            return outbox_result(entry.row, entry.recipients)
        return outbox_result(self.rows[outbox_id], self.recipients.get(outbox_id))


def build_report(
    campaign: Campaign,
    lock: Lock,
    client: IPPanelClient,
    *,
    now: datetime,
    concurrency: int = 4,
    progress: Progress = _no_progress,
    cache: Path | None = None,
    warn: Callable[[str], None] = _no_warning,
) -> Report:
    """The campaign's delivery report as of ``now``; ``progress(done, total)`` per outbox.

    With ``cache`` (``runner.report.cache.cache_path``), final outboxes are read from
    it and new ones added to it.
    """
    fetcher = Fetcher(
        lock, client, concurrency=concurrency, progress=progress, cache=cache, warn=warn
    )
    fetcher.refresh(now)
    return fetcher.report(campaign, now)


def watch(
    campaign: Campaign,
    lock: Lock,
    client: IPPanelClient,
    *,
    interval: float,
    sleep: Callable[[float], None],
    now: Callable[[], datetime],
    concurrency: int = 4,
    progress: Progress = _no_progress,
    waiting_for: Callable[[int], None] = lambda count: None,
    cache: Path | None = None,
    warn: Callable[[str], None] = _no_warning,
) -> Report:
    """Poll until every outbox is final, then return the full report.

    Each poll reads the states of outboxes not final yet (``new_list``, many a call)
    and the recipients of those that became final since the last poll, once.
    Batches without outbox ids are not waited for. ``waiting_for(n)`` is told before
    each pause how many outboxes are not final yet.
    """
    fetcher = Fetcher(
        lock, client, concurrency=concurrency, progress=progress, cache=cache, warn=warn
    )
    while True:
        fetcher.refresh(now())
        waiting = fetcher.waiting()
        if not waiting:
            return fetcher.report(campaign, now())
        waiting_for(len(waiting))
        sleep(interval)


def outbox_result(row: OutboxRow, recipients: tuple[RecipientResult, ...] | None) -> OutboxResult:
    """One outbox for the report; without recipient data its recipients count as pending."""
    if recipients is None:
        counts, stats = Counts(pending=row.recipients), {}
    else:
        counts = Counts.of_statuses(r.status for r in recipients)
        stats = _stats(row.message, recipients)
    return OutboxResult(
        outbox_id=row.outbox_id,
        state_id=row.state_id,
        cost=row.cost,
        recipients=row.recipients,
        sent=row.exit_count,
        parts=row.parts,
        created_at=row.created_at,
        send_at=row.send_at,
        reject_comment=row.reject_comment or None,
        counts=counts,
        stats=stats,
        message=row.message,
        sender=row.sender,
    )


def _stats(text: str, recipients: Iterable[RecipientResult]) -> Stats:
    """Messages per category, operator and language, as ``bulk_stats`` shapes them."""
    language = "en" if count_parts(text).encoding == "GSM-7" else "fa"
    stats: Stats = {}
    for recipient in recipients:
        category = CATEGORY_OF_STATUS.get(recipient.status, "pending")
        cell = stats.setdefault(category, {}).setdefault(operator_of(recipient.phone), {})
        cell[language] = cell.get(language, 0) + 1
    return stats


def send_order(record: BatchRecord) -> tuple[int, int, str]:
    """Batches as they were sent: by attempt time, then by outbox id (ids grow as the API
    creates them, and batches sent in the same second are told apart by them)."""
    return (record.attempted_at, min(record.outbox_ids, default=2**62), record.key)


def _batch(record: BatchRecord, results: Mapping[int, OutboxResult]) -> BatchResult:
    outboxes = tuple(results[i] for i in record.outbox_ids) if record.state == "sent" else ()
    return BatchResult(
        key=record.key,
        lock_state=record.state,
        sending_type=record.sending_type,
        recipients=record.recipients,
        outboxes=outboxes,
        error=record.error,
        attempted_at=record.attempted_at,
        recorded_ids=record.outbox_ids,
    )


def _operators(outboxes: Iterable[OutboxResult]) -> tuple[OperatorRow, ...]:
    table: dict[str, dict[str, dict[str, int]]] = {}
    for outbox in outboxes:
        for category, operators in outbox.stats.items():
            for operator, languages in operators.items():
                cell = table.setdefault(operator, {}).setdefault(category, {})
                for language, n in languages.items():
                    cell[language] = cell.get(language, 0) + n
    return tuple(OperatorRow(op, table[op]) for op in sorted(table))
