"""The report as one self-contained HTML file: inline CSS and SVG, no script, no network.

Every text is HTML-escaped; an element whose text holds Persian letters gets
``dir="rtl"`` so it reads right to left inside the English page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from runner.report.charts import funnel, operator_bars
from runner.report.facts import campaign_facts, operator_rows
from runner.report.fmt import (
    ATTENTION,
    fact_rows,
    generated,
    id_list,
    is_persian,
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

SHOWN_FAILURES = 1000
CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Tahoma, sans-serif; color: #111827;
  margin: 0 auto; max-width: 1100px; padding: 24px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 8px; } h2 { font-size: 19px; margin: 32px 0 8px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #d1d5db; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
code { background: #f3f4f6; padding: 1px 4px; border-radius: 3px; }
.attention { background: #fef2f2; border-left: 4px solid #dc2626; padding: 8px 12px; }
.muted { color: #4b5563; } .chart { display: block; margin: 12px 0; font-size: 13px; }
table.facts th { text-align: left; white-space: nowrap; } table.facts td { max-width: 820px; }
table.batches th, table.batches td { padding: 4px 6px; font-size: 14px; }
.chart text { fill: #111827; } [dir="rtl"] { text-align: right; }
"""


def tag(name: str, text: str, attrs: str = "") -> str:
    """``<name attrs>text</name>`` with ``text`` escaped and ``dir="rtl"`` if it is Persian."""
    direction = ' dir="rtl"' if is_persian(text) else ""
    return f"<{name}{attrs}{direction}>{escape(text)}</{name}>"


def _table(head: Sequence[tuple[str, bool]], rows: Iterable[Sequence[str]], kind: str = "") -> str:
    """A table; ``head`` is (label, numeric) and each row's cells are already HTML."""
    out = [
        f'<table class="{kind}">' if kind else "<table>",
        "<tr>" + "".join(_th(label, n) for label, n in head) + "</tr>",
    ]
    out += ["<tr>" + "".join(row) + "</tr>" for row in rows]
    out.append("</table>")
    return "\n".join(out)


def _th(label: str, numeric: bool) -> str:
    return tag("th", label, ' class="n"' if numeric else "")


def _td(text: str, numeric: bool = False) -> str:
    return tag("td", text, ' class="n"' if numeric else "")


def render_html(report: Report) -> str:
    """The whole HTML page, ending in a newline."""
    title = f"Delivery report: {report.campaign}"
    body = [_head(report), _campaign(report), _summary(report), _operators(report)]
    body += [_batches(report), _failures(report), _legend()]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{tag('title', title)}\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(s for s in body if s)
        + "\n</body>\n</html>\n"
    )


def _head(report: Report) -> str:
    parts = [f"<h1>Delivery report: <code>{escape(report.campaign)}</code></h1>"]
    if report.description:
        parts.append(tag("p", report.description))
    parts.append(
        tag(
            "p",
            f"Generated {generated(report)} from {report.lockfile} "
            f"(campaign {report.campaign_file}). {status_sentence(report)}",
            ' class="muted"',
        )
    )
    if needs_attention(report):
        parts.append(tag("p", f"Needs attention: {ATTENTION}", ' class="attention"'))
    return "<header>\n" + "\n".join(parts) + "\n</header>"


def _campaign(report: Report) -> str:
    rows = []
    for label, text, command in fact_rows(campaign_facts(report)):
        shown = tag("span", text) + (f" <code>{escape(command)}</code>" if command else "")
        rows.append(f"<tr>{tag('th', label)}<td>{shown}</td></tr>")
    table = '<table class="facts">\n' + "\n".join(rows) + "\n</table>"
    return f"<section>\n<h2>The campaign</h2>\n{table}\n</section>"


def _summary(report: Report) -> str:
    rows = [
        [_td(label), _td(number(value), True), _td(share, True), _td(meaning)]
        for label, value, share, meaning in outcome_rows(report)
    ]
    head = [("", False), ("Recipients", True), ("Share", True), ("What it means", False)]
    return f"<section>\n<h2>Delivery</h2>\n{funnel(report)}\n{_table(head, rows)}\n</section>"


def _operators(report: Report) -> str:
    lines = operator_rows(report)
    if not lines:
        return ""
    head = [("Operator", False)] + [
        (label, True)
        for label in ("Recipients", "Delivered", "Not delivered", "Blacklisted", "Pending")
    ]
    rows = [[_td(line.name), *_counts(line.counts)] for line in lines]
    rows.append(["<td><b>Total</b></td>", *_counts(report.counts)])
    intro = tag(
        "p",
        "Recipients per operator, told by the number's prefix; the rows add up to the recipients.",
    )
    return (
        f"<section>\n<h2>Operators</h2>\n{intro}\n{operator_bars(lines)}\n"
        f"{_table(head, rows)}\n</section>"
    )


def _counts(c: Counts) -> list[str]:
    values = (c.total, c.delivered, c.not_delivered, c.blacklisted, c.pending)
    return [_td(number(v), True) for v in values]


def _batches(report: Report) -> str:
    head = [("#", True), ("Batch", False), ("Sent (Tehran)", False)]
    head += [("State", False), ("Outbox ids", False)]
    head += [(label, True) for label in ("Recipients", "Delivered", "Not delivered")]
    head += [(label, True) for label in ("Blacklisted", "Pending", "Cost (Rials)")]
    rows = []
    for index, b in enumerate(report.batches, start=1):
        c = b.counts
        rows.append(
            [_td(str(index), True), _td(short_key(b.key)), _td(sent_at(b))]
            + [_td(b.status), _td(id_list(b.outbox_ids))]
            + [_td(number(n), True) for n in (b.recipients, c.delivered, c.not_delivered)]
            + [_td(number(n), True) for n in (c.blacklisted, c.pending)]
            + [_td(money(b.cost), True)]
        )
    notes = [
        f"<li><code>{escape(short_key(b.key))}</code>: {tag('span', b.note)}"
        + "".join(" " + tag("q", c) for c in b.reject_comments)
        + "</li>"
        for b in report.batches
        if b.note
    ]
    listed = "<ul>\n" + "\n".join(notes) + "\n</ul>\n" if notes else ""
    return (
        f"<section>\n<h2>Batches, in the order they were sent</h2>\n"
        f"{_table(head, rows, 'batches')}\n"
        f"{listed}</section>"
    )


def _failures(report: Report) -> str:
    failures = report.failures
    if not failures:
        return "<section>\n<h2>Failed recipients</h2>\n<p>None.</p>\n</section>"
    head = [("Phone", False), ("Status", False), ("Outbox", True)]
    rows = [
        [_td(mask_phone(r.phone)), _td(status_name(r.status)), _td(str(r.outbox_id), True)]
        for r in failures[:SHOWN_FAILURES]
    ]
    more = ""
    if len(failures) > SHOWN_FAILURES:
        more = tag("p", f"… and {len(failures) - SHOWN_FAILURES:,} more (see the JSON report).")
    return (
        f"<section>\n<h2>Failed recipients ({len(failures):,})</h2>\n"
        f"{_table(head, rows)}\n{more}</section>"
    )


def _legend() -> str:
    items = "\n".join(
        f"<li><b>{escape(name)}</b> ({state_id}): {escape(meaning)}</li>"
        for state_id, (name, meaning) in sorted(STATES.items())
    )
    return f"<section>\n<h2>What the outbox states mean</h2>\n<ul>\n{items}\n</ul>\n</section>"
