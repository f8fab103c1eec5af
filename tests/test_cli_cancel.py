"""``ippanel-run cancel``: scheduled sends stopped in time, recorded, and sent again after a fix.

Every test applies the scheduled ``campaigns/yalda-1405.yaml`` (1405-09-30 18:00 Tehran,
2026-12-21 14:30 UTC) against the in-process sandbox, then asserts what the sandbox
shows for its outboxes, the lockfile on disk, the exit code and the output.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import httpx
from click.testing import CliRunner, Result
from helpers import Invoke
from jsonschema import Draft202012Validator

from runner.api.client import in_process_transport
from runner.cli import AppContext, cli
from runner.sandbox import DEMO_API_KEY, IN_PROCESS_BASE_URL, SandboxApp
from runner.sandbox.testing import FakeClock, call
from runner.schema import load_schema

YALDA = "campaigns/yalda-1405.yaml"
SEND_TIME = datetime(2026, 12, 21, 14, 30, tzinfo=timezone.utc)
LOCK = ".ippanel-sandbox/lockfiles/campaigns/yalda-1405.lock.json"  # a --sandbox run's


def lockfile(root: Path, where: str = LOCK) -> dict[str, dict[str, object]]:
    data = json.loads((root / where).read_text(encoding="utf-8"))
    batches: dict[str, dict[str, object]] = data["batches"]
    return batches


def states(root: Path, clock: FakeClock, ids: list[int]) -> list[int]:
    """Each outbox's state_id as the sandbox reports it now (7 = cancelled)."""
    app = SandboxApp(root / ".ippanel-sandbox", clock=clock)
    found = []
    for outbox_id in ids:
        answer = call(
            app, "GET", "/api/report/by_bulk", query={"messages_outbox_id": str(outbox_id)}
        )
        found.append(int(answer.json()["data"]["state_id"]))
    return found


def applied(invoke: Invoke, root: Path) -> list[int]:
    """Apply the Yalda campaign in the sandbox; its outbox ids."""
    result = invoke("--sandbox", "--yes", YALDA)
    assert result.exit_code == 0, result.output
    (batch,) = lockfile(root).values()
    ids = batch["outbox_ids"]
    assert isinstance(ids, list)
    return [int(i) for i in ids]


def test_apply_says_when_a_scheduled_send_goes_out_and_how_to_cancel(
    invoke: Invoke, in_repo: Path
) -> None:
    result = invoke("--sandbox", "--yes", YALDA)
    assert result.exit_code == 0, result.output
    assert (
        "yalda-1405: scheduled: goes out at 2026-12-21 14:30 UTC · 2026-12-21 18:00 (Asia/Tehran)"
        " · Solar Hijri 1405-09-30 18:00 (Asia/Tehran)"
    ) in result.stdout
    assert (
        "yalda-1405: it can be cancelled until 1405-09-30 17:55 Tehran (2026-12-21), 5 minutes "
        "before, with: ippanel-run cancel --sandbox campaigns/yalda-1405.yaml"
    ) in result.stdout


def test_cancel_stops_the_send_and_a_fixed_campaign_goes_out_again(
    invoke: Invoke, in_repo: Path, clock: FakeClock
) -> None:
    ids = applied(invoke, in_repo)

    result = invoke("cancel", "--sandbox", YALDA)

    assert result.exit_code == 0, result.output
    assert "cancelled; it was to go out at 1405-09-30 18:00 Tehran (2026-12-21)" in result.stdout
    assert (
        "cancelled 1 batch(es), 4 recipient(s); fix the campaign and apply it again to send to "
        "them: ippanel-run --sandbox campaigns/yalda-1405.yaml"
    ) in result.stdout
    assert states(in_repo, clock, ids) == [7, 7, 7, 7]
    (record,) = lockfile(in_repo).values()
    assert record["state"] == "cancelled" and record["outbox_ids"] == ids
    document = json.loads((in_repo / LOCK).read_text())
    assert (
        list(Draft202012Validator(load_schema("lockfile.schema.json")).iter_errors(document)) == []
    )
    assert document["inputs"] == ""  # no longer finished: the next apply plans again

    # The fix: a new text. The cancelled recipients are planned and sent again.
    campaign = in_repo / YALDA
    campaign.write_text(
        campaign.read_text(encoding="utf-8").replace("تا پایان آذر", "تا پایان دی"),
        encoding="utf-8",
    )
    plan = invoke("plan", "--sandbox", YALDA)
    assert "their recipients are planned again" in plan.stdout
    assert "1 batch(es) to send to 4 recipient(s)" in plan.stdout
    again = invoke("--sandbox", "--yes", YALDA)
    assert again.exit_code == 0, again.output
    records = lockfile(in_repo)
    assert sorted(str(r["state"]) for r in records.values()) == ["cancelled", "sent"]
    (sent,) = (r for r in records.values() if r["state"] == "sent")
    assert isinstance(sent["outbox_ids"], list)
    assert states(in_repo, clock, sent["outbox_ids"]) == [1, 1, 1, 1]  # in review until sent


def test_cancel_unchanged_campaign_then_apply_sends_the_same_batch_again(
    invoke: Invoke, in_repo: Path, clock: FakeClock
) -> None:
    ids = applied(invoke, in_repo)
    assert invoke("cancel", "--sandbox", YALDA).exit_code == 0
    clock.advance(60)  # past the API's 40-second window for identical requests

    again = invoke("--sandbox", "--yes", YALDA)

    assert again.exit_code == 0, again.output
    records = lockfile(in_repo).values()
    cancelled = [r for r in records if r["state"] == "cancelled"]
    sent = [r for r in records if r["state"] == "sent"]
    # The cancelled record keeps its ids under its own key: the new send did not overwrite it.
    assert [r["outbox_ids"] for r in cancelled] == [ids]
    assert len(sent) == 1 and sent[0]["outbox_ids"] != ids


def test_reconciliation_after_a_cancel_never_adopts_the_cancelled_outboxes(
    invoke: Invoke, in_repo: Path, clock: FakeClock
) -> None:
    cancelled = applied(invoke, in_repo)
    assert invoke("cancel", "--sandbox", YALDA).exit_code == 0
    clock.advance(60)
    SandboxApp(in_repo / ".ippanel-sandbox", clock=clock).faults.add("drop_after_commit", count=1)
    lost = invoke("--sandbox", "--yes", YALDA)
    assert lost.exit_code == 1  # the resend went out, but its answer was lost: unknown

    settled = invoke("--sandbox", "--yes", YALDA)

    assert settled.exit_code == 0, settled.output
    app = SandboxApp(in_repo / ".ippanel-sandbox", clock=clock)
    outboxes = sorted({m.outbox_id for m in app.store.committed_messages()})
    resent = [i for i in outboxes if i not in cancelled]
    assert len(resent) == 4  # looked up and adopted, not sent a third time
    (sent,) = (r for r in lockfile(in_repo).values() if r["state"] == "sent")
    assert sent["outbox_ids"] == resent


def test_dry_run_looks_up_but_cancels_nothing(
    invoke: Invoke, in_repo: Path, clock: FakeClock
) -> None:
    ids = applied(invoke, in_repo)
    before = (in_repo / LOCK).read_bytes()

    result = invoke("cancel", "--sandbox", "--dry-run", YALDA)

    assert result.exit_code == 0, result.output
    assert (
        "would be cancelled: it goes out at 1405-09-30 18:00 Tehran (2026-12-21), cancellable "
        "until 1405-09-30 17:55 Tehran (2026-12-21)"
    ) in result.stdout
    assert (
        "would cancel 1 batch(es), 4 recipient(s); nothing was changed; to cancel: "
        "ippanel-run cancel --sandbox campaigns/yalda-1405.yaml"
    ) in result.stdout
    assert states(in_repo, clock, ids) == [1, 1, 1, 1]
    assert (in_repo / LOCK).read_bytes() == before


def test_too_late_to_cancel_says_so_and_exits_1(
    invoke: Invoke, in_repo: Path, clock: FakeClock
) -> None:
    ids = applied(invoke, in_repo)
    before = (in_repo / LOCK).read_bytes()
    clock.current = SEND_TIME.replace(minute=26)  # 4 minutes before it goes out

    result = invoke("cancel", "--sandbox", YALDA)

    assert result.exit_code == 1
    assert "NOT CANCELLED: outbox" in result.stdout
    assert (
        "goes out at 1405-09-30 18:00 Tehran (2026-12-21); it could be cancelled only until "
        "1405-09-30 17:55 Tehran (2026-12-21), 5 minutes before"
    ) in result.stdout
    assert states(in_repo, clock, ids) == [1, 1, 1, 1]  # still waiting for its send time
    assert (in_repo / LOCK).read_bytes() == before


def test_a_campaign_sent_at_once_cannot_be_cancelled(invoke: Invoke, in_repo: Path) -> None:
    webservice = "examples/webservice/maintenance-notice.yaml"
    assert invoke("--sandbox", "--yes", webservice).exit_code == 0

    result = invoke("cancel", "--sandbox", webservice)

    assert result.exit_code == 1
    assert "NOT CANCELLED" in result.stdout and "has no send time" in result.stdout
    assert "cancelled 0 batch(es)" in result.stdout


def test_a_sent_outbox_is_reported_already_sent(
    invoke: Invoke, in_repo: Path, clock: FakeClock
) -> None:
    applied(invoke, in_repo)
    clock.current = SEND_TIME.replace(hour=15)  # half an hour after it went out

    result = invoke("cancel", "--sandbox", YALDA)

    assert result.exit_code == 1
    assert "was already sent" in result.stdout


def cli_with(transport: httpx.BaseTransport, clock: FakeClock, home: Path, *args: str) -> Result:
    """Run the CLI against ``transport`` with the sandbox's demo key."""
    env = {
        "HOME": str(home),
        "IPPANEL_CONFIG_DIR": str(home / ".config"),
        "IPPANEL_API_KEY": DEMO_API_KEY,
        "IPPANEL_BASE_URL": IN_PROCESS_BASE_URL,
    }
    app = AppContext(now=clock.now, sleep=clock.sleep, env=env, transport=transport)
    return CliRunner().invoke(cli, list(args), obj=app, catch_exceptions=False)


def losing_cancel_answers(app: SandboxApp, *, processed: bool) -> httpx.BaseTransport:
    """The sandbox, except that every cancel's answer is lost (after processing it or not)."""
    inner = in_process_transport(app)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/api/send/cancel"):
            if processed:
                inner.handle_request(request)
            raise httpx.ReadTimeout("timed out waiting for the response")
        return inner.handle_request(request)

    return httpx.MockTransport(handler)


BESIDE = "campaigns/yalda-1405.lock.json"  # the sandbox reached as an API: a real lockfile


def applied_through(app: SandboxApp, clock: FakeClock, home: Path) -> list[int]:
    """Apply the Yalda campaign with the sandbox as the API; its outbox ids."""
    result = cli_with(in_process_transport(app), clock, home, "--yes", YALDA)
    assert result.exit_code == 0, result.output
    (batch,) = lockfile(Path.cwd(), BESIDE).values()
    ids = batch["outbox_ids"]
    assert isinstance(ids, list)
    return [int(i) for i in ids]


def test_a_lost_cancel_answer_is_looked_up_and_confirmed(
    invoke: Invoke, in_repo: Path, clock: FakeClock, home: Path
) -> None:
    app = SandboxApp(in_repo / ".ippanel-sandbox", clock=clock)
    ids = applied_through(app, clock, home)

    result = cli_with(losing_cancel_answers(app, processed=True), clock, home, "cancel", YALDA)

    assert result.exit_code == 0, result.output
    assert states(in_repo, clock, ids) == [7, 7, 7, 7]
    (record,) = lockfile(in_repo, BESIDE).values()
    assert record["state"] == "cancelled"


def test_an_unconfirmed_cancel_is_unknown_and_never_recorded_as_cancelled(
    invoke: Invoke, in_repo: Path, clock: FakeClock, home: Path
) -> None:
    app = SandboxApp(in_repo / ".ippanel-sandbox", clock=clock)
    ids = applied_through(app, clock, home)

    lost = cli_with(losing_cancel_answers(app, processed=False), clock, home, "cancel", YALDA)

    assert lost.exit_code == 1
    assert "UNKNOWN: outbox" in lost.stdout and "it may still go out" in lost.stdout
    assert "run `ippanel-run cancel campaigns/yalda-1405.yaml` again" in lost.stdout
    (record,) = lockfile(in_repo, BESIDE).values()
    assert record["state"] == "sent"  # its recipients are never planned again while it may go out
    assert states(in_repo, clock, ids) == [1, 1, 1, 1]

    rerun = cli_with(in_process_transport(app), clock, home, "cancel", YALDA)
    assert rerun.exit_code == 0, rerun.output
    assert states(in_repo, clock, ids) == [7, 7, 7, 7]


def test_cancel_of_a_campaign_never_applied_is_a_usage_error(invoke: Invoke, in_repo: Path) -> None:
    result = invoke("cancel", "--sandbox", YALDA)
    assert result.exit_code == 2
    assert "nothing to cancel: yalda-1405.lock.json records no send" in result.stderr


def test_cancel_refuses_a_folder(invoke: Invoke, in_repo: Path) -> None:
    result = invoke("cancel", "--sandbox", "campaigns")
    assert result.exit_code == 2
    assert "campaigns is a folder: name the campaign files" in result.stderr


def test_cancel_help_has_examples(invoke: Invoke) -> None:
    result = invoke("cancel", "--help")
    assert "Examples:\n    ippanel-run cancel --dry-run campaigns/yalda-1405.yaml" in result.stdout


def test_an_api_without_the_cancel_endpoint_is_named_not_guessed(
    invoke: Invoke, in_repo: Path, clock: FakeClock
) -> None:
    ids = applied(invoke, in_repo)
    before = (in_repo / LOCK).read_bytes()
    SandboxApp(in_repo / ".ippanel-sandbox", clock=clock).set_api("original")

    result = invoke("cancel", "--sandbox", YALDA)

    assert result.exit_code == 1
    assert "NOT CANCELLED" in result.stdout
    assert "this API may have no cancel endpoint: it goes out unless you cancel it in the " in (
        result.stdout
    )
    assert (in_repo / LOCK).read_bytes() == before
    SandboxApp(in_repo / ".ippanel-sandbox", clock=clock).set_api("current")
    assert states(in_repo, clock, ids) == [1, 1, 1, 1]


def test_the_report_lists_a_cancelled_batch_without_counting_it(
    invoke: Invoke, in_repo: Path
) -> None:
    ids = applied(invoke, in_repo)
    assert invoke("cancel", "--sandbox", YALDA).exit_code == 0

    result = invoke("report", "--sandbox", "--format", "json", YALDA)

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    (batch,) = report["batches"]
    assert (batch["status"], batch["outbox_ids"], batch["outboxes"]) == ("cancelled", ids, [])
    assert batch["note"] == (
        "cancelled before its send time, so nothing went out; apply plans it again"
    )
    assert report["totals"]["recipients"] == 0
    assert not report["needs_attention"]
    schema = json.loads((in_repo / "schemas/report.schema.json").read_text(encoding="utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(report)) == []


def test_a_send_whose_answer_was_lost_is_looked_up_then_cancelled(
    invoke: Invoke, in_repo: Path, clock: FakeClock
) -> None:
    SandboxApp(in_repo / ".ippanel-sandbox", clock=clock).faults.add("drop_after_commit", count=1)
    assert invoke("--sandbox", "--yes", YALDA).exit_code == 1  # sent, but unknown to us
    (record,) = lockfile(in_repo).values()
    assert record["state"] == "unknown" and record["outbox_ids"] == []

    dry = invoke("cancel", "--sandbox", "--dry-run", YALDA)
    assert dry.exit_code == 1
    assert "may or may not have been sent (an apply was interrupted)" in dry.stdout

    result = invoke("cancel", "--sandbox", YALDA)

    assert result.exit_code == 0, result.output
    (record,) = lockfile(in_repo).values()
    assert record["state"] == "cancelled" and len(record["outbox_ids"]) == 4
    assert isinstance(record["outbox_ids"], list)
    assert states(in_repo, clock, record["outbox_ids"]) == [7, 7, 7, 7]


def test_a_campaign_being_fixed_can_still_be_cancelled(
    invoke: Invoke, in_repo: Path, clock: FakeClock
) -> None:
    ids = applied(invoke, in_repo)
    campaign = in_repo / YALDA
    campaign.write_text(campaign.read_text(encoding="utf-8") + "mesage: typo\n", encoding="utf-8")
    assert invoke("validate", YALDA).exit_code == 2

    result = invoke("cancel", "--sandbox", YALDA)

    assert result.exit_code == 0, result.output
    assert states(in_repo, clock, ids) == [7, 7, 7, 7]
    (record,) = lockfile(in_repo).values()
    assert record["state"] == "cancelled"
