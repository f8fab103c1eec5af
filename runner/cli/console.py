"""Terminal manners: when to draw, and the summaries of apply (progress is in ``progress``).

Nothing here decides anything; it only renders outcomes to the stream it is given
(``results_json``: the same outcomes as one JSON document, for scripts).
Colour and bars only when that stream is a terminal and ``NO_COLOR`` is unset. API
answers in these lines never carry control characters to the terminal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from runner.apply import ApplyOutcome
from runner.lockfile import BatchRecord
from runner.models import CampaignPlan
from runner.pricing import Estimate
from runner.safe_text import one_line
from runner.schedule import cancel_command, cancel_deadline, describe
from runner.show import FORMAT_VERSION, shown_path
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
    if sent:
        lines.extend(_scheduled_lines(outcome.plan))
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
    lines.extend(_stop_lines(outcome))
    return lines


def _scheduled_lines(plan: CampaignPlan) -> list[str]:
    """When a scheduled campaign goes out, and until when it can be cancelled."""
    if plan.send_time is None:
        return []
    name = plan.campaign.name
    deadline = describe(cancel_deadline(plan.send_time)).short
    shown = shown_path(plan.campaign.path)
    return [
        f"{name}: scheduled: goes out at {describe(plan.send_time).line}",
        f"{name}: it can be cancelled until {deadline}, 5 minutes before, with: "
        + cancel_command(shown, sandbox=plan.campaign.sandbox is not None),
    ]


def _stop_lines(outcome: ApplyOutcome) -> list[str]:
    """Why sending stopped before the end, if it did."""
    name, left = outcome.plan.campaign.name, outcome.not_started
    if outcome.stopped_by:
        return [
            f"{name}: stopped by {signal_name(outcome.stopped_by)}: {left} batch(es) not sent; "
            "the lockfile is written; run the same command again to send them"
        ]
    if outcome.stop_reason:
        return [one_line(f"{name}: stopped sending: {outcome.stop_reason}")]
    if outcome.unresolved or outcome.failed or left:
        return [
            f"{name}: stopped after --max-errors ({left} batch(es) not sent); run the same "
            "command again to continue"
        ]
    return []


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


def results_json(results: Sequence[tuple[int, ApplyOutcome | None]]) -> str:
    """``apply --format json``'s result: each campaign's exit code and its outbox ids."""
    campaigns: list[dict[str, Any]] = []
    for code, outcome in results:
        if outcome is None:
            campaigns.append({"exit_code": code})
            continue
        c = outcome.plan.campaign
        campaigns.append(
            {
                "name": c.name,
                "file": str(c.path),
                "lockfile": str(c.lockfile_path),
                "exit_code": code,
                "sent": _batches_json(outcome.sent),
                "unresolved": _batches_json(outcome.unresolved),
                "failed": _batches_json(outcome.failed),
                "estimated_cost": outcome.estimate.cost if outcome.estimate else None,
            }
        )
    document = {"format_version": FORMAT_VERSION, "campaigns": campaigns}
    return json.dumps(document, ensure_ascii=False, indent=2)


def _batches_json(records: Sequence[BatchRecord]) -> list[dict[str, Any]]:
    return [
        {"key": r.key, "outbox_ids": list(r.outbox_ids), "recipients": r.recipients}
        for r in records
    ]
