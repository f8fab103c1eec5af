"""Hostile data never reaches an output as active content (issue 11, "Outputs").

Campaigns in ``tests/data/hostile/outputs`` are valid but carry HTML, mentions,
backtick fences, forged plan lines and terminal escapes. Their text and Markdown
plans are golden files (``tests/golden/hostile/``); the properties that matter are
asserted too. Reports get the same treatment with API answers made hostile.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from helpers import NOW, REPO, Invoke, check_golden, copy_checkout
from report_screenshot import sample

from runner.api.client import in_process_transport
from runner.cli import AppContext, cli
from runner.report import Report, render_html, render_markdown
from runner.report.model import RecipientResult
from runner.report.write import render_csv, summary_lines
from runner.sandbox import DEMO_API_KEY, IN_PROCESS_BASE_URL, SandboxApp

OUTPUTS = REPO / "tests" / "data" / "hostile" / "outputs"
CASES = sorted(path.stem for path in OUTPUTS.glob("*.yaml"))
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
HOSTILE = '<script>alert(1)</script> @security-team\n`x` =HYPERLINK("http://evil")\x1b[31m'


@pytest.fixture
def outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(OUTPUTS, tmp_path / "outputs")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "outputs"


@pytest.mark.parametrize("case", CASES)
def test_text_plan_shows_campaign_data_without_control_characters(
    case: str, outputs: Path, invoke: Invoke
) -> None:
    result = invoke("plan", f"outputs/{case}.yaml")
    assert result.exit_code == 0, result.output
    check_golden(f"hostile/{case}.plan.txt", result.stdout)
    assert not CONTROL.search(result.stdout)
    plan_lines = [line for line in result.stdout.splitlines() if line.startswith("Plan:")]
    assert plan_lines == [plan_lines[-1]]


@pytest.mark.parametrize("case", CASES)
def test_markdown_plan_escapes_campaign_data_for_a_pull_request(
    case: str, outputs: Path, invoke: Invoke
) -> None:
    result = invoke("plan", "--format", "markdown", f"outputs/{case}.yaml")
    assert result.exit_code == 0, result.output
    markdown = result.stdout
    check_golden(f"hostile/{case}.plan.md", markdown)
    assert not CONTROL.search(markdown)
    outside_fences = re.sub(r"(?ms)^(`{3,})text\n.*?^\1$", "", markdown)
    raw_tags = re.findall(r"(?<!\\)<(?!/?(?:details|summary)>)", outside_fences)
    assert raw_tags == []
    assert not re.search(r"@\w", outside_fences)  # mentions are broken by a zero-width space
    assert "+989120000000" not in markdown  # numbers are masked
    assert markdown.count("**Plan:") == 1


def test_a_fence_in_a_message_cannot_close_the_sample_block(outputs: Path, invoke: Invoke) -> None:
    markdown = invoke("plan", "--format", "markdown", "outputs/markup.yaml").stdout
    opening = markdown.index("`````text\n")
    closing = markdown.index("\n`````\n", opening)
    assert "</details><img" in markdown[opening:closing]


def test_api_answers_with_terminal_escapes_are_shown_inert(tmp_path: Path) -> None:
    sandbox = SandboxApp(tmp_path / "sandbox", clock=lambda: NOW)
    through = in_process_transport(sandbox)
    hostile = "\x1b[2J\x1b]0;pwned\x07 شماره فرستنده نامعتبر است"

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/api/send"):
            meta = {"status": False, "message": hostile, "message_code": "400-2", "errors": {}}
            return httpx.Response(422, json={"data": None, "meta": meta})
        return through.handle_request(request)

    copy_checkout(tmp_path)  # as committed: no lockfile a user's run left beside the example
    env = {"IPPANEL_API_KEY": DEMO_API_KEY, "IPPANEL_BASE_URL": IN_PROCESS_BASE_URL}
    app = AppContext(now=lambda: NOW, env=env, transport=httpx.MockTransport(answer))
    result = CliRunner().invoke(
        cli,
        ["--yes", str(tmp_path / "examples" / "webservice" / "maintenance-notice.yaml")],
        obj=app,
    )
    assert result.exit_code == 1, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "?[2J?]0;pwned? شماره فرستنده نامعتبر است" in result.stderr


@pytest.fixture
def hostile_report(tmp_path: Path) -> Report:
    report = sample(tmp_path).report()
    index, first = next((i, b) for i, b in enumerate(report.batches) if b.outboxes)
    outbox = replace(first.outboxes[0], reject_comment=HOSTILE, state_id=3)
    batches = list(report.batches)
    batches[index] = replace(first, outboxes=(outbox, *first.outboxes[1:]))
    failed = next(r for r in report.recipients if r.status in (3, 4))
    recipients = (
        replace(failed, phone='=HYPERLINK("http://evil","click")'),
        RecipientResult("+989120000000", failed.outbox_id, 4, 1),
        *report.recipients,
    )
    return replace(report, description=HOSTILE, batches=tuple(batches), recipients=recipients)


def test_markdown_report_escapes_api_values_and_masks_numbers(hostile_report: Report) -> None:
    markdown = render_markdown(hostile_report)
    assert "<script>" not in markdown and "\\<script\\>" in markdown
    assert "@security-team" not in markdown and "@\u200bsecurity-team" in markdown
    assert "\x1b" not in markdown
    assert "+989120000000" not in markdown and "+98912•••••00" in markdown


def test_html_report_escapes_api_values_and_masks_numbers(hostile_report: Report) -> None:
    html = render_html(hostile_report)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "+989120000000" not in html and "+98912•••••00" in html


def test_csv_report_never_writes_a_formula(hostile_report: Report) -> None:
    rows = list(csv.reader(io.StringIO(render_csv(hostile_report))))
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://evil","click")' in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "@") or cell.startswith("-")]
    assert ["+989120000000", str(rows[2][1]), "4"] == rows[2][:3]  # numbers stay whole


def test_report_summary_lines_show_api_text_inert(hostile_report: Report) -> None:
    broken = replace(hostile_report.batches[0], lock_state="failed", error=HOSTILE)
    lines = summary_lines(replace(hostile_report, batches=(broken,)))
    assert all(not CONTROL.search(line) for line in lines)
    assert any('`x` =HYPERLINK("http://evil")?[31m' in line for line in lines)
