"""Inline SVG charts for the HTML report: a delivery funnel and per-operator stacked bars.

Plain SVG markup (no script, no external font or stylesheet), so the report opens
offline in any browser. Inline ``<svg>`` in HTML needs no namespace URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from runner.report.fmt import number, percent
from runner.report.model import Report
from runner.report.words import OPERATOR_COLUMNS

WIDTH = 720
LABEL_WIDTH = 150
VALUE_WIDTH = 130
BAR_HEIGHT = 28
ROW_HEIGHT = 40
COLOURS = {
    "recipients": "#64748b",
    "sent": "#2563eb",
    "delivered": "#16a34a",
    "failed": "#dc2626",
    "blacklist": "#374151",
    "pending": "#f59e0b",
    "sent_no_report": "#93c5fd",
}
# bulk_stats category → colour key (the API's "sent" means sent without a delivery report yet)
CATEGORY_COLOURS = {"sent": "sent_no_report"}


def _bar_width(value: int, largest: int) -> float:
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    return 0.0 if largest <= 0 else round(room * value / largest, 1)


def _svg(height: int, label: str, body: Sequence[str]) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(label)}" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}">\n'
        f"<title>{escape(label)}</title>\n" + "\n".join(body) + "\n</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", weight: str = "normal") -> str:
    return (
        f'<text x="{x}" y="{y}" text-anchor="{anchor}" font-weight="{weight}" '
        f'dominant-baseline="middle">{escape(text)}</text>'
    )


def funnel(report: Report) -> str:
    """Recipients → sent → delivered, each as a bar scaled to the recipients."""
    totals = report.totals()
    whole = int(totals["recipients"])
    steps = (("Recipients", "recipients"), ("Sent", "sent"), ("Delivered", "delivered"))
    body: list[str] = []
    for row, (label, key) in enumerate(steps):
        value = int(totals[key])
        y = 10 + row * ROW_HEIGHT
        width = _bar_width(value, whole)
        middle = y + BAR_HEIGHT / 2
        body += [
            _text(0, middle, label, weight="bold"),
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" rx="3" '
            f'fill="{COLOURS[key]}"><title>{label}: {number(value)}</title></rect>',
            _text(LABEL_WIDTH + width + 8, middle, f"{number(value)} ({percent(value, whole)})"),
        ]
    return _svg(20 + len(steps) * ROW_HEIGHT, "Delivery funnel: recipients, sent, delivered", body)


def operator_bars(report: Report) -> str:
    """One stacked bar per operator: delivered, not delivered, blacklisted, pending, no report."""
    largest = max(
        (sum(op.count(c) for c, _ in OPERATOR_COLUMNS) for op in report.operators), default=0
    )
    body = _legend()
    for row, op in enumerate(report.operators):
        y = 40 + row * ROW_HEIGHT
        body.append(_text(0, y + BAR_HEIGHT / 2, op.operator, weight="bold"))
        x = float(LABEL_WIDTH)
        for category, label in OPERATOR_COLUMNS:
            value = op.count(category)
            width = _bar_width(value, largest)
            if width > 0:
                colour = COLOURS[CATEGORY_COLOURS.get(category, category)]
                body.append(
                    f'<rect x="{round(x, 1)}" y="{y}" width="{width}" height="{BAR_HEIGHT}" '
                    f'fill="{colour}"><title>{escape(op.operator)} {label}: {number(value)}'
                    "</title></rect>"
                )
            x += width
        total = sum(op.count(c) for c, _ in OPERATOR_COLUMNS)
        body.append(_text(x + 8, y + BAR_HEIGHT / 2, number(total)))
    height = 50 + max(len(report.operators), 1) * ROW_HEIGHT
    return _svg(height, "Messages per operator by delivery outcome", body)


def _legend() -> list[str]:
    items: list[str] = []
    x = 0
    for category, label in OPERATOR_COLUMNS:
        colour = COLOURS[CATEGORY_COLOURS.get(category, category)]
        items.append(f'<rect x="{x}" y="6" width="14" height="14" fill="{colour}"/>')
        items.append(_text(x + 20, 13, label))
        x += 30 + 7 * len(label)
    return items
