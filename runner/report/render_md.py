"""The report as Markdown, to read in a pull request or a CI summary.

Values from the campaign and the API are escaped (``markdown.md_text``) and phone
numbers masked: the full numbers are in the JSON and CSV reports only.
"""

from __future__ import annotations

from collections.abc import Iterator

from runner.markdown import md_code, md_text
from runner.report.facts import campaign_facts, operator_rows
from runner.report.fmt import (
    ATTENTION,
    clip,
    fact_rows,
    generated,
    id_list,
    money,
    number,
    outcome_rows,
    sent_at,
    short_key,
    status_sentence,
)
from runner.report.model import Counts, Report, needs_attention
from runner.report.words import STATES, status_name
from runner.safe_text import mask_phone

SHOWN_FAILURES = 100
SHOWN_BATCHES = 50


def render_markdown(report: Report) -> str:
    """The whole Markdown report, ending in a newline."""
    sections = [_head(report), _campaign(report), _summary(report), _operators(report)]
    sections += [_batches(report), _failures(report), _legend()]
    return "\n\n".join(s for s in sections if s) + "\n"


def _cell(value: str) -> str:
    return md_text(clip(value))


def _head(report: Report) -> str:
    lines = [f"# Delivery report: {md_code(report.campaign)}"]
    if report.description:
        lines += ["", _cell(report.description)]
    lines += [
        "",
        f"Generated {generated(report)} from {md_code(report.lockfile)} "
        f"(campaign {md_code(report.campaign_file)}). {_cell(status_sentence(report))}",
    ]
    if needs_attention(report):
        lines += ["", f"> **Needs attention:** {ATTENTION}"]
    return "\n".join(lines)


def _campaign(report: Report) -> str:
    rows = ["## The campaign", "", "| | |", "|---|---|"]
    for label, text, command in fact_rows(campaign_facts(report)):
        rows.append(f"| {label} | {_cell(text)}{f' {md_code(command)}' if command else ''} |")
    return "\n".join(rows)


def _summary(report: Report) -> str:
    rows = [
        "## Delivery",
        "",
        "| | Recipients | Share | What it means |",
        "|---|---:|---:|---|",
    ]
    rows += [
        f"| {label} | {number(value)} | {share} | {meaning} |"
        for label, value, share, meaning in outcome_rows(report)
    ]
    return "\n".join(rows)


def _operators(report: Report) -> str:
    lines = operator_rows(report)
    if not lines:
        return ""
    rows = [
        "## Operators",
        "",
        "Recipients per operator, told by the number's prefix; the rows add up to the recipients.",
        "",
        "| Operator | Recipients | Delivered | Not delivered | Blacklisted | Pending |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for line in lines:
        rows.append(f"| {_cell(line.name)} | {_counts(line.counts)} |")
    rows.append(f"| **Total** | {_counts(report.counts)} |")
    return "\n".join(rows)


def _counts(c: Counts) -> str:
    values = (c.total, c.delivered, c.not_delivered, c.blacklisted, c.pending)
    return " | ".join(number(v) for v in values)


def _batches(report: Report) -> str:
    rows = [
        "## Batches, in the order they were sent",
        "",
        "| # | Batch | Sent (Tehran) | State | Outbox ids | Recipients | Delivered "
        "| Not delivered | Blacklisted | Pending | Cost (Rials) |",
        "|---:|---|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for index, batch in enumerate(report.batches[:SHOWN_BATCHES], start=1):
        c = batch.counts
        rows.append(
            f"| {index} | {md_code(short_key(batch.key))} | {sent_at(batch)} | "
            f"{_cell(batch.status)} | "
            f"{id_list(batch.outbox_ids)} | {number(batch.recipients)} | "
            f"{number(c.delivered)} | {number(c.not_delivered)} | {number(c.blacklisted)} | "
            f"{number(c.pending)} | {money(batch.cost)} |"
        )
    if len(report.batches) > SHOWN_BATCHES:
        more = len(report.batches) - SHOWN_BATCHES
        rows.append(f"| | … and {more:,} more | | | | | | | | | |")
    notes = [
        f"- {md_code(short_key(b.key))}: {_cell(b.note)}"
        + "".join(f" — «{_cell(c)}»" for c in b.reject_comments)
        for b in report.batches
        if b.note
    ]
    return "\n".join(rows + (["", *notes] if notes else []))


def _failures(report: Report) -> str:
    failures = report.failures
    if not failures:
        return "## Failed recipients\n\nNone."
    rows = [
        f"## Failed recipients ({len(failures):,})",
        "",
        "| Phone | Status | Outbox |",
        "|---|---|---:|",
    ]
    rows += [
        f"| {_cell(mask_phone(r.phone))} | {_cell(status_name(r.status))} | {r.outbox_id} |"
        for r in failures[:SHOWN_FAILURES]
    ]
    if len(failures) > SHOWN_FAILURES:
        rows += ["", f"… and {len(failures) - SHOWN_FAILURES:,} more (all are in the JSON report)."]
    return "\n".join(rows)


def _legend() -> str:
    return "\n".join(_legend_lines())


def _legend_lines() -> Iterator[str]:
    yield "<details><summary>What the outbox states mean</summary>"
    yield ""
    for state_id, (name, meaning) in sorted(STATES.items()):
        yield f"- **{name}** ({state_id}): {meaning}"
    yield ""
    yield "</details>"
