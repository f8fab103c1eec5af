"""examples/README.md: every command it lists runs as written, on a copy of the checkout."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from helpers import EXAMPLES, Invoke


def listed_commands() -> list[str]:
    text = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.startswith("ippanel-run ")]


def test_every_command_in_the_examples_readme_runs(invoke: Invoke, in_repo: Path) -> None:
    commands = listed_commands()
    assert {shlex.split(c)[1] for c in commands} >= {
        "validate", "status", "plan", "report", "replies", "cancel", "new",
    }  # fmt: skip

    for command in commands:
        result = invoke(*shlex.split(command)[1:])
        assert result.exit_code == 0, f"{command}\n{result.output}"

    # The sends above are the sandbox's: its own lockfiles say where each stands.
    status = invoke("status", "--sandbox", "--format", "json", "campaigns/", "examples/")
    states = {row["name"]: row["state"] for row in json.loads(status.stdout)["campaigns"]}
    assert states["yalda-1405"] == "cancelled"
    assert states["appointment-reminders"] == "sending"
    assert states["nowruz-discount"] == "not sent"
    assert states["welcome-code"] == "not sent"
    sandbox = in_repo / ".ippanel-sandbox/lockfiles/examples/peer_to_peer_file"
    assert (sandbox / "appointment-reminders.replies.csv").exists()
    assert not list(in_repo.glob("examples/**/*.lock.json"))  # a trial leaves no lockfile
