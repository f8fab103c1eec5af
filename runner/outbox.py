"""The account's outbox is the source of truth; the lockfile is its cache.

Two questions are asked of ``report/new_list`` (the account's sends, newest first):

- ``Outbox.settle(record)``: did a send whose outcome is unknown reach the API? Rows
  from the same sender, created since the attempt, with one of its texts, whose
  recipients (``report/recipients``) are exactly the batch's → their ids.
- ``Outbox.already_sent(batches)``: which recipients about to be sent already got
  the same text from the same sender within the window (a lost or stale lockfile,
  a runner killed before its lockfile was kept, a copy of the campaign file)?
  Their rows are adopted and those recipients are left out.

One listing per sender and window serves a whole run (1,000 rows a page, the
largest page the API is known to take); ``report/recipients`` is called only for
rows whose text could be this campaign's, once a row. How a send is recognized is
the sending type's ``outbox_match``: text and recipients; for a pattern, whose text
IPPanel fills in from its template, the words of the recipient's params and the
recipient (or a row that shows the template itself); for postal_code, whose
audience IPPanel picks, the text alone.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from runner.api.client import IPPanelClient
from runner.api.envelope import missing_endpoint
from runner.api.types import OutboxRow
from runner.errors import ApiError
from runner.lockfile import (
    BatchRecord,
    pack_digests,
    recipient_digest,
    text_digest,
    unpack_digests,
)
from runner.models import Batch, Campaign
from runner.outbox_match import Wanted, carries, param_words
from runner.phones import InvalidNumber, normalize_phone
from runner.sending_types import spec_of

OUTBOX_PAGE = 1000
LOOKUPS_IN_FLIGHT = 8  # report/recipients calls at once when many outboxes need checking
# Clocks differ between us and the API: look this far before an attempt, and after now.
CLOCK_SLACK = 10 * 60


def text_digests(batch: Batch) -> str:
    """What the lockfile keeps of a batch's texts to recognize it later (``texts``)."""
    if spec_of(batch.sending_type).outbox_match == "pattern_words":
        return pack_digests({text_digest(w) for w in param_words(batch.fields)})
    return pack_digests({text_digest(m.text) for m in batch.messages if m.text})


@dataclass(frozen=True)
class Adoption:
    """Rows of the account's outbox that already carried this campaign to some recipients."""

    rows: tuple[OutboxRow, ...] = ()
    phones: frozenset[str] = frozenset()

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(sorted(r.outbox_id for r in self.rows))

    @property
    def newest(self) -> int:
        """When the newest of the rows was created (unix time; 0 when unknown)."""
        return max((r.created_at or 0 for r in self.rows), default=0)


def adopted_record(campaign: Campaign, found: Adoption, now: int) -> BatchRecord:
    """A lockfile record for outboxes found already sent: sent, with their ids."""
    ids = found.ids
    key = hashlib.sha256(f"adopted\n{campaign.name}\n{ids}".encode()).hexdigest()[:16]
    created = min((r.created_at for r in found.rows if r.created_at), default=now)
    when = datetime.fromtimestamp(created, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return BatchRecord(
        key=key,
        state="sent",
        sending_type=campaign.type,
        sender=campaign.sender or "",
        recipients=len(found.phones),
        digests=pack_digests(recipient_digest(campaign.name, p) for p in found.phones),
        outbox_ids=ids,
        attempted_at=created,
        error=f"adopted: already in the account's outbox (created {when}); not sent again",
        texts=pack_digests({text_digest(r.message) for r in found.rows}),
    )


class Outbox:
    """What the account's outbox holds, fetched as little as possible during one apply."""

    def __init__(
        self,
        client: IPPanelClient,
        campaign: str,
        *,
        known_ids: Iterable[int],
        now: Callable[[], datetime],
        warn: Callable[[str], None] = lambda message: None,
    ) -> None:
        self._client = client
        self._campaign = campaign
        self._known = set(known_ids)
        self._now = now
        self._warn = warn
        # Why the outbox cannot be searched (an API without report/new_list), once known.
        self.missing = ""
        # Per sender: (since, fetched at, rows). Callers on several threads share it.
        self._listings: dict[str, tuple[int, float, list[OutboxRow]]] = {}
        self._phones: dict[int, tuple[str, ...]] = {}
        self._guard = threading.RLock()

    def rows(self, sender: str, since: int, *, fresh_after: float = 0) -> list[OutboxRow]:
        """Rows from ``sender`` ("" = any) created since ``since``, none of them already known.

        A listing fetched before ``fresh_after`` (unix time) is fetched again.
        """
        with self._guard:
            cached = self._listings.get(sender)
            if cached is None or cached[0] > since or cached[1] < fresh_after:
                fetched_at = self._now().timestamp()
                cached = (since, fetched_at, self._fetch(sender, since))
                self._listings[sender] = cached
            return [r for r in cached[2] if r.outbox_id not in self._known]

    def _fetch(self, sender: str, since: int) -> list[OutboxRow]:
        until = int(self._now().timestamp()) + CLOCK_SLACK
        filters: dict[str, Any] = {"create_from_date": str(since), "create_to_date": str(until)}
        if sender:
            filters["number"] = sender
        seen: dict[int, OutboxRow] = {}
        try:
            for row in self._client.iter_outbox(limit=OUTBOX_PAGE, **filters):
                seen.setdefault(row.outbox_id, row)  # a row committed meanwhile shifts the pages
        except ApiError as err:
            if not missing_endpoint(err):
                raise
            if not self.missing:
                self.missing = f"the API has no report/new_list (HTTP {err.status})"
                self._warn(
                    f"{self.missing}: the account's outbox cannot be searched for an earlier "
                    "send of this campaign; only the lockfile guards against sending twice"
                )
        return list(seen.values())

    def phones(self, outbox_id: int) -> tuple[str, ...]:
        """The recipients of one outbox, normalized; fetched once."""
        with self._guard:
            return self._fetch_phones(outbox_id)

    def _fetch_phones(self, outbox_id: int) -> tuple[str, ...]:
        if outbox_id not in self._phones:
            self._phones[outbox_id] = self._recipients_of(outbox_id)
        return self._phones[outbox_id]

    def _recipients_of(self, outbox_id: int) -> tuple[str, ...]:
        found: list[str] = []
        for row in self._client.recipients(outbox_id):
            try:
                found.append(normalize_phone(row.recipient))
            except InvalidNumber:
                continue
        return tuple(found)

    def _prefetch(self, outbox_ids: list[int]) -> None:
        """The recipients of many outboxes, a few requests at a time (a lost lockfile of a
        personalized campaign means one outbox a recipient to check)."""
        missing = [i for i in dict.fromkeys(outbox_ids) if i not in self._phones]
        if len(missing) < 2:
            return
        with ThreadPoolExecutor(max_workers=LOOKUPS_IN_FLIGHT) as pool:
            found = pool.map(self._recipients_of, missing)
            for outbox_id, phones in zip(missing, found, strict=True):
                self._phones[outbox_id] = phones

    def know(self, ids: Iterable[int]) -> None:
        """These outboxes are accounted for (recorded in the lockfile) from now on."""
        with self._guard:
            self._known.update(ids)

    def settle(self, record: BatchRecord, *, fresh_after: float = 0) -> tuple[int, ...] | None:
        """The outbox ids that are exactly ``record``'s send, or None when it is not there."""
        with self._guard:
            return self._settle(record, fresh_after)

    def _settle(self, record: BatchRecord, fresh_after: float) -> tuple[int, ...] | None:
        since = record.attempted_at - CLOCK_SLACK
        own = set(record.outbox_ids)
        self._known -= own  # an answer with too few ids: its own ids are candidates too
        try:
            rows = self.rows(record.sender, since, fresh_after=fresh_after)
        finally:
            self._known |= own
        rows = [r for r in rows if _since(r, since)]
        texts = unpack_digests(record.texts) if record.texts else None
        match = spec_of(record.sending_type).outbox_match
        if match == "text":
            found = [r.outbox_id for r in rows if texts and text_digest(r.message) in texts]
            return tuple(sorted(found)) or None
        wanted = unpack_digests(record.digests)
        covered: set[bytes] = set()
        ids: list[int] = []
        for row in rows:
            if row.recipients > record.recipients or not carries(match, texts, row.message):
                continue
            got = {recipient_digest(self._campaign, p) for p in self._fetch_phones(row.outbox_id)}
            if not got & wanted:
                continue
            if got & covered or not got <= wanted:
                return None  # rows that are not exactly this batch: the recipient check decides
            covered |= got
            ids.append(row.outbox_id)
        return tuple(sorted(ids)) if covered == wanted else None

    def already_sent(
        self, batches: Sequence[Batch], sender: str, since: int, *, fresh_after: float = 0
    ) -> Adoption:
        """Rows from ``sender`` since ``since`` that carried a batch's text to its recipients."""
        wanted = Wanted.of(batches)
        if not wanted.phones():
            return Adoption()
        with self._guard:
            return self._already_sent(wanted, self.rows(sender, since, fresh_after=fresh_after))

    def _already_sent(self, wanted: Wanted, candidates: list[OutboxRow]) -> Adoption:
        rows: list[OutboxRow] = []
        phones: set[str] = set()
        self._prefetch(
            [
                r.outbox_id
                for r in candidates
                if r.message not in wanted.by_text and wanted.may_match(r)
            ]
        )
        for row in candidates:
            if row.message in wanted.by_text:
                matched = set(wanted.by_text[row.message])  # IPPanel chose the audience
            elif wanted.may_match(row):
                matched = {p for p in self._fetch_phones(row.outbox_id) if wanted.got(p, row)}
            else:
                continue
            if matched:
                rows.append(row)
                phones |= matched
        return Adoption(tuple(rows), frozenset(phones))


def _since(row: OutboxRow, since: int) -> bool:
    return row.created_at is None or row.created_at >= since
