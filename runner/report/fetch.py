"""Fetch what became of a campaign's outboxes and gather it into a ``Report``.

For every outbox id in the lockfile: ``report/by_bulk`` (state, cost, counts),
``report/bulk_stats`` (per operator) and every page of ``report/recipients``.
Outboxes are fetched ``concurrency`` at a time; the client repeats reads safely
on transient failures, and any error that remains ends the report (it is raised).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime
from typing import TypeVar

from runner.api.client import IPPanelClient
from runner.lockfile import BatchRecord, Lock
from runner.models import Campaign
from runner.report.model import (
    BatchResult,
    Counts,
    OperatorRow,
    OutboxResult,
    RecipientResult,
    Report,
)
from runner.report.words import FINAL_STATES

Progress = Callable[[int, int], None]
Fetched = tuple[OutboxResult, list[RecipientResult]]
T = TypeVar("T")


def _no_progress(done: int, total: int) -> None:
    """Progress callback that shows nothing."""


def build_report(
    campaign: Campaign,
    lock: Lock,
    client: IPPanelClient,
    *,
    now: datetime,
    concurrency: int = 4,
    progress: Progress = _no_progress,
) -> Report:
    """The campaign's delivery report as of ``now``; ``progress(done, total)`` per outbox."""
    records = sorted(lock.batches.values(), key=lambda r: (r.attempted_at, r.key))
    ids = [i for r in records if r.state == "sent" for i in r.outbox_ids]
    fetched = _fetch_all(ids, lambda i: _fetch_outbox(client, i), concurrency, progress)
    batches = tuple(_batch(r, fetched) for r in records)
    recipients = tuple(
        row
        for b in batches
        if b.lock_state == "sent"
        for i in b.outbox_ids
        for row in fetched[i][1]
    )
    return Report(
        campaign=campaign.name,
        description=campaign.description,
        campaign_path=campaign.path,
        generated_at=now,
        batches=batches,
        operators=_operators(o for b in batches for o in b.outboxes),
        recipients=recipients,
    )


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
) -> Report:
    """Poll every outbox's state until all are final, then build the full report.

    Polling reads only ``by_bulk`` (one small request an outbox); recipients are
    fetched once, at the end. Batches without outbox ids are not waited for.
    ``waiting_for(n)`` is told before each pause how many outboxes are not final yet.
    """
    ids = sorted({i for r in lock.batches.values() if r.state == "sent" for i in r.outbox_ids})
    waiting = ids
    while waiting:
        states = _fetch_all(
            waiting, lambda i: client.outbox_by_id(i).state_id, concurrency, _no_progress
        )
        waiting = [i for i in waiting if states[i] not in FINAL_STATES]
        if waiting:
            waiting_for(len(waiting))
            sleep(interval)
    return build_report(
        campaign, lock, client, now=now(), concurrency=concurrency, progress=progress
    )


def _fetch_all(
    ids: Iterable[int], fetch: Callable[[int], T], concurrency: int, progress: Progress
) -> dict[int, T]:
    """``fetch`` each id on at most ``concurrency`` threads; the first error cancels the rest."""
    unique = list(dict.fromkeys(ids))
    results: dict[int, T] = {}
    progress(0, len(unique))
    if not unique:
        return results
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(unique)))) as pool:
        futures = {pool.submit(fetch, i): i for i in unique}
        try:
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                progress(len(results), len(unique))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return results


def _fetch_outbox(client: IPPanelClient, outbox_id: int) -> Fetched:
    row = client.outbox_by_id(outbox_id)
    stats = client.bulk_stats(outbox_id)
    recipients = [
        RecipientResult(r.recipient, outbox_id, r.status, r.parts)
        for r in client.recipients(outbox_id)
    ]
    result = OutboxResult(
        outbox_id=outbox_id,
        state_id=row.state_id,
        cost=row.cost,
        recipients=row.recipients,
        sent=row.exit_count,
        parts=row.parts,
        created_at=row.created_at,
        send_at=row.send_at,
        reject_comment=row.reject_comment or None,
        counts=Counts.of_statuses(r.status for r in recipients),
        stats=stats.counts,
    )
    return result, recipients


def _batch(record: BatchRecord, fetched: Mapping[int, Fetched]) -> BatchResult:
    outboxes = tuple(fetched[i][0] for i in record.outbox_ids) if record.state == "sent" else ()
    return BatchResult(
        key=record.key,
        lock_state=record.state,
        sending_type=record.sending_type,
        recipients=record.recipients,
        outboxes=outboxes,
        error=record.error,
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
