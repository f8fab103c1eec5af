"""Replies to a campaign: its recipients' messages to its sender line since it went out.

``collect_replies`` walks the account's inbox (``report/messages-inbox`` with its
``from_id`` cursor, ``runner.api.lookups.iter_inbox``) and keeps the messages sent to
the campaign's sender line, after it went out, from a number the campaign reached.
Recipients are matched by their digests in the lockfile, which holds no plaintext
number. A reply whose whole text is an opt-out word (لغو, 11, stop, …, whatever the
digits' script) is an opt-out.

``render_replies_csv`` is ``<stem>.replies.csv`` (formula-safe cells);
``add_opt_outs`` appends new opt-outs to a ``.txt`` file a campaign can list under
``exclude:``, each number once however often it is run.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from runner.api.client import IPPanelClient
from runner.api.envelope import missing_endpoint
from runner.api.lookups import InboxMessage, iter_inbox, line_key
from runner.errors import ApiError, InputError, InvalidCampaign
from runner.files import write_atomic
from runner.lockfile import Lock, recipient_digest, unpack_digests
from runner.models import Campaign
from runner.phones import InvalidNumber, normalize_phone
from runner.safe_text import csv_cell, printable
from runner.schedule import describe, schedule_moment

# Whole replies that mean "no more messages", once normalized (see ``normalized``).
OPT_OUT_WORDS = frozenset(
    {"لغو", "11", "لغو11", "لغوعضویت", "انصراف", "stop", "unsubscribe", "optout"}
)
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "0123456789" * 2)
# Arabic letters Persian keyboards also produce → their Persian forms.
_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه"})
MAX_TEXT = 2000  # a reply is at most a few SMS parts; anything longer is clipped
CSV_HEADER = ("inbox_id", "received_utc", "received_tehran", "phone", "message", "opt_out")


@dataclass(frozen=True)
class Reply:
    """One message from a recipient of the campaign to its sender line."""

    inbox_id: int
    phone: str
    text: str
    received: datetime | None
    opt_out: bool


@dataclass(frozen=True)
class Replies:
    """The replies to one campaign, and what was read to find them."""

    campaign: Campaign
    since: datetime
    recipients: int
    replies: tuple[Reply, ...]
    scanned: int

    @property
    def repliers(self) -> int:
        return len({r.phone for r in self.replies})

    @property
    def opt_outs(self) -> tuple[str, ...]:
        """Numbers that answered with an opt-out word, each once, in the order they did."""
        return tuple(dict.fromkeys(r.phone for r in self.replies if r.opt_out))

    def common_answers(self, count: int = 5) -> list[tuple[str, int]]:
        """The most frequent answers (as first written), with how many sent each."""
        first: dict[str, str] = {}
        tally: Counter[str] = Counter()
        for reply in self.replies:
            key = normalized(reply.text)
            first.setdefault(key, reply.text.strip())
            tally[key] += 1
        return [(first[key], n) for key, n in tally.most_common(count)]


def normalized(text: str) -> str:
    """A reply reduced to compare it: ASCII digits, Persian letters, lower case, no spaces,
    punctuation, joiners or tatweel (``لغو ۱۱!`` → ``لغو11``)."""
    text = unicodedata.normalize("NFKC", text).translate(_DIGITS).translate(_LETTERS).lower()
    return "".join(c for c in text if c.isalnum() and c != "\u0640")  # U+0640: tatweel


def is_opt_out(text: str) -> bool:
    return normalized(text) in OPT_OUT_WORDS


def collect_replies(
    campaign: Campaign, lock: Lock, client: IPPanelClient, *, from_id: int = 0
) -> Replies:
    """The replies to ``campaign`` in the account's inbox (messages after ``from_id``)."""
    if not campaign.sender:
        raise InputError(
            f"{campaign.path}: a {campaign.type} campaign has no sender line, so nobody can "
            "reply to it"
        )
    sent = [r for r in lock.batches.values() if r.state == "sent"]
    if not sent:
        raise InputError(
            f"{campaign.path}: nothing of this campaign went out yet "
            f"({campaign.lockfile_path.name} records no sent batch), so there are no replies"
        )
    reached: set[bytes] = set()
    for record in sent:
        reached |= unpack_digests(record.digests)
    since = _since(campaign, min(r.attempted_at for r in sent))
    line = line_key(campaign.sender)
    replies: list[Reply] = []
    scanned = 0
    for message in _inbox(client, from_id):
        scanned += 1
        if line_key(message.line) != line:
            continue
        received = _moment(message.time)
        if received is not None and received < since:
            continue
        phone = _phone(message.sender)
        if phone is None or recipient_digest(campaign.name, phone) not in reached:
            continue
        replies.append(
            Reply(message.inbox_id, phone, message.message, received, is_opt_out(message.message))
        )
    replies.sort(key=lambda r: r.inbox_id)
    return Replies(campaign, since, sum(r.recipients for r in sent), tuple(replies), scanned)


def _inbox(client: IPPanelClient, from_id: int) -> Iterator[InboxMessage]:
    """The inbox, message by message; an API without one says so."""
    try:
        yield from iter_inbox(client, from_id=from_id)
    except ApiError as err:
        if not missing_endpoint(err):
            raise
        raise ApiError(
            "this API has no inbox to read replies from (POST /api/report/messages-inbox: "
            f"{err}); read them in the IPPanel panel",
            status=err.status,
        ) from err


def _since(campaign: Campaign, attempted_at: int) -> datetime:
    """When the campaign went out: its first send, or its scheduled time if that is later."""
    since = datetime.fromtimestamp(attempted_at, timezone.utc)
    if campaign.schedule is not None:
        with contextlib.suppress(InvalidCampaign, ValueError):  # malformed: its first send
            since = max(since, schedule_moment(campaign.schedule))
    return since


def _moment(unix: int | None) -> datetime | None:
    return None if unix is None else datetime.fromtimestamp(unix, timezone.utc)


def _phone(raw: str) -> str | None:
    try:
        return normalize_phone(raw)
    except InvalidNumber:
        return None


def replies_path(campaign: Campaign) -> Path:
    return campaign.state_file(".replies.csv")  # a --sandbox run's: in the sandbox


def render_replies_csv(replies: Replies) -> str:
    """Every reply, oldest first; phones as ``0912…`` and every cell safe for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for reply in replies.replies:
        when = reply.received
        writer.writerow(
            (
                reply.inbox_id,
                "" if when is None else when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "" if when is None else describe(when).jalali_clock,
                "0" + reply.phone[3:],
                csv_cell(printable(reply.text, MAX_TEXT)),
                "yes" if reply.opt_out else "no",
            )
        )
    return out.getvalue()


def add_opt_outs(path: Path, phones: Iterable[str], campaign: Campaign, now: datetime) -> list[str]:
    """Append the numbers ``path`` does not list yet; return those added (none: unchanged)."""
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    listed = {p for p in (_phone(line) for line in _numbers(existing)) if p}
    new = [p for p in dict.fromkeys(phones) if p not in listed]
    if not new:
        return []
    head = (
        ""
        if existing
        else (
            "# Numbers that asked for no more messages (ippanel-run replies --opt-outs).\n"
            "# List this file under exclude: in your campaigns.\n"
        )
    )
    if existing and not existing.endswith("\n"):
        existing += "\n"
    stamp = describe(now).jalali_clock
    block = f"# replied with an opt-out word to {campaign.name} (by {stamp} Tehran)\n"
    write_atomic(path, existing + head + block + "".join(p + "\n" for p in new))
    return new


def _numbers(text: str) -> Iterable[str]:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and re.search(r"\d", line):
            yield line
