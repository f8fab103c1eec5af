"""The README's team walkthrough, step by step, against the in-process sandbox.

Each command is taken as the README writes it (``.venv/bin/ippanel-run …``) and run;
where the README says to answer the prompt with ``y``, the test passes ``--yes``.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from helpers import REPO, Invoke

from runner.sandbox import SandboxApp
from runner.sandbox.testing import FakeClock

WALKTHROUGH = (
    (REPO / "README.md")
    .read_text(encoding="utf-8")
    .split("## Using ippanel-run in a team")[1]
    .split("## Development")[0]
)


def step(invoke: Invoke, command: str, *, answer_yes: bool = False, code: int = 0) -> str:
    """Run ``command`` as the README shows it; its stdout."""
    assert f".venv/bin/{command}" in WALKTHROUGH, f"the README's walkthrough lacks {command!r}"
    args = shlex.split(command)[1:]
    result = invoke(*args, "--yes") if answer_yes else invoke(*args)
    assert result.exit_code == code, f"{command}\n{result.output}"
    return result.stdout


def test_the_readme_walkthrough_works_as_written(
    invoke: Invoke, in_repo: Path, clock: FakeClock
) -> None:
    out = step(invoke, "ippanel-run new spring-sale")
    assert "wrote campaigns/spring-sale.yaml and campaigns/data/spring-sale.csv" in out
    out = step(invoke, "ippanel-run validate campaigns/")
    assert "ok: campaigns/spring-sale.yaml (peer_to_peer, 2 recipients)" in out
    assert "## ippanel-run plan" in step(
        invoke, "ippanel-run plan --format markdown campaigns/spring-sale.yaml"
    )
    assert "spring-sale: Credit:" in step(
        invoke, "ippanel-run plan --sandbox campaigns/spring-sale.yaml"
    )
    test_send = "ippanel-run apply --sandbox --yes --test-to 09121112233 campaigns/spring-sale.yaml"
    assert "TEST SEND spring-sale → +989121112233" in step(invoke, test_send)
    slept = len(clock.sleeps)
    out = step(invoke, "ippanel-run --sandbox campaigns/spring-sale.yaml", answer_yes=True)
    # The test phone is no recipient: both are sent to, and nothing waits for the test send.
    assert "~ adopt" not in out and clock.sleeps[slept:] == []
    assert "spring-sale: sent 1 batch(es) to 2 recipient(s)" in out
    again = step(invoke, "ippanel-run --sandbox campaigns/spring-sale.yaml", answer_yes=True)
    assert "Plan: 0 batch(es) to send to 0 recipient(s)" in again
    sandbox = in_repo / ".ippanel-sandbox/lockfiles/campaigns"
    assert (sandbox / "spring-sale.lock.json").exists()
    assert not (in_repo / "campaigns/spring-sale.lock.json").exists()

    rows = {line.split()[0]: line for line in step(invoke, "ippanel-run status").splitlines()[1:3]}
    assert rows["spring-sale"].split()[2:4] == ["not", "sent"]  # nothing real went out
    assert rows["yalda-1405"].split()[2:4] == ["not", "sent"]
    assert "sending" in step(invoke, "ippanel-run status --sandbox")  # still in review
    clock.advance(120)
    step(invoke, "ippanel-run report --sandbox campaigns/spring-sale.yaml")
    assert (sandbox / "spring-sale.report.html").exists()

    out = step(invoke, "ippanel-run --sandbox --yes campaigns/yalda-1405.yaml")
    assert "it can be cancelled until 1405-09-30 17:55 Tehran (2026-12-21)" in out
    out = step(invoke, "ippanel-run cancel --sandbox campaigns/yalda-1405.yaml")
    assert "cancelled 1 batch(es), 4 recipient(s)" in out

    # The curl of step 9, in-process: a customer answers the campaign's line.
    assert '"from": "+989120000000", "to": "+983000505", "message": "لغو"' in WALKTHROUGH
    SandboxApp(in_repo / ".ippanel-sandbox", clock=clock).add_inbox(
        "+989120000000", "+983000505", "لغو"
    )
    replies = (
        "ippanel-run replies --sandbox --opt-outs campaigns/data/opt-outs.txt "
        "campaigns/spring-sale.yaml"
    )
    out = step(invoke, replies)
    assert "spring-sale: 1 reply from 1 of 2 recipients" in out
    assert "+989120000000" in (in_repo / "campaigns/data/opt-outs.txt").read_text()
    lock = json.loads((sandbox / "yalda-1405.lock.json").read_text())
    assert [b["state"] for b in lock["batches"].values()] == ["cancelled"]
