"""The CI examples and pre-commit hooks do what examples/ci/README.md promises.

Both CI files are parsed for the structure that keeps sends safe (triggers, one send at a
time, the API key only where sending happens, one updated plan comment), and the
``ippanel-run`` command lines written in them are run through the real CLI on a copy of two
unscheduled example campaigns laid out as a user's ``campaigns/``, against the sandbox
served over HTTP as the CI's API (``IPPANEL_BASE_URL``): lockfiles land beside the
campaigns, as a real send's do (``--sandbox`` keeps its own apart).
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import EXAMPLES, REPO, Invoke

from runner.sandbox import DEMO_API_KEY, SandboxApp
from runner.sandbox.server import start_in_thread

GITHUB = EXAMPLES / "ci" / "github-actions.yml"
GITLAB = EXAMPLES / "ci" / "gitlab-ci.yml"
MARKER = "<!-- ippanel-run-plan -->"
CAMPAIGN_FILES = {
    "webservice": ["maintenance-notice.yaml", "subscribers.txt"],
    "peer_to_peer": ["nowruz-discount.yaml", "customers.csv", "opt-out.txt"],
}
# Tokens after which a word is in command position in the shell lines we write.
COMMAND_START = {";", "|", "||", "&&", "(", ")", "{", "!", "then", "do", "else"}


# --- reading the CI files -------------------------------------------------------------------


def load(path: Path) -> dict[Any, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def github_triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    triggers = workflow.get("on", workflow.get(True))
    assert isinstance(triggers, dict)
    return triggers


def github_scripts(workflow: dict[str, Any]) -> dict[str, list[str]]:
    """Each job's `run:` blocks, in order."""
    return {
        name: [step["run"] for step in job["steps"] if "run" in step]
        for name, job in workflow["jobs"].items()
    }


def gitlab_jobs(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    reserved = {"workflow", "variables", "default", "stages", "include", "image", "cache"}
    return {k: v for k, v in config.items() if k not in reserved and not k.startswith(".")}


def gitlab_scripts(config: dict[str, Any]) -> dict[str, list[str]]:
    """Each job's script entries (its own before_script, else the default one, then script)."""
    default_before = config.get("default", {}).get("before_script", [])
    return {
        name: [*job.get("before_script", default_before), *job["script"]]
        for name, job in gitlab_jobs(config).items()
    }


def ippanel_commands(script: str) -> list[list[str]]:
    """The arguments of every `ippanel-run ...` command written in a shell script."""
    commands = []
    for line in script.replace("\\\n", " ").splitlines():
        if "ippanel-run" not in line or line.lstrip().startswith("#"):
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        for i, token in enumerate(tokens):
            if token == "ippanel-run" and (i == 0 or tokens[i - 1] in COMMAND_START):
                commands.append(_arguments(tokens[i + 1 :]))
    return commands


def _arguments(tokens: list[str]) -> list[str]:
    args: list[str] = []
    for token in tokens:
        if set(token) <= set("();<>|&"):
            # `2>&1`: the 2 belongs to the redirection, not to the command.
            if args and args[-1].isdigit() and token.startswith(">"):
                args.pop()
            break
        args.append(token)
    return args


def substitute(args: list[str], campaign: str) -> list[str]:
    return [re.sub(r"\$\{?f\}?", campaign, arg) for arg in args]


# --- running the real CLI ------------------------------------------------------------------


def cli_env(api: str = "") -> dict[str, str]:
    """The environment of a CI job; with ``api``, the send job's key and API."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPPANEL_")}
    env.update(NO_COLOR="1", PYTHONPATH=str(REPO))
    if api:
        env.update(IPPANEL_API_KEY=DEMO_API_KEY, IPPANEL_BASE_URL=api)
    return env


def run_cli(args: list[str], cwd: Path, api: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from runner.cli import main; main()", *args],
        cwd=cwd,
        env=cli_env(api),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


@pytest.fixture
def api(tmp_path: Path) -> Iterator[str]:
    """The sandbox over HTTP, standing in for the IPPanel API of the CI's send job."""
    server, url = start_in_thread(SandboxApp(tmp_path / "api-state"))
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


@functools.cache
def supported_options(command: str) -> str:
    return run_cli([command, "--help"], REPO).stdout


def supported(args: list[str]) -> list[str]:
    """``args``, after checking that the CLI has every option the CI file uses."""
    help_text = supported_options(args[0])
    unknown = [a for a in args if a.startswith("--") and a.split("=")[0] not in help_text]
    assert not unknown, f"the CI file uses options `{args[0]}` does not have: {unknown}"
    return args


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    """A user's repository: two unscheduled example campaigns and their data in campaigns/."""
    campaigns = tmp_path / "campaigns"
    campaigns.mkdir()
    for folder, names in CAMPAIGN_FILES.items():
        for name in names:
            shutil.copy(EXAMPLES / folder / name, campaigns / name)
    return tmp_path


def campaign_paths(repo: Path) -> list[str]:
    return sorted(str(p.relative_to(repo)) for p in (repo / "campaigns").glob("*.yaml"))


# --- structure that keeps sends safe ---------------------------------------------------------


def test_github_workflow_plans_pull_requests_and_sends_from_main() -> None:
    workflow = load(GITHUB)
    triggers = github_triggers(workflow)
    assert "pull_request" in triggers
    assert triggers["push"]["branches"] == ["main"]
    plan, send = workflow["jobs"]["plan"], workflow["jobs"]["send"]
    assert "pull_request" in plan["if"]
    assert "refs/heads/main" in send["if"]
    assert send["concurrency"] == {"group": "ippanel-send", "cancel-in-progress": False}
    assert send["permissions"]["contents"] == "write"
    assert plan["permissions"]["pull-requests"] == "write"
    checkout = send["steps"][0]
    assert checkout["uses"] == "actions/checkout@v4"
    assert checkout["with"]["ref"] == "main", "a queued send must see the last send's lockfiles"


def test_github_api_key_reaches_only_the_send_job() -> None:
    workflow = load(GITHUB)
    assert workflow["jobs"]["send"]["env"] == {"IPPANEL_API_KEY": "${{ secrets.IPPANEL_API_KEY }}"}
    outside_send = {k: v for k, v in workflow.items() if k != "jobs"}
    outside_send["plan"] = workflow["jobs"]["plan"]
    assert "secrets." not in yaml.safe_dump(outside_send)


def test_github_plan_comment_is_updated_not_repeated() -> None:
    steps = load(GITHUB)["jobs"]["plan"]["steps"]
    scripts = [s["with"]["script"] for s in steps if s.get("uses") == "actions/github-script@v7"]
    assert len(scripts) == 1
    script = scripts[0]
    assert MARKER in script and "updateComment" in script and "createComment" in script
    assert any(f"echo '{MARKER}'" in s.get("run", "") for s in steps)


def test_github_lockfiles_are_committed_back_even_after_a_failed_send() -> None:
    steps = {s.get("name"): s for s in load(GITHUB)["jobs"]["send"]["steps"]}
    commit = steps["Commit the lockfiles back"]
    assert commit["if"] == "always()"
    assert "campaigns/*.lock.json" in commit["run"] and "[skip ci]" in commit["run"]
    upload = steps["Upload reports and lockfiles"]
    assert upload["uses"] == "actions/upload-artifact@v4" and upload["if"] == "always()"
    assert "campaigns/*.report.*" in upload["with"]["path"]
    assert "GITHUB_STEP_SUMMARY" in steps["Send what is left to send"]["run"]


def test_gitlab_pipeline_plans_merge_requests_and_sends_one_at_a_time() -> None:
    config = load(GITLAB)
    jobs = gitlab_jobs(config)
    assert set(jobs) == {"ippanel-plan", "ippanel-send"}
    plan, send = jobs["ippanel-plan"], jobs["ippanel-send"]
    assert "merge_request_event" in plan["rules"][0]["if"]
    assert all("CI_DEFAULT_BRANCH" in rule["if"] for rule in send["rules"])
    assert send["resource_group"] == "ippanel-send"
    assert "campaigns/*.report.*" in send["artifacts"]["paths"]
    assert send["artifacts"]["when"] == "always"
    plan_text = yaml.safe_dump(plan)
    assert MARKER in plan_text and "PUT" in plan_text and "POST" in plan_text
    for secret in ("IPPANEL_API_KEY", "GITLAB_PUSH_TOKEN"):
        assert secret not in plan_text
        assert secret in yaml.safe_dump(send)


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_every_shell_block_parses(path: Path) -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    scripts = github_scripts(load(path)) if path == GITHUB else gitlab_scripts(load(path))
    for job, blocks in scripts.items():
        # GitLab runs a job's entries as one script; GitHub runs each step on its own.
        for block in blocks if path == GITHUB else ["\n".join(blocks)]:
            result = subprocess.run(["bash", "-n", "-c", block], capture_output=True, text=True)
            assert result.returncode == 0, f"{path.name} {job}: {result.stderr}"


def test_ci_configs_are_not_taken_for_campaigns(invoke: Invoke, in_repo: Path) -> None:
    result = invoke("validate", "examples/")
    assert result.exit_code == 0, result.output
    assert "examples/ci" not in result.output


# --- the commands in them, run -----------------------------------------------------------------


def commands_by_job(path: Path) -> tuple[list[list[str]], list[list[str]]]:
    if path == GITHUB:
        scripts = github_scripts(load(path))
        plan_job, send_job = scripts["plan"], scripts["send"]
    else:
        scripts = gitlab_scripts(load(path))
        plan_job, send_job = scripts["ippanel-plan"], scripts["ippanel-send"]
    return (
        [c for block in plan_job for c in ippanel_commands(block)],
        [c for block in send_job for c in ippanel_commands(block)],
    )


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_ci_runs_the_documented_commands(path: Path) -> None:
    plan_commands, send_commands = commands_by_job(path)
    assert plan_commands == [
        ["validate", "campaigns/"],
        ["plan", "--format", "markdown", "campaigns/"],
    ]
    assert send_commands == [
        ["plan", "--detailed-exitcode", "$f"],
        ["apply", "--yes", "--report", "$f"],
    ]


# The GitLab file runs the same command lines (test_ci_runs_the_documented_commands), so
# running them once keeps the suite fast; both shell loops run below.
def test_pull_request_commands_validate_and_plan_offline(user_repo: Path) -> None:
    (validate, plan), _ = commands_by_job(GITHUB)
    checked = run_cli(validate, user_repo)
    assert checked.returncode == 0, checked.stderr
    assert "ok: campaigns/maintenance-notice.yaml" in checked.stdout
    assert "ok: campaigns/nowruz-discount.yaml" in checked.stdout
    planned = run_cli(plan, user_repo)
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.startswith("## ippanel-run plan")
    assert MARKER not in planned.stdout  # the workflow adds it, once, above the plan
    assert "`maintenance-notice`" in planned.stdout and "`nowruz-discount`" in planned.stdout
    assert not (user_repo / ".ippanel-sandbox").exists()
    assert not list(user_repo.glob("campaigns/*.lock.json"))


def test_merge_commands_send_each_campaign_once(user_repo: Path, api: str) -> None:
    _, (plan, apply) = commands_by_job(GITHUB)
    plan, apply = supported(plan), supported(apply)
    detailed = "--detailed-exitcode" in plan
    campaigns = campaign_paths(user_repo)
    lockfiles: dict[str, bytes] = {}
    for first_merge in (True, False):
        for campaign in campaigns:
            if detailed:
                left = run_cli(substitute(plan, campaign), user_repo)
                assert left.returncode == (4 if first_merge else 0), left.stderr
                if left.returncode == 0:
                    continue
            sent = run_cli(substitute(apply, campaign), user_repo, api)
            assert sent.returncode == 0, sent.stderr
            if not first_merge:
                assert "sent 0 batch(es)" in sent.stdout
        if first_merge:
            lockfiles = {p.name: p.read_bytes() for p in user_repo.glob("campaigns/*.lock.json")}
    assert sorted(lockfiles) == ["maintenance-notice.lock.json", "nowruz-discount.lock.json"]
    if detailed:  # the loop skipped them; an apply anyway must still send nothing
        resent = run_cli(substitute(apply, campaigns[0]), user_repo, api)
        assert resent.returncode == 0 and "sent 0 batch(es)" in resent.stdout, resent.stderr
    again = {p.name: p.read_bytes() for p in user_repo.glob("campaigns/*.lock.json")}
    assert again == lockfiles, "a second run must leave the lockfiles byte-identical"
    if "--report" in apply:
        assert (user_repo / "campaigns" / "nowruz-discount.report.md").is_file()


# --- the send step as written, in bash -------------------------------------------------------


@pytest.fixture
def shim(tmp_path: Path) -> Iterator[Path]:
    """An `ippanel-run` on PATH that is the real CLI (the job's environment names the API)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "ippanel-run"
    python = shlex.quote(sys.executable)
    script.write_text(
        f'#!/bin/sh\nexec {python} -c "from runner.cli import main; main()" "$@"\n',
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    yield bin_dir


def send_block(path: Path) -> str:
    if path == GITHUB:
        steps = load(GITHUB)["jobs"]["send"]["steps"]
        return str(next(s["run"] for s in steps if s.get("name") == "Send what is left to send"))
    script = gitlab_scripts(load(GITLAB))["ippanel-send"]
    loop = next(block for block in script if "--detailed-exitcode" in block)
    return loop + '\nexit "$status"\n'


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_send_step_as_written_sends_only_what_is_left(
    path: Path, user_repo: Path, shim: Path, api: str
) -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    summary = user_repo / "summary.md"
    env = cli_env(api)
    env.update(PATH=f"{shim}{os.pathsep}{env['PATH']}", GITHUB_STEP_SUMMARY=str(summary))
    block = send_block(path)

    def run_step() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", block],
            cwd=user_repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    first = run_step()
    assert first.returncode == 0, first.stdout + first.stderr
    assert len(list(user_repo.glob("campaigns/*.lock.json"))) == 2
    (user_repo / "apply.log").unlink()
    assert len(list(user_repo.glob("campaigns/*.report.html"))) == 2
    lockfiles = {p: p.read_bytes() for p in user_repo.glob("campaigns/*.lock.json")}
    second = run_step()
    assert second.returncode == 0, second.stdout + second.stderr
    assert not (user_repo / "apply.log").exists(), "nothing was left, so nothing was applied"
    assert {p: p.read_bytes() for p in lockfiles} == lockfiles
    if path == GITHUB:
        assert summary.read_text(encoding="utf-8").count("nothing left to send") == 2


# --- pre-commit --------------------------------------------------------------------------------


def test_offered_hook_validates_campaign_files() -> None:
    hooks = load_list(REPO / ".pre-commit-hooks.yaml")
    assert [h["id"] for h in hooks] == ["ippanel-run-validate"]
    hook = hooks[0]
    assert hook["entry"] == "ippanel-run validate"
    assert hook["language"] == "python" and hook["pass_filenames"] is True
    files = re.compile(hook["files"])
    assert files.search("campaigns/yalda-1405.yaml") and files.search("campaigns/x.yml")
    assert not files.search(".github/workflows/ippanel-run.yml")
    assert not files.search(".pre-commit-config.yaml")


def load_list(path: Path) -> list[dict[str, Any]]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, list)
    return loaded


def test_project_hooks_run_ruff_mypy_and_validate_our_campaigns(
    invoke: Invoke, in_repo: Path
) -> None:
    config = load(REPO / ".pre-commit-config.yaml")
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "mypy", "ippanel-run-validate"} <= set(hooks)
    assert "--strict runner" in hooks["mypy"]["entry"]
    validate = hooks["ippanel-run-validate"]
    files, exclude = re.compile(validate["files"]), re.compile(validate["exclude"])
    candidates = sorted(
        str(p.relative_to(in_repo))
        for folder in ("campaigns", "examples")
        for p in (in_repo / folder).rglob("*")
        if p.suffix in (".yaml", ".yml")
    )
    chosen = [c for c in candidates if files.search(c) and not exclude.search(c)]
    assert "campaigns/yalda-1405.yaml" in chosen
    assert "examples/peer_to_peer/nowruz-discount.yaml" in chosen
    assert not [c for c in chosen if c.startswith("examples/ci/")]
    # What pre-commit would run on a commit touching all of them (with the fixed test clock).
    result = invoke(*validate["entry"].split()[1:], *chosen)
    assert result.exit_code == 0, result.output
