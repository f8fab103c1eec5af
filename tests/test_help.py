"""Help texts a newcomer can act on (issue 14): examples, nothing cut, every option explained."""

from __future__ import annotations

import re
import shlex

import click
import pytest
from click.testing import CliRunner
from helpers import REPO

from runner.cli import cli

COMMANDS = sorted(cli.commands)


def help_of(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


def examples(text: str) -> list[str]:
    """The command lines of a help text's Examples section (explanations after 2 spaces cut)."""
    section = text.split("Examples:\n", 1)[1].split("\n\n", 1)[0]
    return [re.split(r"\s{2,}", line.strip())[0] for line in section.splitlines()]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_one_to_three_examples_that_use_real_options(command: str) -> None:
    lines = examples(help_of(command))
    assert 1 <= len(lines) <= 3
    for line in lines:
        words = [w for w in shlex.split(line) if "=" not in w or w.startswith("-")]
        assert words[0] == "ippanel-run", line
        known = {opt for p in cli.commands[command].params for opt in p.opts}
        known |= {opt for p in cli.commands["apply"].params for opt in p.opts}
        used = [w.split("=")[0] for w in words if w.startswith("-")]
        assert set(used) <= known | {"-h", "--help"}, line


def test_top_level_help_shows_the_first_command_and_cuts_no_summary() -> None:
    text = help_of()
    assert "--sandbox" in text and "--yes" in text
    assert "ippanel-run --sandbox --yes --report examples/peer_to_peer/nowruz-discount.yaml" in text
    commands = text.split("Commands:\n", 1)[1]
    assert "..." not in commands
    assert "Plan, confirm and send each campaign exactly once, then write its" in commands


def test_options_are_described_and_choices_in_one_order() -> None:
    assert "TCP port to listen on" in help_of("sandbox")
    apply = help_of("apply")
    assert "--format [text|json|markdown]" in apply
    assert "json: print no plan, and the result" in " ".join(apply.split())
    assert "--format [text|json|markdown]" in help_of("plan")
    for command in ("report", "status"):
        assert "--format [text|json]" in help_of(command)
    resolve = " ".join(help_of("resolve").split())
    assert "KEY is the batch's key: apply names it when it stops" in resolve


def test_validate_never_offers_to_send() -> None:
    validate = " ".join(help_of("validate").split())
    assert "Send" not in validate
    described = "--allow-over-limit Report a campaign over its limits (max_recipients) as valid"
    assert described in validate


def test_every_option_has_a_description() -> None:
    undescribed = [
        f"{name} {param.opts[0]}"
        for name, command in cli.commands.items()
        for param in command.params
        if isinstance(param, click.Option) and not param.help and param.name != "help"
    ]
    assert undescribed == []


def test_the_shell_completion_the_readme_documents_completes_commands_and_options() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert 'eval "$(_IPPANEL_RUN_COMPLETE=bash_source ippanel-run)"' in readme
    runner = CliRunner()
    script = runner.invoke(
        cli, [], prog_name="ippanel-run", env={"_IPPANEL_RUN_COMPLETE": "bash_source"}
    )
    assert "_ippanel_run_completion()" in script.output
    env = {
        "_IPPANEL_RUN_COMPLETE": "bash_complete",
        "COMP_WORDS": "ippanel-run va",
        "COMP_CWORD": "1",
    }
    assert runner.invoke(cli, [], prog_name="ippanel-run", env=env).output == "plain,validate\n"
    env["COMP_WORDS"], env["COMP_CWORD"] = "ippanel-run plan --form", "2"
    assert runner.invoke(cli, [], prog_name="ippanel-run", env=env).output == "plain,--format\n"
