"""The follow-up delivery report (``ippanel-run report``): fetch, aggregate, write.

``build_report`` (or ``watch``, which first waits for every outbox to reach a final
state) reads the lockfile's outbox ids through the API client (and what is final
from the cache beside the report, ``cache_path``) and returns a ``Report``;
``write_report`` writes ``<stem>.report.json`` / ``.md`` / ``.html`` (and ``.csv``)
beside the campaign; ``summary_lines`` sums it up for stdout;
``needs_attention`` tells the CLI to exit 1.
"""

from __future__ import annotations

from runner.report.cache import cache_path
from runner.report.fetch import build_report, watch
from runner.report.model import (
    BatchResult,
    Counts,
    OperatorRow,
    OutboxResult,
    RecipientResult,
    Report,
    needs_attention,
)
from runner.report.render_html import render_html
from runner.report.render_md import render_markdown
from runner.report.words import FINAL_STATES, STATES, STATUSES, state_name, status_name
from runner.report.write import render_csv, render_json, report_paths, summary_lines, write_report

__all__ = [
    "FINAL_STATES",
    "STATES",
    "STATUSES",
    "BatchResult",
    "Counts",
    "OperatorRow",
    "OutboxResult",
    "RecipientResult",
    "Report",
    "build_report",
    "cache_path",
    "needs_attention",
    "render_csv",
    "render_html",
    "render_json",
    "render_markdown",
    "report_paths",
    "state_name",
    "status_name",
    "summary_lines",
    "watch",
    "write_report",
]
