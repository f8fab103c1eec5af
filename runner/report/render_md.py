"""The report as Markdown, to read in a pull request or a CI summary."""

from __future__ import annotations

from collections.abc import Iterator

from runner.report.fmt import (
    ATTENTION,
    SUMMARY_ROWS,
    id_list,
    money,
    number,
    percent,
    short_key,
    status_sentence,
)
from runner.report.model import Report, needs_attention
from runner.report.words import OPERATOR_COLUMNS, STATES, status_name

SHOWN_FAILURES = 100
SHOWN_BATCHES = 50


def render_markdown(report: Report) -> str:
    """The whole Markdown report, ending in a newline."""
    sections = [_head(report), _summary(report), _batches(report), _operators(report)]
    sections += [_failures(report), _legend()]
    return "\n\n".join(s for s in sections if s) + "\n"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _head(report: Report) -> str:
    lines = [f"# Delivery report: `{report.campaign}`"]
    if report.description:
        lines += ["", _cell(report.description)]
    lines += [
        "",
        f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC from `{report.lockfile}` "
        f"(campaign `{report.campaign_file}`). {status_sentence(report)}",
    ]
    if needs_attention(report):
        lines += ["", f"> **Needs attention:** {ATTENTION}"]
    return "\n".join(lines)


def _summary(report: Report) -> str:
    totals = report.totals()
    whole = totals["recipients"]
    rows = [
        "## Summary",
        "",
        "| | Recipients | Share |",
        "|---|---:|---:|",
        f"| Recipients | {number(whole)} | |",
    ]
    rows += [
        f"| {label} | {number(totals[key])} | {percent(totals[key], whole)} |"
        for label, key in SUMMARY_ROWS
    ]
    rows += [
        "",
        f"Cost: **{money(totals['cost'])} Rial** for {totals['outboxes']:,} outbox(es) "
        f"in {totals['batches']:,} batch(es).",
    ]
    return "\n".join(rows)


def _batches(report: Report) -> str:
    rows = [
        "## Batches",
        "",
        "| Batch | Type | State | Outbox ids | Recipients | Delivered | Not delivered "
        "| Blacklisted | Pending | Cost (Rial) |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for batch in report.batches[:SHOWN_BATCHES]:
        c = batch.counts
        rows.append(
            f"| `{short_key(batch.key)}` | {batch.sending_type} | {batch.status} | "
            f"{id_list(batch.outbox_ids)} | {number(batch.recipients)} | {number(c.delivered)} | "
            f"{number(c.not_delivered)} | {number(c.blacklisted)} | {number(c.pending)} | "
            f"{money(batch.cost)} |"
        )
    if len(report.batches) > SHOWN_BATCHES:
        rows.append(f"| … and {len(report.batches) - SHOWN_BATCHES:,} more | | | | | | | | | |")
    notes = [
        f"- `{short_key(b.key)}`: {_cell(b.note)}"
        + "".join(f" — «{_cell(c)}»" for c in b.reject_comments)
        for b in report.batches
        if b.note
    ]
    return "\n".join(rows + (["", *notes] if notes else []))


def _operators(report: Report) -> str:
    if not report.operators:
        return ""
    header = " | ".join(label.capitalize() for _, label in OPERATOR_COLUMNS)
    rows = [
        "## Operators",
        "",
        "Messages per operator (by number prefix), counted from each recipient's delivery status.",
        "",
        f"| Operator | {header} |",
        "|---|" + "---:|" * len(OPERATOR_COLUMNS),
    ]
    for op in report.operators:
        cells = " | ".join(number(op.count(category)) for category, _ in OPERATOR_COLUMNS)
        rows.append(f"| {_cell(op.operator)} | {cells} |")
    return "\n".join(rows)


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
        f"| {r.phone} | {status_name(r.status)} | {r.outbox_id} |"
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
