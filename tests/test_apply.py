"""Send exactly once: apply against the in-process sandbox, with its faults.

Each test asserts from the sandbox's own record of what it committed
(``store.committed_messages()``), the lockfile on disk, the exit code and the output.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from helpers import NOW, Invoke

from runner.sandbox import DEMO_API_KEY, SandboxApp
from runner.sandbox.testing import FakeClock

WEBSERVICE = "examples/webservice/maintenance-notice.yaml"
P2P = "examples/peer_to_peer/nowruz-discount.yaml"


def simulator(workdir: Path) -> SandboxApp:
    """The same state the CLI's --sandbox uses (its clock matches the CLI's fixed NOW)."""
    return SandboxApp(workdir / ".ippanel-sandbox", clock=lambda: NOW)


def sandbox_lockfile(workdir: Path, campaign: str) -> Path:
    """Where a --sandbox run keeps the lockfile of ``campaign`` (a path from ``workdir``)."""
    stem = Path(campaign).with_suffix("")
    return workdir / ".ippanel-sandbox" / "lockfiles" / stem.with_name(stem.name + ".lock.json")


def deliveries(workdir: Path) -> Counter[str]:
    return Counter(m.recipient for m in simulator(workdir).store.committed_messages())


def write_campaign(workdir: Path, count: int, *, batch_size: int = 10) -> Path:
    numbers = "".join(f"0912{n:07d}\n" for n in range(count))
    (workdir / "many.txt").write_text(numbers, encoding="utf-8")
    path = workdir / "many.yaml"
    path.write_text(
        "version: 1\nname: many\ntype: webservice\nsender: '+983000505'\nmessage: Hello\n"
        f"batch_size: {batch_size}\nrecipients: [{{file: many.txt}}]\n",
        encoding="utf-8",
    )
    return path


def test_apply_sends_once_and_rerun_changes_nothing(invoke: Invoke, workdir: Path) -> None:
    first = invoke("--sandbox", "--yes", WEBSERVICE)
    assert first.exit_code == 0, first.output
    assert "SANDBOX" in first.stderr
    assert "maintenance-notice: sent 1 batch(es) to 5 recipient(s)" in first.stdout
    lock_path = sandbox_lockfile(workdir, WEBSERVICE)
    assert not (workdir / "examples/webservice/maintenance-notice.lock.json").exists()
    lock_text = lock_path.read_text(encoding="utf-8")
    lock = json.loads(lock_text)
    (batch,) = lock["batches"].values()
    assert batch["state"] == "sent" and len(batch["outbox_ids"]) == 1
    assert deliveries(workdir) == Counter(
        {
            "+989120000000": 1,
            "+989351112222": 1,
            "+989123334455": 1,
            "+989351234567": 1,
            "+989198765432": 1,
        }
    )

    again = invoke("--sandbox", "--yes", WEBSERVICE)
    assert again.exit_code == 0, again.output
    assert "already sent" in again.stdout
    assert lock_path.read_text(encoding="utf-8") == lock_text
    assert sum(deliveries(workdir).values()) == 5


def test_lockfile_holds_no_phone_number_and_no_key(invoke: Invoke, workdir: Path) -> None:
    result = invoke("--sandbox", "--yes", P2P)
    assert result.exit_code == 0, result.output
    lock_text = sandbox_lockfile(workdir, P2P).read_text()
    for phone in deliveries(workdir):
        assert phone not in lock_text and phone[3:] not in lock_text
    assert DEMO_API_KEY not in lock_text + result.output
    assert lock_text.endswith("\n")
    assert list(json.loads(lock_text)) == sorted(json.loads(lock_text))


def test_500_before_commit_then_rerun_sends_exactly_once(
    invoke: Invoke, workdir: Path, clock: FakeClock
) -> None:
    simulator(workdir).faults.add("error_500_before_commit", count=1)
    failed = invoke("--sandbox", "--yes", WEBSERVICE)
    assert failed.exit_code == 1
    assert "unknown" in failed.stderr and "next run" in failed.stderr
    assert deliveries(workdir) == Counter()

    rerun = invoke("--sandbox", "--yes", WEBSERVICE)
    assert rerun.exit_code == 0, rerun.output
    assert set(deliveries(workdir).values()) == {1} and len(deliveries(workdir)) == 5
    # An unknown send is looked up, and sent again, only once the API can no longer store
    # it: attempt + deadline (2 × 30 s) + commit margin (30 s), + 2 s as its line was
    # written just ahead of the POST; that also covers the 40 s identical-request window.
    assert clock.sleeps == [92.0]
    assert "may still be stored by the API" in rerun.stderr


def test_drop_after_commit_is_adopted_not_resent(invoke: Invoke, workdir: Path) -> None:
    simulator(workdir).faults.add("drop_after_commit", count=1)
    dropped = invoke("--sandbox", "--yes", WEBSERVICE)
    assert dropped.exit_code == 1
    lock_path = sandbox_lockfile(workdir, WEBSERVICE)
    (batch,) = json.loads(lock_path.read_text())["batches"].values()
    assert batch["state"] == "unknown" and batch["outbox_ids"] == []

    dry = invoke("--dry-run", "--sandbox", "--format", "json", WEBSERVICE)
    (planned,) = json.loads(dry.stdout)["campaigns"][0]["batches"]
    assert planned["action"] == "reconcile"

    rerun = invoke("--sandbox", "--yes", WEBSERVICE)
    assert rerun.exit_code == 0, rerun.output
    committed = simulator(workdir).store.committed_messages()
    assert len(committed) == 5  # nothing sent twice
    (batch,) = json.loads(lock_path.read_text())["batches"].values()
    assert batch["state"] == "sent"
    assert batch["outbox_ids"] == [committed[0].outbox_id]


def test_max_errors_stops_sending_and_names_the_batch(invoke: Invoke, workdir: Path) -> None:
    campaign = write_campaign(workdir, 30)
    simulator(workdir).faults.add("error_500_before_commit", count=0)
    result = invoke("--sandbox", "--yes", "--concurrency", "1", str(campaign))
    assert result.exit_code == 1
    assert result.stderr.count("is unknown") == 1
    assert "stopped after --max-errors" in result.stderr
    lock = json.loads(sandbox_lockfile(workdir, "many.yaml").read_text())
    assert [b["state"] for b in lock["batches"].values()] == ["unknown"]

    simulator(workdir).faults.clear()
    rerun = invoke("--sandbox", "--yes", str(campaign))
    assert rerun.exit_code == 0, rerun.output
    assert set(deliveries(workdir).values()) == {1} and len(deliveries(workdir)) == 30


def test_added_recipients_get_only_the_new_sends(invoke: Invoke, workdir: Path) -> None:
    campaign = write_campaign(workdir, 12)
    assert invoke("--sandbox", "--yes", str(campaign)).exit_code == 0
    with (workdir / "many.txt").open("a", encoding="utf-8") as more:
        more.write("09129999990\n09129999991\n")
    text = campaign.read_text(encoding="utf-8").replace("Hello", "Hello again")
    campaign.write_text(text, encoding="utf-8")

    plan = invoke("plan", "--sandbox", "many.yaml")
    assert "  Since it was sent:\n" in plan.stdout
    assert "~ text        changed: 12 recipient(s) who got the earlier text" in plan.stdout
    result = invoke("--sandbox", "--yes", str(campaign))
    assert result.exit_code == 0, result.output
    got = deliveries(workdir)
    assert set(got.values()) == {1} and len(got) == 14
    texts = {m.recipient: m.text for m in simulator(workdir).store.committed_messages()}
    assert texts["+989129999990"] == "Hello again" and texts["+989120000000"] == "Hello"


def test_invalid_campaign_sends_nothing(invoke: Invoke, workdir: Path) -> None:
    bad = workdir / "bad.yaml"
    bad.write_text(
        "version: 1\nname: bad\ntype: webservice\nsender: '+983000505'\nmessage: '{{ oops'\n"
        "recipients: ['09120000001']\n",
        encoding="utf-8",
    )
    result = invoke("--sandbox", "--yes", str(bad), WEBSERVICE)
    assert result.exit_code == 2
    assert "bad.yaml:5:10: message: template syntax error" in result.stderr
    assert "Traceback" not in result.output
    # the valid campaign in the same call is still handled fully
    assert len(deliveries(workdir)) == 5
    assert not sandbox_lockfile(workdir, "bad.yaml").exists()


def test_without_terminal_and_without_yes_nothing_is_sent(invoke: Invoke, workdir: Path) -> None:
    result = invoke("--sandbox", WEBSERVICE)
    assert result.exit_code == 2
    assert "pass --yes" in result.stderr
    assert deliveries(workdir) == Counter()


def test_second_apply_while_one_holds_the_lock_is_refused(invoke: Invoke, workdir: Path) -> None:
    from runner import lockfile

    lock_path = sandbox_lockfile(workdir, WEBSERVICE)
    lock_path.parent.mkdir(parents=True)
    with lockfile.exclusive(lock_path):
        result = invoke("--sandbox", "--yes", WEBSERVICE)
    assert result.exit_code == 1
    assert "is being applied by pid" in result.stderr
    assert deliveries(workdir) == Counter()


def test_limits_refuse_unless_allowed(invoke: Invoke, workdir: Path) -> None:
    campaign = write_campaign(workdir, 12)
    campaign.write_text(campaign.read_text() + "limits: {max_recipients: 10}\n", encoding="utf-8")
    refused = invoke("--sandbox", "--yes", str(campaign))
    assert refused.exit_code == 2
    assert "12 recipients to send to is over limits.max_recipients (10)" in refused.stderr
    assert deliveries(workdir) == Counter()
    allowed = invoke("--sandbox", "--yes", "--allow-over-limit", str(campaign))
    assert allowed.exit_code == 0
    assert len(deliveries(workdir)) == 12


def test_plan_online_shows_credit_and_estimate(invoke: Invoke, workdir: Path) -> None:
    result = invoke("--sandbox", "--yes", P2P)
    assert "Credit: 1,000,000,000 Rials" in result.stdout
    assert "Estimated cost:" in result.stdout


def test_corrupted_lockfile_is_never_overwritten(invoke: Invoke, workdir: Path) -> None:
    lock_path = sandbox_lockfile(workdir, WEBSERVICE)
    lock_path.parent.mkdir(parents=True)
    lock_path.write_text("{not json", encoding="utf-8")
    result = invoke("--sandbox", "--yes", WEBSERVICE)
    assert result.exit_code == 2
    assert "is not readable JSON" in result.stderr and "Keep the file" in result.stderr
    assert "move" not in result.stderr  # moving it away would plan everyone again
    assert lock_path.read_text(encoding="utf-8") == "{not json"
    assert deliveries(workdir) == Counter()


@pytest.mark.parametrize("example", ["peer_to_peer_file", "pattern", "votp", "postal_code"])
def test_every_type_applies_against_the_sandbox(
    example: str, invoke: Invoke, workdir: Path
) -> None:
    (path,) = (workdir / "examples" / example).glob("*.yaml")
    result = invoke("--sandbox", "--yes", str(path))
    assert result.exit_code == 0, result.output
    lock = json.loads(sandbox_lockfile(workdir, str(path.relative_to(workdir))).read_text())
    assert all(b["state"] == "sent" and b["outbox_ids"] for b in lock["batches"].values())
