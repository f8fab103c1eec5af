"""The planner: campaign files in, exact API request bodies out."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from helpers import NOW

from runner.batching import request_body
from runner.campaign import load_campaign
from runner.errors import InvalidCampaign
from runner.models import CampaignPlan
from runner.planner import build_plan


def plan_of(tmp_path: Path, yaml: str, **files: str) -> CampaignPlan:
    for name, content in files.items():
        (tmp_path / name.replace("__", ".")).write_text(content, encoding="utf-8")
    path = tmp_path / "c.yaml"
    path.write_text(textwrap.dedent(yaml), encoding="utf-8")
    return build_plan(load_campaign(path), now=NOW)


def problems(tmp_path: Path, yaml: str, **files: str) -> list[str]:
    with pytest.raises(InvalidCampaign) as caught:
        plan_of(tmp_path, yaml, **files)
    return [str(v).replace(str(tmp_path) + "/", "") for v in caught.value.violations]


def numbers(count: int, start: int = 0) -> str:
    return "\n".join(f"0912{n:07d}" for n in range(start, start + count)) + "\n"


def test_webservice_is_chunked_at_batch_size(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        """
        version: 1
        name: chunks
        type: webservice
        sender: "+983000505"
        message: Hello
        batch_size: 2
        recipients: [{file: n.txt}]
        """,
        n__txt=numbers(5),
    )
    bodies = [request_body(b) for b in plan.batches]
    assert bodies[0] == {
        "sending_type": "webservice",
        "from_number": "+983000505",
        "message": "Hello",
        "params": {"recipients": ["+989120000000", "+989120000001"]},
    }
    assert [len(b["params"]["recipients"]) for b in bodies] == [2, 2, 1]


def test_peer_to_peer_groups_identical_texts_into_one_item(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        """
        version: 1
        name: p2p
        type: peer_to_peer
        sender: "+983000505"
        message: "سلام {{ city }}"
        recipients: [{file: c.csv}]
        """,
        c__csv="phone,city\n09120000001,تهران\n09120000002,شیراز\n09120000003,تهران\n",
    )
    (batch,) = plan.batches
    assert request_body(batch) == {
        "sending_type": "peer_to_peer",
        "from_number": "+983000505",
        "params": [
            {"recipients": ["+989120000001", "+989120000003"], "message": "سلام تهران"},
            {"recipients": ["+989120000002"], "message": "سلام شیراز"},
        ],
    }


def test_peer_to_peer_splits_a_big_group_across_requests(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        """
        version: 1
        name: p2p
        type: peer_to_peer
        sender: "+983000505"
        message: "Hi {{ phone }}"
        batch_size: 2
        recipients: [{file: n.txt}]
        """,
        n__txt=numbers(3),
    )
    assert [b.recipient_count for b in plan.batches] == [2, 1]
    assert request_body(plan.batches[1])["params"] == [
        {"recipients": ["+989120000002"], "message": "Hi +989120000002"}
    ]


def test_peer_to_peer_file_uploads_recipient_message_csv(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        """
        version: 1
        name: files
        type: peer_to_peer_file
        sender: "+983000505"
        message: "Hi {{ name }}, see you"
        recipients: [{file: c.csv}]
        """,
        c__csv='phone,name\n09120000001,Sam\n09120000002,"Ann, Jr"\n',
    )
    (batch,) = plan.batches
    assert request_body(batch, file_name="files-0001.csv") == {
        "form": {"sending_type": "peer_to_peer_file", "from_number": "+983000505"},
        "files": [
            {
                "name": "files-0001.csv",
                "content": "recipient,message\n"
                '+989120000001,"Hi Sam, see you"\n'
                '+989120000002,"Hi Ann, Jr, see you"\n',
            }
        ],
    }


def test_pattern_sends_one_request_per_recipient_with_string_params(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        """
        version: 1
        name: pat
        type: pattern
        sender: "+983000505"
        vars: {code: 00077}
        pattern:
          code: nowruz1406ptrn
          params: {name: "{{ name }}", code: "{{ code }}"}
        recipients: [{file: c.csv}]
        """,
        c__csv="phone,name\n09120000001,مریم\n09120000002,رضا\n",
    )
    assert [request_body(b) for b in plan.batches] == [
        {
            "sending_type": "pattern",
            "from_number": "+983000505",
            "code": "nowruz1406ptrn",
            "recipients": ["+989120000001"],
            "params": {"name": "مریم", "code": "00077"},
        },
        {
            "sending_type": "pattern",
            "from_number": "+983000505",
            "code": "nowruz1406ptrn",
            "recipients": ["+989120000002"],
            "params": {"name": "رضا", "code": "00077"},
        },
    ]


def test_votp_has_no_sender_and_one_request_per_recipient(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        """
        version: 1
        name: voice
        type: votp
        message: "{{ code }}"
        recipients: [{file: c.csv}]
        """,
        c__csv="phone,code\n09120000001,45852\n09120000002,45852\n",
    )
    assert [request_body(b) for b in plan.batches] == [
        {"sending_type": "votp", "message": "45852", "params": {"recipients": ["+989120000001"]}},
        {"sending_type": "votp", "message": "45852", "params": {"recipients": ["+989120000002"]}},
    ]


def test_votp_code_must_be_digits(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        name: voice
        type: votp
        message: "code {{ code }}"
        recipients: [{file: c.csv}]
        """,
        c__csv="phone,code\n09120000001,45852\n",
    )
    assert found == [
        "c.yaml:5:10: message: votp needs digits only, fewer than 15; "
        "got 'code 45852' for recipient +989120000001"
    ]


def test_postal_code_maps_targeting_and_recipients(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        """
        version: 1
        name: postal
        type: postal_code
        sender: "+98BANK"
        message: متن پیام
        targeting:
          - postal_code: 131
            gender: female
            birth_year: {from: 1330, to: 1402}
            operators: {mci: {start: 0, size: 1}, irancell: {size: 0}}
        recipients: ["+989120000000"]
        schedule: {at: "2026-11-27 10:52:02", timezone: UTC}
        """,
    )
    (batch,) = plan.batches
    assert request_body(batch) == {
        "sending_type": "postal_code",
        "from_number": "+98BANK",
        "message": "متن پیام",
        "params": [
            {
                "bank": "all",
                "postal_code": 131,
                "gender": 2,
                "age_from": 1330,
                "age_to": 1402,
                "mci": {"start": 0, "size": 1},
                "irancell": {"start": 0, "size": 0},
                "other": {"start": 0, "size": 0},
            }
        ],
        "other_recipients": ["+989120000000"],
        "send_time": "2026-11-27 10:52:02",
    }
    assert batch.recipient_count == 2  # one number from the bank, one listed


def test_webservice_template_using_a_csv_field_suggests_peer_to_peer(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        name: wrong-type
        type: webservice
        sender: "+983000505"
        vars: {discount: 10}
        message: |
          {{ discount }}% off
          for {{ name }}
        recipients: [{file: c.csv}]
        """,
        c__csv="phone,name\n09120000001,Sam\n",
    )
    assert found == [
        "c.yaml:9:1: message: 'name' is not in vars: type webservice sends one text to "
        "everyone, so its template may use vars only; for per-recipient fields (CSV columns, "
        "phone) use type peer_to_peer"
    ]


def test_undefined_field_names_file_line_and_recipient(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        name: typo
        type: peer_to_peer
        sender: "+983000505"
        message: |
          Hello
          {{ nmae }}
        recipients: [{file: c.csv}]
        """,
        c__csv="phone,name\n09120000001,Sam\n",
    )
    assert found == [
        "c.yaml:8:1: message: 'nmae' is undefined (did you mean 'name'?) for recipient "
        "+989120000001 (c.csv:2) (template line 2); available: name, phone"
    ]


def test_template_reaching_python_internals_is_refused(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        name: evil
        type: webservice
        sender: "+983000505"
        message: "{{ ''.__class__.__mro__ }}"
        recipients: ["09120000001"]
        """,
    )
    assert len(found) == 2 and all("not allowed in templates" in f for f in found)
    assert found[0].startswith("c.yaml:6:10: message: '__mro__' is not allowed")


def test_too_long_message_is_an_error(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        name: long
        type: webservice
        sender: "+983000505"
        vars: {x: "سلام "}
        message: "{{ x * 300 }}"
        recipients: ["09120000001"]
        """,
    )
    assert found == [
        "c.yaml:7:10: message: the message is 1505 characters long; the API accepts at most "
        "1400, counting the لغو11 the operator appends"
    ]


def test_batch_keys_are_deterministic_and_follow_the_content(tmp_path: Path) -> None:
    yaml = """
        version: 1
        name: keys
        type: webservice
        sender: "+983000505"
        message: {text}
        recipients: ["09120000001"]
        """
    first = plan_of(tmp_path, yaml.format(text="Hello")).batches[0].key
    again = plan_of(tmp_path, yaml.format(text="Hello")).batches[0].key
    changed = plan_of(tmp_path, yaml.format(text="Hello!")).batches[0].key
    assert first == again != changed
    assert len(first) == 16


def test_recipients_already_sent_are_left_out_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        'version: 1\nname: inc\ntype: webservice\nsender: "+983000505"\nmessage: Hi\n'
        'recipients: ["09120000001", "09120000002"]\n',
        encoding="utf-8",
    )
    plan = build_plan(load_campaign(path), now=NOW, covered=lambda p: p == "+989120000001")
    assert plan.skipped_recipients == 1
    assert request_body(plan.batches[0])["params"] == {"recipients": ["+989120000002"]}


def test_batch_size_over_the_api_ceiling_is_an_error(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        name: big
        type: webservice
        sender: "+983000505"
        message: Hi
        batch_size: 5000
        recipients: ["09120000001"]
        """,
    )
    assert found == [
        "c.yaml:7:13: batch_size 5000 is over the API's ceiling of 1000 recipients a request "
        "for type webservice; type file sends up to 1,000,000 numbers in one request"
    ]
