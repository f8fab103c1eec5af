"""Inline SVG charts for the HTML report: a delivery funnel and per-operator stacked bars.

Plain SVG markup (no script, no external font or stylesheet), so the report opens
offline in any browser. Inline ``<svg>`` in HTML needs no namespace URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from runner.report.facts import OperatorLine
from runner.report.model import Counts, Report
from runner.report.words import OUTCOMES

WIDTH = 720
LABEL_WIDTH = 180
VALUE_WIDTH = 130
BAR_HEIGHT = 28
ROW_HEIGHT = 40
COLOURS = {
    "recipients": "#64748b",
    "sent": "#2563eb",
    "delivered": "#16a34a",
    "not_delivered": "#dc2626",
    "blacklisted": "#374151",
    "pending": "#f59e0b",
}
# The outcomes an operator's stacked bar is cut into, in order.
STACKED = ("delivered", "not_delivered", "blacklisted", "pending")
LABELS = {key: label for key, label, _ in OUTCOMES}


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
    """Recipients → sent → delivered, not delivered, blacklisted, pending: bars on one scale."""
    totals = report.totals()
    whole = int(totals["recipients"])
    body: list[str] = []
    for row, (key, label, _) in enumerate(OUTCOMES):
        value = int(totals[key])
        y = 10 + row * ROW_HEIGHT
        width = _bar_width(value, whole)
        middle = y + BAR_HEIGHT / 2
        shown = f"{value:,}" if key == "recipients" else f"{value:,} ({_share(value, whole)})"
        body += [
            _text(0, middle, label, weight="bold"),
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" rx="3" '
            f'fill="{COLOURS[key]}"><title>{label}: {value:,}</title></rect>',
            _text(LABEL_WIDTH + width + 8, middle, shown),
        ]
    steps = ", ".join(label.lower() for _, label, _ in OUTCOMES)
    return _svg(20 + len(OUTCOMES) * ROW_HEIGHT, f"Delivery funnel: {steps}", body)


def operator_bars(lines: Sequence[OperatorLine]) -> str:
    """One stacked bar per operator row: delivered, not delivered, blacklisted, pending."""
    largest = max((line.counts.total for line in lines), default=0)
    body = _legend()
    for row, line in enumerate(lines):
        y = 40 + row * ROW_HEIGHT
        body.append(_text(0, y + BAR_HEIGHT / 2, line.name, weight="bold"))
        x = float(LABEL_WIDTH)
        for key in STACKED:
            value = _count(line.counts, key)
            width = _bar_width(value, largest)
            if width > 0:
                body.append(
                    f'<rect x="{round(x, 1)}" y="{y}" width="{width}" height="{BAR_HEIGHT}" '
                    f'fill="{COLOURS[key]}"><title>{escape(line.name)} {LABELS[key].lower()}: '
                    f"{value:,}</title></rect>"
                )
            x += width
        body.append(_text(x + 8, y + BAR_HEIGHT / 2, f"{line.counts.total:,}"))
    height = 50 + max(len(lines), 1) * ROW_HEIGHT
    return _svg(height, "Recipients per operator by delivery outcome", body)


def _count(counts: Counts, key: str) -> int:
    return int(counts.to_json()[key])


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _legend() -> list[str]:
    items: list[str] = []
    x = 0
    for key in STACKED:
        label = LABELS[key].lower()
        items.append(f'<rect x="{x}" y="6" width="14" height="14" fill="{COLOURS[key]}"/>')
        items.append(_text(x + 20, 13, label))
        x += 30 + 7 * len(label)
    return items
