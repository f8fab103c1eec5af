"""The report's files: golden Markdown, JSON against its schema, self-contained HTML, CSV.

Regenerate the golden files with ``UPDATE_GOLDEN=1 pytest tests/test_report_files.py``.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import REPO, check_golden
from jsonschema import Draft202012Validator
from report_screenshot import Scenario, phones, sample

from runner.report import Report, render_html, render_json, render_markdown, write_report
from runner.sandbox import DEMO_API_KEY

SCHEMA = json.loads((REPO / "schemas" / "report.schema.json").read_text(encoding="utf-8"))


@pytest.fixture
def finished(tmp_path: Path) -> Report:
    """Two batches of 600 done, one rejected, one left unknown (the screenshot's sample)."""
    return sample(tmp_path).report()


def test_markdown_of_a_finished_campaign_matches_golden(finished: Report) -> None:
    text = render_markdown(finished)
    check_golden("report/finished.md", text)
    assert "… and 149 more (all are in the JSON report)." in text


def test_markdown_of_a_campaign_in_review_matches_golden(tmp_path: Path) -> None:
    scenario = Scenario(tmp_path)
    scenario.webservice("e" * 64, phones(6))
    scenario.clock.advance(20)
    check_golden("report/in-review.md", render_markdown(scenario.report()))


def test_write_report_writes_three_files_beside_the_campaign(finished: Report) -> None:
    paths = write_report(finished)

    folder = finished.campaign_path.parent
    assert paths == [folder / f"yalda.report.{s}" for s in ("json", "md", "html")]
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n") and not text.endswith("\n\n")
    assert not list(folder.glob(".*.tmp")), "a temp file was left behind"


def test_writing_the_same_report_twice_gives_the_same_bytes(finished: Report) -> None:
    first = [p.read_bytes() for p in write_report(finished, csv=True)]
    second = [p.read_bytes() for p in write_report(finished, csv=True)]
    assert first == second


def test_json_validates_against_its_schema(finished: Report) -> None:
    (path, *_) = write_report(finished)
    data = json.loads(path.read_text(encoding="utf-8"))

    Draft202012Validator(SCHEMA).validate(data)
    assert (data["format_version"], data["campaign"]) == (1, "yalda-report")
    assert data["generated_at"] == "2025-03-20T08:02:00Z"
    assert data["totals"]["recipients"] == 1203
    assert [b["status"] for b in data["batches"]] == [
        "unresolved",
        "sent",
        "sent",
        "rejected by review",
    ]
    outbox = data["batches"][1]["outboxes"][0]
    assert (outbox["state_id"], outbox["state"], outbox["final"]) == (6, "sent", True)


def test_json_of_a_report_in_progress_validates(tmp_path: Path) -> None:
    scenario = Scenario(tmp_path)
    scenario.webservice("k", phones(3))
    Draft202012Validator(SCHEMA).validate(json.loads(render_json(scenario.report())))


def test_phone_numbers_appear_only_among_failures(finished: Report) -> None:
    failed = {r.phone for r in finished.failures}
    delivered = [r.phone for r in finished.recipients if r.status == 2]
    texts = [p.read_text(encoding="utf-8") for p in write_report(finished)]
    for text in texts:
        assert not any(phone in text for phone in delivered)
    data = json.loads(texts[0])
    without_failures = json.dumps({k: v for k, v in data.items() if k != "failures"})
    assert not re.search(r"\+98\d{10}", without_failures)
    assert {f["phone"] for f in data["failures"]} == failed


def test_no_file_holds_the_api_key(finished: Report) -> None:
    for path in write_report(finished, csv=True):
        assert DEMO_API_KEY not in path.read_text(encoding="utf-8"), path


def test_html_is_one_self_contained_file_with_svg_charts(finished: Report) -> None:
    html = render_html(finished)

    assert html.count("<svg") == 2
    assert (
        'aria-label="Delivery funnel: recipients, sent, delivered, not delivered, blacklisted, '
        'pending"'
    ) in html
    assert 'aria-label="Recipients per operator by delivery outcome"' in html
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html and "<link" not in html and " src=" not in html
    assert "<style>" in html


def test_html_marks_persian_text_right_to_left(finished: Report) -> None:
    html = render_html(finished)
    assert '<p dir="rtl">شب یلدا مبارک: report sample</p>' in html
    assert '<q dir="rtl">محتوای پیام مجاز نیست</q>' in html
    assert '<td dir="rtl">' not in html  # English cells stay left to right


def test_html_escapes_every_text(finished: Report) -> None:
    hostile = replace(finished, description='<script>alert("x")</script> & سلام')
    html = render_html(hostile)
    assert "<script" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; سلام" in html


def test_csv_lists_every_recipient_with_its_status(tmp_path: Path) -> None:
    scenario = Scenario(tmp_path)
    outbox_id = scenario.webservice("k", ["+989120000000", "+989129999999"])
    scenario.clock.advance(90)

    paths = write_report(scenario.report(), csv=True)

    assert paths[-1].name == "yalda.report.csv"
    with paths[-1].open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["recipient", "outbox_id", "status", "status_name", "parts"],
        ["+989120000000", str(outbox_id), "2", "delivered", "1"],
        ["+989129999999", str(outbox_id), "4", "blacklisted", "1"],
    ]


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_headless_chromium_renders_the_charts(tmp_path: Path) -> None:
    script = REPO / "tests" / "report_screenshot.py"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert (tmp_path / "report.png").stat().st_size > 10_000
