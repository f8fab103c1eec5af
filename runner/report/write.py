"""Write a report's files beside the campaign, atomically, and sum it up in a few lines.

``<stem>.report.json`` / ``.md`` / ``.html`` (and ``.csv`` on request) are each
written to a temp file in the same folder, fsynced and ``os.replace``d, so a
reader never sees half a report. Output is stable: same data, same bytes.
"""

from __future__ import annotations

import csv as csvlib
import io
import json
from pathlib import Path
from typing import Any

from runner.files import atomic_writer, write_atomic
from runner.report.facts import campaign_facts, operator_rows
from runner.report.fmt import money, number, percent, status_sentence
from runner.report.model import Report, needs_attention
from runner.report.render_html import render_html
from runner.report.render_md import render_markdown
from runner.report.words import status_name
from runner.safe_text import csv_cell, one_line

CSV_HEADER = ("recipient", "outbox_id", "status", "status_name", "parts")


def report_paths(campaign_path: Path, *, csv: bool = False) -> list[Path]:
    """Where the report files of ``campaign_path`` go (``x.yaml`` → ``x.report.json`` …)."""
    suffixes = ["json", "md", "html"] + (["csv"] if csv else [])
    return [campaign_path.with_name(f"{campaign_path.stem}.report.{s}") for s in suffixes]


def write_report(report: Report, *, csv: bool = False, beside: Path | None = None) -> list[Path]:
    """Write the report files beside the campaign file; return their paths.

    ``beside`` is ``<folder>/<stem>`` when they go elsewhere (a sandbox run's folder).
    """
    base = report.campaign_path if beside is None else beside.with_name(beside.name + ".yaml")
    paths = report_paths(base, csv=csv)
    json_path, *others = paths
    with atomic_writer(json_path) as out:
        # Streamed (the same text as render_json): a campaign of a hundred thousand outboxes
        # makes tens of megabytes of JSON, and building it as one string takes several times that.
        json.dump(_document(report), out, indent=2, ensure_ascii=False)
        out.write("\n")
    texts = [render_markdown(report), render_html(report)]
    if csv:
        texts.append(render_csv(report))
    for path, text in zip(others, texts, strict=True):
        write_atomic(path, text)
    return paths


def render_json(report: Report) -> str:
    """The ``<stem>.report.json`` document: the report, what went out, recipients per operator."""
    return json.dumps(_document(report), indent=2, ensure_ascii=False) + "\n"


def _document(report: Report) -> dict[str, Any]:
    document = report.to_json()
    document["campaign_facts"] = campaign_facts(report).to_json()
    document["recipients_by_operator"] = [line.to_json() for line in operator_rows(report)]
    return document


def render_csv(report: Report) -> str:
    """Every recipient of every outbox, in batch and page order.

    Values come from the API: a cell a spreadsheet would run as a formula
    (``=HYPERLINK(…)``) is written as text (``safe_text.csv_cell``).
    """
    out = io.StringIO()
    writer = csvlib.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in report.recipients:
        status = "" if r.status is None else str(r.status)
        row = (r.phone, r.outbox_id, status, status_name(r.status), r.parts)
        writer.writerow([csv_cell(value) for value in row])
    return out.getvalue()


def summary_lines(report: Report) -> list[str]:
    """A few lines for stdout: totals, cost, and what is unfinished or needs attention."""
    t = report.totals()
    whole = t["recipients"]
    facts = campaign_facts(report)
    per = facts.cost_per_delivered
    each = f" ({round(per):,} Rials per delivered message)" if per is not None else ""
    lines = [
        f"{report.campaign}: {t['batches']:,} batch(es), {t['outboxes']:,} outbox(es), "
        f"{number(whole)} recipient(s), cost {money(t['cost'])} Rials{each}",
        f"  delivered {number(t['delivered'])} ({percent(t['delivered'], whole)}), "
        f"not delivered {number(t['not_delivered'])}, blacklisted {number(t['blacklisted'])}, "
        f"pending {number(t['pending'])}",
        f"  {status_sentence(report)}",
    ]
    if facts.scheduled and facts.cancel_until is not None:
        lines.append(
            f"  it can be cancelled until {facts.cancel_until.short}, 5 minutes before: "
            f"{facts.cancel_command}"
        )
    for batch in report.batches:
        if batch.note and (batch.lock_state != "sent" or batch.status != "in progress"):
            lines.append(one_line(f"  batch {batch.key[:12]} {batch.status}: {batch.note}"))
    if needs_attention(report):
        lines.append(
            "  needs attention: a batch was rejected, not paid for or failed, or is unresolved"
        )
    return lines
