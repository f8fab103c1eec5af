"""Plans as text (like ``terraform plan``), JSON (a contract) and Markdown (for pull requests).

Pure formatting: each function writes to the stream it is given. JSON is written
batch by batch so a million-recipient plan never exists twice in memory. Campaign
data never carries control characters into the text plan (one-line fields stay one
line) nor markup into the Markdown one, whose phone numbers are masked.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from runner.batching import streamed_body
from runner.markdown import md_fence, md_text
from runner.models import Batch, CampaignPlan, Sample
from runner.postal import describe_targeting
from runner.safe_text import inert, mask_phone, one_line
from runner.schedule import api_time, cancel_command, cancel_deadline, describe
from runner.send_hours import describe_window
from runner.sending_types import spec_of
from runner.uploads import LazyText

FORMAT_VERSION = 1
SHOWN_BATCHES = 20
SYMBOLS = {"send": "+", "skip": "=", "reconcile": "?", "adopt": "~"}


def shown_path(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when possible."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def summary(plan: CampaignPlan) -> dict[str, Any]:
    """The numbers a reviewer needs, as plain data (also the JSON ``summary``)."""
    c, s = plan.campaign, plan.stats
    to_send = [b for b in plan.batches if b.action == "send"]
    return {
        "type": c.type,
        "sender": c.sender,
        "send_time": api_time(plan.send_time) if plan.send_time else None,
        "recipients": plan.recipients,
        "targeted": plan.targeted,
        # Not read again when nothing changed since everyone got it: unknown, not zero.
        "read": None if plan.unchanged else s.read,
        "duplicates": None if plan.unchanged else s.duplicates,
        "excluded": None if plan.unchanged else s.excluded,
        "invalid_skipped": None if plan.unchanged else len(s.invalid),
        "already_sent": plan.skipped_recipients,
        "batches": len(plan.batches),
        "batches_to_send": len(to_send),
        "recipients_to_send": sum(b.recipient_count for b in to_send),
        "max_parts": plan.max_parts,
        "total_parts": plan.total_parts,
        **_changes(plan),
    }


def _changes(plan: CampaignPlan) -> dict[str, Any]:
    """What changed since the campaign was sent, for the JSON summary (absent if not sent)."""
    if not plan.changes:
        return {}
    return {"changes": {c.key: c.count for c in plan.changes}}


def plan_line(plan: CampaignPlan) -> str:
    """``Plan: …`` — the last line a reviewer reads."""
    s = summary(plan)
    skipped = s["batches"] - s["batches_to_send"]
    return (
        f"Plan: {s['batches_to_send']} batch(es) to send to {s['recipients_to_send']:,} "
        f"recipient(s), {s['total_parts']:,} SMS part(s); {skipped} batch(es) unchanged."
    )


def write_text(plans: Sequence[CampaignPlan], out: TextIO) -> None:
    """The human plan: facts, batches, samples, one summary line per campaign."""
    for index, plan in enumerate(plans):
        if index:
            out.write("\n")
        c, s = plan.campaign, summary(plan)
        out.write(f"Campaign {c.name} ({one_line(shown_path(c.path))})\n")
        for label, value in _facts(plan, s):
            out.write(f"  {label:<11} {one_line(value)}\n")
        out.write("\n")
        for batch in plan.batches[:SHOWN_BATCHES]:
            texts = len({m.text for m in batch.messages})
            extra = f", {texts} distinct texts" if texts > 1 else ""
            out.write(
                f"  {SYMBOLS[batch.action]} {batch.action:<9} {batch.key}  {batch.sending_type}  "
                f"{batch.recipient_count:,} recipient(s){extra}\n"
            )
        if len(plan.batches) > SHOWN_BATCHES:
            out.write(f"  … and {len(plan.batches) - SHOWN_BATCHES} more batch(es)\n")
        if plan.changes:
            out.write("\n  Since it was sent:\n")
            out.writelines(f"    {c.symbol} {c.what:<11} {c.detail}\n" for c in plan.changes)
        _write_samples(plan, out)
        for note in plan.notes:
            out.write(f"\n  Note: {one_line(note)}\n")
        out.write(f"\n{plan_line(plan)}\n")


def _write_samples(plan: CampaignPlan, out: TextIO) -> None:
    if not plan.samples:
        return
    out.write("\n  Samples:\n")
    for sample in plan.samples:
        out.write(f"    {sample.phone}  {_parts(sample.parts, sample.encoding)}\n")
        lines = sample.text.splitlines()
        out.write("".join(f"      │ {inert(line)}\n" for line in lines))
        if sample.appended:
            out.write(f"      + {_appended(sample)}\n")


def _appended(sample: Sample) -> str:
    return f"{sample.appended} appended by the operator (counted in the parts)"


def _parts(parts: int, encoding: str) -> str:
    if encoding == "pattern":
        return "(pattern parameters)"
    return f"({parts} part{'s' if parts != 1 else ''}, {encoding})"


def _facts(plan: CampaignPlan, s: dict[str, Any]) -> Iterable[tuple[str, str]]:
    c = plan.campaign
    if c.description:
        yield "description", c.description
    yield "type", c.type
    if c.sender:
        yield "sender", c.sender
    if c.pattern_code:
        yield "pattern", c.pattern_code
    if plan.send_time is None and c.schedule is not None:
        yield "schedule", f"{c.schedule.at} ({c.schedule.calendar}, {c.schedule.timezone})"
    elif plan.send_time is None:
        yield "schedule", "now (no schedule)"
    else:
        yield "schedule", describe(plan.send_time).line
        deadline = describe(cancel_deadline(plan.send_time)).short
        yield (
            "cancel",
            f"possible until {deadline}, 5 minutes before: "
            + cancel_command(shown_path(c.path), sandbox=c.sandbox is not None),
        )
    yield "recipients", _recipients(s)
    if c.targeting:
        yield "targeting", describe_targeting(c)
    if plan.max_parts:
        suffix = " (with the operator's لغو11)" if spec_of(c.type).promotional else ""
        yield "parts", f"up to {plan.max_parts} a message, {plan.total_parts:,} in all{suffix}"
    hours = describe_window(c)
    if hours:
        yield "send hours", hours
    yield "batches", f"{s['batches_to_send']} to send of {s['batches']}"
    yield "lockfile", shown_path(c.lockfile_path)


def _recipients(s: dict[str, Any]) -> str:
    """How many get the campaign, and what was read and dropped to get there."""
    if s["read"] is None:
        return (
            f"{s['recipients']:,} (all already sent; the campaign and its files are unchanged "
            "since, so they were not read again)"
        )
    dropped = [
        f"{s['duplicates']:,} duplicate(s)",
        f"{s['excluded']:,} excluded",
        f"{s['invalid_skipped']:,} invalid skipped",
    ]
    if s["already_sent"]:
        dropped.append(f"{s['already_sent']:,} already sent")
    listed = f"read {s['read']:,}: {', '.join(dropped)}"
    if s["targeted"]:
        own = s["recipients"] - s["targeted"]
        listed = f"{s['targeted']:,} from the bank by postal code + {own:,} listed; {listed}"
    return f"{s['recipients']:,} ({listed})"


def write_json(
    plans: Sequence[CampaignPlan],
    out: TextIO,
    *,
    extra: Callable[[CampaignPlan], dict[str, Any]] | None = None,
) -> None:
    """The ``--format json`` contract (README, "Commands"), streamed batch by batch.

    ``extra`` adds keys to each campaign (a saved plan's fingerprint).
    """
    out.write(f'{{"format_version": {FORMAT_VERSION}, "campaigns": [')
    for index, plan in enumerate(plans):
        c = plan.campaign
        head = {
            "name": c.name,
            "file": shown_path(c.path),
            "lockfile": shown_path(c.lockfile_path),
            "summary": summary(plan),
            **(extra(plan) if extra else {}),
        }
        out.write(("," if index else "") + "\n  " + json.dumps(head, ensure_ascii=False)[:-1])
        out.write(', "batches": [')
        for number, batch in enumerate(plan.batches):
            out.write(("," if number else "") + "\n    ")
            _write_batch(batch, f"{c.name}-{number + 1:04d}.csv", out)
        out.write("\n  ]}")
    out.write("\n]}\n")


def _write_batch(batch: Batch, file_name: str, out: TextIO) -> None:
    """One batch as ``json.dumps`` would write it, uploaded files streamed chunk by chunk."""
    item = {
        "key": batch.key,
        "action": batch.action,
        "sending_type": batch.sending_type,
        "recipients": batch.recipient_count,
    }
    out.write(json.dumps(item, ensure_ascii=False)[:-1] + ', "request": ')
    if not batch.messages:
        # Batches known only from the lockfile (skip, reconcile) have no body to show.
        out.write("null}")
        return
    body = streamed_body(batch, file_name=file_name)
    if "files" not in body:
        out.write(json.dumps(body, ensure_ascii=False) + "}")
        return
    out.write('{"form": ' + json.dumps(body["form"], ensure_ascii=False) + ', "files": [')
    for index, upload in enumerate(body["files"]):
        name = json.dumps(upload["name"], ensure_ascii=False)
        out.write(("," if index else "") + '{"name": ' + name + ', "content": "')
        _write_string_body(upload["content"], out)
        out.write('"}')
    out.write("]}}")


def _write_string_body(text: LazyText, out: TextIO) -> None:
    # JSON escapes character by character, so the escaped chunks join up to the escaped whole.
    for chunk in text.chunks():
        out.write(json.dumps(chunk, ensure_ascii=False)[1:-1])


def write_markdown(plans: Sequence[CampaignPlan], out: TextIO) -> None:
    """A plan fit for a pull-request comment."""
    out.write("## ippanel-run plan\n")
    for plan in plans:
        c, s = plan.campaign, summary(plan)
        out.write(f"\n### `{c.name}` — {md_text(shown_path(c.path))}\n\n| | |\n|---|---|\n")
        for label, value in _facts(plan, s):
            out.write(f"| {label} | {md_text(value)} |\n")
        out.write("\n| | batch | type | recipients |\n|---|---|---|---:|\n")
        for batch in plan.batches[:SHOWN_BATCHES]:
            out.write(
                f"| {SYMBOLS[batch.action]} {batch.action} | `{batch.key}` | "
                f"{batch.sending_type} | {batch.recipient_count:,} |\n"
            )
        if len(plan.batches) > SHOWN_BATCHES:
            out.write(f"| | … {len(plan.batches) - SHOWN_BATCHES} more | | |\n")
        if plan.changes:
            out.write("\n**Since it was sent:**\n\n| | | |\n|---|---|---|\n")
            out.writelines(
                f"| {c.symbol} | {c.what} | {md_text(c.detail)} |\n" for c in plan.changes
            )
        if plan.samples:
            out.write("\n<details><summary>Samples</summary>\n\n")
            for sample in plan.samples:
                phone = md_text(mask_phone(sample.phone))
                out.write(f"**{phone}** {_parts(sample.parts, sample.encoding)}\n\n")
                out.write(f"{md_fence(sample.text)}\n\n")
                if sample.appended:
                    out.write(f"_+ {_appended(sample)}_\n\n")
            out.write("</details>\n")
        for note in plan.notes:
            out.write(f"\n> {md_text(note)}\n")
        out.write(f"\n**{plan_line(plan)}**\n")
