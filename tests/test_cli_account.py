"""`login`, `sandbox`, `report --format json` and the negative campaign files, through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from helpers import NOW, REPO, Invoke

from runner.api.client import in_process_transport
from runner.cli import AppContext, cli
from runner.sandbox import DEMO_API_KEY, IN_PROCESS_BASE_URL, SandboxApp

NEGATIVE = REPO / "tests/data/schema/negative"


@pytest.mark.parametrize("case", sorted(NEGATIVE.glob("*.yaml")), ids=lambda p: p.stem)
def test_negative_files_fail_validate_with_their_messages(
    case: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(NEGATIVE)
    result = invoke("validate", case.name)
    assert result.exit_code == 2
    expected = case.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    for line in expected:
        assert line in result.stderr
    assert "Traceback" not in result.output


def login_app(tmp_path: Path) -> tuple[SandboxApp, AppContext]:
    sandbox = SandboxApp(tmp_path / "sandbox", clock=lambda: NOW)
    env = {"IPPANEL_CONFIG_DIR": str(tmp_path / "config"), "IPPANEL_BASE_URL": IN_PROCESS_BASE_URL}
    app = AppContext(now=lambda: NOW, env=env, transport=in_process_transport(sandbox))
    return sandbox, app


def test_login_with_an_sms_code_caches_a_private_token(tmp_path: Path) -> None:
    _, app = login_app(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["login"], obj=app, input="sms-user\nsms-password\n123456\n")
    assert result.exit_code == 0, result.output
    assert "logged in as sms-user" in result.stdout
    # Prompts go to the terminal (stderr): `ippanel-run login > out.txt` still shows them.
    assert "Username:" in result.stderr and "Code sent by SMS" in result.stderr
    assert "Username" not in result.stdout and "Password" not in result.stdout
    token_file = tmp_path / "config/token.json"
    assert token_file.stat().st_mode & 0o777 == 0o600
    token = json.loads(token_file.read_text())["token"]
    assert token not in result.output

    check = runner.invoke(cli, ["login", "--check"], obj=app)
    assert check.exit_code == 0, check.output
    assert "logged in as Sandbox SMS OTP (sms-user" in check.stdout


def test_wrong_password_is_a_clear_error(tmp_path: Path) -> None:
    _, app = login_app(tmp_path)
    result = CliRunner().invoke(cli, ["login"], obj=app, input="demo\nwrong\n")
    assert result.exit_code == 1
    assert "error:" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "config/token.json").exists()


def test_without_credentials_apply_says_how_to_get_them(invoke: Invoke, workdir: Path) -> None:
    result = invoke("--yes", "examples/webservice/maintenance-notice.yaml")
    assert result.exit_code == 2
    assert "IPPANEL_API_KEY" in result.stderr and "ippanel-run login" in result.stderr


def test_report_json_is_versioned(invoke: Invoke, workdir: Path) -> None:
    assert (
        invoke("--sandbox", "--yes", "examples/webservice/maintenance-notice.yaml").exit_code == 0
    )
    result = invoke("report", "--sandbox", "--format", "json", "examples/webservice/")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["format_version"] == 1


def test_sandbox_command_serves_the_simulator_over_http(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from runner.cli import main; main()",
            "sandbox",
            "--port",
            "0",
            "--state",
            str(tmp_path / "state"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("IPPanel sandbox listening on http://127.0.0.1:")
        base = first.split()[-1]
        assert f"IPPANEL_API_KEY={DEMO_API_KEY}" in process.stdout.readline() + (
            process.stdout.readline()
        )
        answer = httpx.post(
            f"{base}/api/acl/auth/check_token", headers={"Authorization": DEMO_API_KEY}
        )
        assert answer.status_code == 200 and answer.json()["data"]["user_name"] == "demo"
    finally:
        process.terminate()
        process.wait(timeout=10)
