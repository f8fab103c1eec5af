"""Where each outbox stands: many outboxes per call from ``report/new_list``.

The lockfile says which sender sent each batch and when it was attempted. Those
times, widened by ``WINDOW_BEFORE`` / ``WINDOW_AFTER`` (clocks differ, queues are
slow) and merged where they overlap, become ``new_list`` queries filtered by sender
and creation time, ``NEW_LIST_PAGE`` rows a page: a campaign of 100,000 outboxes
sent in one run is about a hundred calls. A window stops paging as soon as it has
found every outbox it was asked for.

What ``new_list`` does not show (an outbox outside its window, a server that
filters differently, an API without the endpoint — a warning then) is asked one by
one with ``by_bulk``, whose two documented shapes the client handles. ``new_list``
rows carry no reviewer's comment, so rejected outboxes are asked with ``by_bulk``
too, once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import TypeVar

from runner.api.client import IPPanelClient
from runner.api.envelope import missing_endpoint
from runner.api.types import OutboxRow
from runner.errors import ApiError
from runner.lockfile import BatchRecord

# new_list documents no maximum page size; the sandbox's (and many Laravel APIs') is 1000.
# A server that pages fewer says so in meta.per_page / last_page, and paging follows it.
NEW_LIST_PAGE = 1000
WINDOW_BEFORE = 10 * 60
WINDOW_AFTER = 30 * 60
REJECTED = 3

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Window:
    """One ``new_list`` query: a sender's outboxes created in ``[start, end]``, and whom we seek."""

    sender: str
    start: int
    end: int
    wanted: frozenset[int]


def windows(records: Iterable[BatchRecord], wanted: set[int]) -> list[Window]:
    """Merged creation-time windows per sender around the batches holding ``wanted`` ids."""
    times: dict[str, list[tuple[int, tuple[int, ...]]]] = {}
    for record in records:
        ids = tuple(i for i in record.outbox_ids if i in wanted)
        if ids and record.attempted_at:
            times.setdefault(record.sender, []).append((record.attempted_at, ids))
    found: list[Window] = []
    for sender, attempts in sorted(times.items()):
        attempts.sort()
        start, end, sought = _open(attempts[0])
        for attempt in attempts[1:]:
            if attempt[0] - WINDOW_BEFORE <= end:
                end = max(end, attempt[0] + WINDOW_AFTER)
                sought |= set(attempt[1])
            else:
                found.append(Window(sender, start, end, frozenset(sought)))
                start, end, sought = _open(attempt)
        found.append(Window(sender, start, end, frozenset(sought)))
    return found


def _open(attempt: tuple[int, tuple[int, ...]]) -> tuple[int, int, set[int]]:
    at, ids = attempt
    return at - WINDOW_BEFORE, at + WINDOW_AFTER, set(ids)


def outbox_rows(
    client: IPPanelClient,
    records: Sequence[BatchRecord],
    wanted: set[int],
    *,
    concurrency: int,
    warn: Callable[[str], None],
) -> dict[int, OutboxRow]:
    """The current row of every ``wanted`` outbox id (``NotFoundError`` if the API lacks one)."""
    rows: dict[int, OutboxRow] = {}
    try:
        for window in windows(records, wanted):
            rows.update(_listed(client, window))
    except ApiError as err:
        if not missing_endpoint(err):
            raise
        warn(
            "this API has no report/new_list; asking for each outbox with by_bulk "
            "(one call an outbox)"
        )
    # by_bulk for what new_list did not show, and for the reviewers' comments on rejections.
    ask = [i for i in sorted(wanted) if i not in rows or _lacks_comment(rows[i])]
    for outbox_id, row in bounded(ask, client.outbox_by_id, concurrency):
        rows[outbox_id] = row
    # The API's whole row (two dozen fields) is not needed any more: a hundred thousand
    # of them would be most of the report's memory.
    return {i: replace(row, raw={}) for i, row in rows.items()}


def _listed(client: IPPanelClient, window: Window) -> Iterator[tuple[int, OutboxRow]]:
    filters: dict[str, str] = {
        "create_from_date": str(window.start),
        "create_to_date": str(window.end),
    }
    if window.sender:
        filters["number"] = window.sender
    missing = set(window.wanted)
    for row in client.iter_outbox(limit=NEW_LIST_PAGE, **filters):
        if row.outbox_id in missing:
            missing.discard(row.outbox_id)
            yield row.outbox_id, row
            if not missing:
                return


def _lacks_comment(row: OutboxRow) -> bool:
    return row.state_id == REJECTED and "reject_comment" not in row.raw


def bounded(items: Iterable[T], fetch: Callable[[T], R], concurrency: int) -> Iterator[tuple[T, R]]:
    """``(item, fetch(item))`` as each finishes, at most ``concurrency`` at a time.

    Items are submitted as room frees up, so a hundred thousand of them never sit in
    the pool at once; the first error cancels what has not started and is raised.
    """
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency))
    running: dict[Future[R], T] = {}
    try:
        for item in items:
            running[pool.submit(fetch, item)] = item
            if len(running) >= concurrency:
                yield from _collect(running)
        while running:
            yield from _collect(running)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _collect(running: dict[Future[R], T]) -> Iterator[tuple[T, R]]:
    done, _ = wait(running, return_when=FIRST_COMPLETED)
    for future in done:
        item = running.pop(future)
        yield item, future.result()


def by_outbox(records: Iterable[BatchRecord]) -> Mapping[int, BatchRecord]:
    """Each outbox id of a sent batch → its batch (the first, should two claim one id)."""
    owner: dict[int, BatchRecord] = {}
    for record in records:
        if record.state == "sent":
            for outbox_id in record.outbox_ids:
                owner.setdefault(outbox_id, record)
    return owner
