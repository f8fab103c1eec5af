"""The report as one self-contained HTML file: inline CSS and SVG, no script, no network.

Every text is HTML-escaped; an element whose text holds Persian letters gets
``dir="rtl"`` so it reads right to left inside the English page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from runner.report.charts import funnel, operator_bars
from runner.report.fmt import (
    ATTENTION,
    SUMMARY_ROWS,
    id_list,
    is_persian,
    money,
    number,
    percent,
    short_key,
    status_sentence,
)
from runner.report.model import Report, needs_attention
from runner.report.words import OPERATOR_COLUMNS, STATES, status_name

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
.chart text { fill: #111827; } [dir="rtl"] { text-align: right; }
"""


def tag(name: str, text: str, attrs: str = "") -> str:
    """``<name attrs>text</name>`` with ``text`` escaped and ``dir="rtl"`` if it is Persian."""
    direction = ' dir="rtl"' if is_persian(text) else ""
    return f"<{name}{attrs}{direction}>{escape(text)}</{name}>"


def _table(head: Sequence[tuple[str, bool]], rows: Iterable[Sequence[str]]) -> str:
    """A table; ``head`` is (label, numeric) and each row's cells are already HTML."""
    out = ["<table>", "<tr>" + "".join(_th(label, n) for label, n in head) + "</tr>"]
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
    body = [_head(report), _summary(report), _operators(report), _batches(report)]
    body += [_failures(report), _legend()]
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
            f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC from {report.lockfile} "
            f"(campaign {report.campaign_file}). {status_sentence(report)}",
            ' class="muted"',
        )
    )
    if needs_attention(report):
        parts.append(tag("p", f"Needs attention: {ATTENTION}", ' class="attention"'))
    return "<header>\n" + "\n".join(parts) + "\n</header>"


def _summary(report: Report) -> str:
    totals = report.totals()
    whole = totals["recipients"]
    rows = [[_td("Recipients"), _td(number(whole), True), _td("")]]
    rows += [
        [_td(label), _td(number(totals[key]), True), _td(percent(totals[key], whole), True)]
        for label, key in SUMMARY_ROWS
    ]
    rows.append([_td("Cost (Rial)"), _td(money(totals["cost"]), True), _td("")])
    table = _table([("", False), ("Recipients", True), ("Share", True)], rows)
    return f"<section>\n<h2>Summary</h2>\n{funnel(report)}\n{table}\n</section>"


def _operators(report: Report) -> str:
    if not report.operators:
        return ""
    head = [("Operator", False)] + [(label, True) for _, label in OPERATOR_COLUMNS]
    rows = [
        [_td(op.operator)] + [_td(number(op.count(c)), True) for c, _ in OPERATOR_COLUMNS]
        for op in report.operators
    ]
    intro = tag(
        "p",
        "Messages per operator (by number prefix), counted from each recipient's delivery status.",
    )
    return (
        f"<section>\n<h2>Operators</h2>\n{intro}\n{operator_bars(report)}\n"
        f"{_table(head, rows)}\n</section>"
    )


def _batches(report: Report) -> str:
    head = [("Batch", False), ("Type", False), ("State", False), ("Outbox ids", False)]
    head += [(label, True) for label in ("Recipients", "Delivered", "Not delivered")]
    head += [(label, True) for label in ("Blacklisted", "Pending", "Cost (Rial)")]
    rows = []
    for b in report.batches:
        c = b.counts
        rows.append(
            [_td(short_key(b.key)), _td(b.sending_type), _td(b.status), _td(id_list(b.outbox_ids))]
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
    return f"<section>\n<h2>Batches</h2>\n{_table(head, rows)}\n{listed}</section>"


def _failures(report: Report) -> str:
    failures = report.failures
    if not failures:
        return "<section>\n<h2>Failed recipients</h2>\n<p>None.</p>\n</section>"
    head = [("Phone", False), ("Status", False), ("Outbox", True)]
    rows = [
        [_td(r.phone), _td(status_name(r.status)), _td(str(r.outbox_id), True)]
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
