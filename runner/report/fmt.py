"""Small formatting helpers shared by the Markdown and HTML renderers."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone

from runner.report.facts import Facts, campaign_facts
from runner.report.model import BatchResult, Report
from runner.report.words import OUTCOMES, state_name
from runner.schedule import describe

# Arabic-script letters (Persian included): text holding any is laid out right to left.
PERSIAN = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
SHOWN_IDS = 4
ATTENTION = (
    "a batch was rejected, not paid for or failed, or is unresolved; see the notes under Batches."
)
MAX_TEXT = 1400  # the API's longest message


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
    facts = campaign_facts(report)
    if facts.scheduled and facts.when is not None:
        return (
            f"Scheduled: it goes out at {facts.when.short}; until then its {len(waiting):,} "
            f"outbox(es) wait ({states}). Run the report again after it went out."
        )
    return (
        f"{len(waiting):,} of {len(outboxes):,} outbox(es) are still in progress ({states}); "
        "these numbers will change: run the report again, or with --watch."
    )


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """One line of at most ``limit`` characters (line breaks become spaces)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def generated(report: Report) -> str:
    """When the report was made: Tehran time in the Solar Hijri calendar, and UTC."""
    view = describe(report.generated_at)
    return f"{view.jalali_clock} Tehran ({report.generated_at:%Y-%m-%d %H:%M} UTC)"


def fact_rows(facts: Facts) -> Iterator[tuple[str, str, str]]:
    """(label, text, command) rows of the campaign facts, in reading order; ``command`` is
    a command line to show as code after the text (or empty)."""
    if facts.message:
        label = "Message" if facts.texts == 1 else f"Message (one of {facts.texts:,} texts)"
        yield label, clip(facts.message), ""
    if facts.types:
        yield "Type", ", ".join(facts.types), ""
    if facts.senders:
        yield "Sender", ", ".join(facts.senders), ""
    when, until = facts.when, facts.cancel_until
    if when is not None and until is not None:
        label = "Scheduled for" if facts.scheduled else "Sent" if facts.final else "Submitted"
        yield label, when.line, ""
        if facts.scheduled:
            text = f"possible until {until.short}, 5 minutes before it goes out:"
            yield "Cancel", text, facts.cancel_command
    per = facts.cost_per_delivered
    each = f"; {round(per):,} Rials per delivered message" if per is not None else ""
    yield "Cost", f"{money(facts.cost)} Rials{each}", ""


def outcome_rows(report: Report) -> Iterator[tuple[str, int, str, str]]:
    """(label, recipients, share, meaning) for each step of the delivery funnel."""
    totals = report.totals()
    whole = int(totals["recipients"])
    for key, label, meaning in OUTCOMES:
        value = int(totals[key])
        yield label, value, "" if key == "recipients" else percent(value, whole), meaning


def sent_at(batch: BatchResult) -> str:
    """When a batch went out (Tehran, Solar Hijri): its outboxes' creation, else its attempt."""
    times = [o.created_at for o in batch.outboxes if o.created_at] or [batch.attempted_at]
    first = min(t for t in times)
    if not first:
        return "–"
    return describe(datetime.fromtimestamp(first, timezone.utc)).jalali_clock
