"""Against the sandbox playing only the original API document: apply and report still work.

``IPPANEL_SANDBOX_API=original`` makes ``--sandbox`` runs play the API document the
project started from (no credit, price quote, numbers, patterns or ``GET by_bulk``);
``ippanel-run sandbox --api original`` serves it over HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import NOW, Invoke, in_sandbox

import runner.sandbox.server
from runner.sandbox import SandboxApp

ORIGINAL = {"IPPANEL_SANDBOX_API": "original"}
MISSING_CREDIT = (
    "warning: the API has no payment/credit/mine (HTTP 404; an older API version), so the "
    "credit was not checked"
)


def committed(workdir: Path) -> int:
    app = SandboxApp(workdir / ".ippanel-sandbox", clock=lambda: NOW)
    return len(app.store.committed_messages())


@pytest.mark.parametrize(
    ("example", "recipients"),
    [
        ("peer_to_peer/nowruz-discount.yaml", 4),
        ("pattern/login-code.yaml", 2),
        ("postal_code/store-opening.yaml", 1002),
    ],
)
def test_apply_and_report_work_against_the_original_api_with_warnings(
    invoke: Invoke, workdir: Path, example: str, recipients: int
) -> None:
    path = Path("examples") / example
    result = invoke("--sandbox", "--yes", "--report", str(path), env=ORIGINAL)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("SANDBOX (original API: only the endpoints of the API ")
    assert MISSING_CREDIT in result.stderr
    assert "Traceback" not in result.output
    lock = json.loads(in_sandbox(workdir, path, ".lock.json").read_text(encoding="utf-8"))
    assert all(b["state"] == "sent" for b in lock["batches"].values())
    assert sum(b["recipients"] for b in lock["batches"].values()) == recipients
    report = json.loads(in_sandbox(workdir, path, ".report.json").read_text(encoding="utf-8"))
    assert report["batches"]
    assert committed(workdir) > 0


def test_the_price_quote_is_missing_so_a_text_campaign_is_sent_unpriced(
    invoke: Invoke, workdir: Path
) -> None:
    result = invoke(
        "--sandbox", "--yes", "examples/peer_to_peer/nowruz-discount.yaml", env=ORIGINAL
    )
    assert result.exit_code == 0, result.output
    assert (
        "warning: the API has no send/calculate-price (HTTP 404; an older API version), so the "
        "cost was not checked"
    ) in result.stderr
    assert "Estimated cost: unknown (the API has no send/calculate-price)" in result.stdout


def test_max_cost_is_refused_against_the_original_api_and_nothing_is_sent(
    invoke: Invoke, workdir: Path
) -> None:
    path = workdir / "examples/peer_to_peer/nowruz-discount.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "limits: {max_cost: 100000}\n")
    result = invoke("--sandbox", "--yes", str(path.relative_to(workdir)), env=ORIGINAL)
    assert result.exit_code == 2
    assert "limits.max_cost is set, but the cost cannot be estimated (the API has no " in (
        result.stderr
    )
    assert "Traceback" not in result.output
    assert committed(workdir) == 0


def test_an_unknown_sandbox_api_is_a_clear_usage_error(invoke: Invoke, workdir: Path) -> None:
    result = invoke(
        "--sandbox",
        "--yes",
        "examples/peer_to_peer/nowruz-discount.yaml",
        env={"IPPANEL_SANDBOX_API": "legacy"},
    )
    assert result.exit_code == 2
    assert "IPPANEL_SANDBOX_API='legacy' is not a sandbox API; use one of: current, original" in (
        result.stderr
    )
    assert committed(workdir) == 0


def test_the_sandbox_keeps_playing_the_api_chosen_until_switched_back(
    invoke: Invoke, workdir: Path
) -> None:
    campaign = "examples/peer_to_peer/nowruz-discount.yaml"
    assert invoke("plan", "--sandbox", campaign, env=ORIGINAL).exit_code == 0
    kept = invoke("plan", "--sandbox", campaign)
    assert kept.stderr.startswith("SANDBOX (original API: ")
    back = invoke("plan", "--sandbox", campaign, env={"IPPANEL_SANDBOX_API": "current"})
    assert back.stderr.startswith("SANDBOX: using the built-in simulator")
    assert MISSING_CREDIT not in back.stderr


class _Served:
    """Stands in for the HTTP server: records the app, then stops as Ctrl-C would."""

    base_url = "http://127.0.0.1:8585/v1"

    def serve_forever(self) -> None:
        raise KeyboardInterrupt

    def server_close(self) -> None:
        pass


@pytest.mark.parametrize(("args", "api"), [(["--api", "original"], "original"), ([], "current")])
def test_the_sandbox_command_serves_the_api_asked_for(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], api: str
) -> None:
    apps: list[SandboxApp] = []

    def serve(app: SandboxApp, port: int) -> Any:
        apps.append(app)
        return _Served()

    monkeypatch.setattr(runner.sandbox.server, "serve", serve)
    result = invoke("sandbox", "--state", str(tmp_path / "state"), *args)
    assert result.exit_code == 0, result.output
    assert f"API: {api} (" in result.stderr
    (app,) = apps
    assert app.api == api
