"""``type: file``: one text to up to a million numbers, uploaded as one CSV in one request.

The planner's exact body, the JSON plan (written chunk by chunk, yet the same text),
the client's multipart (repeated ``other_recipients[]``), apply against the sandbox
(one outbox, exactly once, reconciled after a dropped answer), and the plan's note
that suggests ``type: file`` for big webservice campaigns.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from pathlib import Path

import httpx
import pytest
from helpers import NOW, Invoke

from runner import uploads
from runner.api.client import IPPanelClient
from runner.batching import request_body
from runner.campaign import load_campaign
from runner.models import CampaignPlan
from runner.planner import build_plan
from runner.sandbox import SandboxApp

EXAMPLE = "examples/file/autumn-sale.yaml"


def campaign(tmp_path: Path, yaml: str, numbers: int = 0, **extra: str) -> Path:
    (tmp_path / "n.txt").write_text(
        "".join(f"0912{n:07d}\n" for n in range(numbers)), encoding="utf-8"
    )
    for name, content in extra.items():
        (tmp_path / name.replace("__", ".")).write_text(content, encoding="utf-8")
    path = tmp_path / "c.yaml"
    path.write_text(textwrap.dedent(yaml), encoding="utf-8")
    return path


def plan_of(path: Path) -> CampaignPlan:
    return build_plan(load_campaign(path), now=NOW)


FILE_CAMPAIGN = """
    version: 1
    name: big
    type: file
    sender: "+983000505"
    message: Hello all
    recipients: ["+989350000001", {file: n.txt}, "09350000002"]
    """


def test_file_uploads_file_numbers_as_csv_and_typed_ones_as_other_recipients(
    tmp_path: Path,
) -> None:
    path = campaign(tmp_path, FILE_CAMPAIGN + "schedule: {at: '2026-11-27 09:00'}\n", numbers=3)
    (batch,) = plan_of(path).batches
    assert batch.recipient_count == 5
    assert request_body(batch, file_name="big-0001.csv") == {
        "form": {
            "sending_type": "file",
            "from_number": "+983000505",
            "message": "Hello all",
            "other_recipients[]": ["+989350000001", "+989350000002"],
            "send_time": "2026-11-27 05:30:00",
        },
        "files": [
            {
                "name": "big-0001.csv",
                "content": "phone_number\n+989120000000\n+989120000001\n+989120000002\n",
            }
        ],
    }


def test_a_million_is_the_default_and_more_go_in_several_files(tmp_path: Path) -> None:
    path = campaign(tmp_path, FILE_CAMPAIGN, numbers=3)
    assert load_campaign(path).batch_size == 1_000_000
    small = campaign(tmp_path, FILE_CAMPAIGN + "batch_size: 2\n", numbers=3)
    bodies = [request_body(b) for b in plan_of(small).batches]
    # Typed numbers go with the request whose share of the audience holds them.
    assert [b["form"].get("other_recipients[]") for b in bodies] == [
        ["+989350000001"],
        None,
        ["+989350000002"],
    ]
    assert [b["files"][0]["content"].count("\n") - 1 for b in bodies] == [1, 2, 0]


def test_only_typed_numbers_still_upload_the_header(tmp_path: Path) -> None:
    path = campaign(tmp_path, FILE_CAMPAIGN.replace(", {file: n.txt}", ""))
    (batch,) = plan_of(path).batches
    body = request_body(batch)
    assert body["files"][0]["content"] == "phone_number\n"
    assert body["form"]["other_recipients[]"] == ["+989350000001", "+989350000002"]


def test_json_plan_streams_exactly_the_text_that_is_uploaded(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uploads, "CHUNK_ROWS", 7)  # many chunks from a small file
    monkeypatch.chdir(tmp_path)
    path = campaign(tmp_path, FILE_CAMPAIGN, numbers=40)
    (tmp_path / "p").mkdir()
    quoted = FILE_CAMPAIGN.replace("type: file", "type: peer_to_peer_file").replace(
        "Hello all", "'Hi \"{{ phone }}\", all'"
    )
    personal = campaign(tmp_path / "p", quoted, numbers=40)
    result = invoke("plan", "--format", "json", str(path), str(personal))
    assert result.exit_code == 0, result.output
    shown = [c["batches"][0]["request"] for c in json.loads(result.stdout)["campaigns"]]
    assert shown == [
        request_body(plan_of(path).batches[0], file_name="big-0001.csv"),
        request_body(plan_of(personal).batches[0], file_name="big-0001.csv"),
    ]
    assert shown[0]["files"][0]["content"].count("\n") == 41


def test_client_sends_other_recipients_as_repeated_form_fields() -> None:
    seen: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        data = {"data": {"message_outbox_ids": [7]}, "meta": {"status": True}}
        return httpx.Response(200, json=data)

    client = IPPanelClient("key", transport=httpx.MockTransport(api))
    form = {"sending_type": "file", "other_recipients[]": ["+989350000001", "+989350000002"]}
    assert client.send_multipart(form, [("a.csv", "phone_number\n+989120000000\n")]).outbox_ids == (
        7,
    )
    content = seen[0].content
    assert content.count(b'name="other_recipients[]"\r\n\r\n') == 2
    assert b'name="other_recipients[]"\r\n\r\n+989350000001\r\n' in content
    assert b'name="other_recipients[]"\r\n\r\n+989350000002\r\n' in content
    assert b'filename="a.csv"\r\nContent-Type: text/csv\r\n\r\nphone_number\n+98912' in content


def simulator(workdir: Path) -> SandboxApp:
    return SandboxApp(workdir / ".ippanel-sandbox", clock=lambda: NOW)


def test_the_example_applies_as_one_outbox_exactly_once(invoke: Invoke, workdir: Path) -> None:
    first = invoke("--sandbox", "--yes", EXAMPLE)
    assert first.exit_code == 0, first.output
    committed = simulator(workdir).store.committed_messages()
    assert len({m.outbox_id for m in committed}) == 1
    assert Counter(m.recipient for m in committed) == Counter(
        {phone: 1 for phone in {m.recipient for m in committed}}
    )
    assert len(committed) == 9 and "+989120000000" in {m.recipient for m in committed}
    lock_path = workdir / ".ippanel-sandbox/lockfiles/examples/file/autumn-sale.lock.json"
    (batch,) = json.loads(lock_path.read_text())["batches"].values()
    assert (batch["state"], batch["outbox_ids"]) == ("sent", [committed[0].outbox_id])
    assert batch["recipients"] == 9

    before = lock_path.read_bytes()
    again = invoke("--sandbox", "--yes", EXAMPLE)
    assert again.exit_code == 0, again.output
    assert lock_path.read_bytes() == before
    assert len(simulator(workdir).store.committed_messages()) == 9


def test_a_dropped_answer_is_reconciled_by_sender_text_and_recipients(
    invoke: Invoke, workdir: Path
) -> None:
    simulator(workdir).faults.add("drop_after_commit", count=1)
    dropped = invoke("--sandbox", "--yes", EXAMPLE)
    assert dropped.exit_code == 1
    rerun = invoke("--sandbox", "--yes", EXAMPLE)
    assert rerun.exit_code == 0, rerun.output
    committed = simulator(workdir).store.committed_messages()
    assert len(committed) == 9  # adopted, not sent again
    lock = json.loads(
        (workdir / ".ippanel-sandbox/lockfiles/examples/file/autumn-sale.lock.json").read_text()
    )
    (batch,) = lock["batches"].values()
    assert (batch["state"], batch["outbox_ids"]) == ("sent", [committed[0].outbox_id])


@pytest.mark.parametrize(
    ("kind", "count", "note"),
    [
        ("webservice", 1001, "1,001 recipients go out as 2 separate webservice requests"),
        ("normal", 2500, "2,500 recipients go out as 3 separate normal requests"),
        ("webservice", 1000, None),
        ("file", 2500, None),
    ],
)
def test_big_one_text_campaigns_get_a_note_suggesting_type_file(
    tmp_path: Path, kind: str, count: int, note: str | None
) -> None:
    yaml = FILE_CAMPAIGN.replace("type: file", f"type: {kind}").replace(
        '["+989350000001", {file: n.txt}, "09350000002"]', "[{file: n.txt}]"
    )
    plan = plan_of(campaign(tmp_path, yaml, numbers=count))
    if note is None:
        assert plan.notes == ()
        return
    (shown,) = plan.notes
    reviews = len(plan.batches)
    assert shown.startswith(note)
    assert f"({reviews} reviews: one can be approved while another is rejected" in shown
    assert "type: file sends up to 1,000,000 recipients as one upload" in shown
