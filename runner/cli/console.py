"""Terminal manners: when to draw, and the summaries of apply (progress is in ``progress``).

Nothing here decides anything; it only renders outcomes to the stream it is given.
Colour and bars only when that stream is a terminal and ``NO_COLOR`` is unset. API
answers in these lines never carry control characters to the terminal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from runner.apply import ApplyOutcome
from runner.pricing import Estimate
from runner.safe_text import one_line
from runner.schedule import cancel_command, cancel_deadline, describe
from runner.show import shown_path
from runner.stopping import signal_name

NEXT_RUN = {
    "unknown": "the next run waits until the API can no longer store it, then looks it up in "
    "the account's outbox: found → its ids are adopted, not found → it is sent again",
    "sending": "the next run waits until the API can no longer store it, then looks it up in "
    "the account's outbox: found → its ids are adopted, not found → it is sent again",
    "failed": "it did not send; the next run plans its recipients again",
}


def fancy(stream: TextIO, env: Mapping[str, str]) -> bool:
    """Bars and colour only for a person at a terminal."""
    return stream.isatty() and not env.get("NO_COLOR") and env.get("TERM") != "dumb"


def estimate_lines(name: str, quote: Estimate | None) -> list[str]:
    """The account's credit and the price estimate, for stdout right after the plan.

    ``plan --online`` and ``apply`` print the same lines, named after the campaign.
    """
    if quote is None:
        return []
    lines = []
    if quote.credit is not None:
        lines.append(f"{name}: Credit: {quote.credit:,.0f} Rials")
    if quote.cost is not None:
        lines.append(f"{name}: Estimated cost: {quote.cost:,.0f} Rials (charged at send time)")
    elif quote.note:
        lines.append(one_line(f"{name}: Estimated cost: unknown ({quote.note})"))
    return lines


def outcome_lines(outcome: ApplyOutcome) -> list[str]:
    """The apply summary: what went out, and what is left for the next run."""
    name = outcome.plan.campaign.name
    sent = outcome.sent
    recipients = sum(r.recipients for r in sent)
    ids = [i for r in sent for i in r.outbox_ids]
    lines = [
        f"{name}: sent {len(sent)} batch(es) to {recipients:,} recipient(s); "
        f"outbox ids: {_ids(ids)}"
    ]
    send_time = outcome.plan.send_time
    if sent and send_time is not None:
        deadline = describe(cancel_deadline(send_time)).short
        shown = shown_path(outcome.plan.campaign.path)
        lines.append(f"{name}: scheduled: goes out at {describe(send_time).line}")
        lines.append(
            f"{name}: it can be cancelled until {deadline}, 5 minutes before, with: "
            + cancel_command(shown, sandbox=outcome.plan.campaign.sandbox is not None)
        )
    for record in outcome.adopted:
        lines.append(
            f"{name}: {record.recipients:,} recipient(s) already had this text from the account's "
            f"outbox (outbox ids: {_ids(list(record.outbox_ids))}); adopted, not sent again"
        )
    if outcome.estimate is not None and outcome.estimate.cost is not None:
        lines.append(f"{name}: estimated cost {outcome.estimate.cost:,.0f} Rials")
    for record in (*outcome.unresolved, *outcome.failed):
        lines.append(
            one_line(
                f"{name}: batch {record.key} is {record.state} ({record.error}); "
                f"{NEXT_RUN[record.state]}"
            )
        )
    lines.extend(one_line(str(rejection)) for rejection in dict.fromkeys(outcome.rejections))
    left = outcome.not_started
    if outcome.stopped_by:
        lines.append(
            f"{name}: stopped by {signal_name(outcome.stopped_by)}: {left} batch(es) not sent; "
            "the lockfile is written; run the same command again to send them"
        )
    elif outcome.stop_reason:
        lines.append(one_line(f"{name}: stopped sending: {outcome.stop_reason}"))
    elif outcome.unresolved or outcome.failed or left:
        lines.append(
            f"{name}: stopped after --max-errors ({left} batch(es) not sent); run the same "
            "command again to continue"
        )
    return lines


def last_line(
    targets: Sequence[tuple[Path, object]], results: Sequence[tuple[int, ApplyOutcome | None]]
) -> str:
    """What a run of several campaigns sent and what it did not, in one line."""
    sent, unfinished, untouched, refused = [], [], [], []
    for (path, _), (_, outcome) in zip(targets, results, strict=True):
        if outcome is None:
            refused.append(shown_path(path))
            continue
        name, batches = outcome.plan.campaign.name, len(outcome.sent)
        if outcome.unresolved or outcome.failed or outcome.stop_reason:
            unfinished.append(f"{name} ({batches} batch(es) sent, the rest not)")
        elif batches:
            sent.append(f"{name} ({batches} batch(es))")
        else:
            untouched.append(name)
    parts = [f"sent {', '.join(sent)}" if sent else "sent nothing"]
    if unfinished:
        parts.append(f"unfinished: {', '.join(unfinished)}")
    if untouched:
        parts.append(f"nothing left to send: {', '.join(untouched)}")
    if refused:
        parts.append(f"not sent (see the errors above): {', '.join(refused)}")
    return one_line("summary: " + "; ".join(parts))


def _ids(ids: list[int]) -> str:
    if len(ids) <= 10:
        return ", ".join(str(i) for i in ids) or "none"
    return ", ".join(str(i) for i in ids[:10]) + f" … ({len(ids)} in all, see the lockfile)"
