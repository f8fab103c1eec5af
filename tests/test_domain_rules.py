"""Rules that cost senders money: postal_code audiences, the opt-out suffix, Iranian mobiles."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest
from helpers import NOW

from runner.batching import request_body
from runner.campaign import load_campaign
from runner.errors import InvalidCampaign
from runner.models import CampaignPlan
from runner.parts import OPT_OUT_SUFFIX, billed, count_parts
from runner.planner import build_plan
from runner.show import summary, write_text


def plan_of(tmp_path: Path, yaml: str) -> CampaignPlan:
    path = tmp_path / "c.yaml"
    path.write_text(textwrap.dedent(yaml), encoding="utf-8")
    return build_plan(load_campaign(path), now=NOW)


def problems(tmp_path: Path, yaml: str) -> list[str]:
    with pytest.raises(InvalidCampaign) as caught:
        plan_of(tmp_path, yaml)
    return [str(v).replace(str(tmp_path) + "/", "") for v in caught.value.violations]


POSTAL = """
    version: 1
    name: postal
    type: postal_code
    sender: "+98BANK"
    message: افتتاح شعبه
    targeting:
      - postal_code: 131
        operators: {irancell: {start: 10, size: 300}}
      - postal_code: 141
        birth_year: {from: 1360}
        operators: {mci: {size: 200}, other: {size: 5}}
    recipients: ["+989120000000", "+989350000000"]
    """


def test_postal_code_sends_every_operator_and_an_age_range_whatever_the_file_leaves_out(
    tmp_path: Path,
) -> None:
    (batch,) = plan_of(tmp_path, POSTAL).batches
    assert request_body(batch)["params"] == [
        {
            "bank": "all",
            "postal_code": 131,
            "gender": 0,
            "age_from": 1300,
            "age_to": 1410,
            "mci": {"start": 0, "size": 0},
            "irancell": {"start": 10, "size": 300},
            "other": {"start": 0, "size": 0},
        },
        {
            "bank": "all",
            "postal_code": 141,
            "gender": 0,
            "age_from": 1360,
            "age_to": 1410,
            "mci": {"start": 0, "size": 200},
            "irancell": {"start": 0, "size": 0},
            "other": {"start": 0, "size": 5},
        },
    ]


def test_postal_code_counts_the_operator_sizes_plus_the_recipients(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, POSTAL)
    (batch,) = plan.batches
    assert batch.recipient_count == 300 + 205 + 2
    facts = summary(plan)
    assert (facts["recipients"], facts["targeted"], facts["recipients_to_send"]) == (507, 505, 507)
    assert facts["total_parts"] == 507  # one part each, the لغو11 included


def test_the_plan_says_which_birth_years_and_operator_sizes_are_sent(tmp_path: Path) -> None:
    out = io.StringIO()
    write_text([plan_of(tmp_path, POSTAL)], out)
    text = out.getvalue()
    assert "  recipients  507 (505 from the bank by postal code + 2 listed; read 2:" in text
    assert (
        "  targeting   postal code 131: mci 0 + irancell 300 + other 0 = 300 numbers "
        "(born 1300–1410); postal code 141: mci 200 + irancell 0 + other 5 = 205 numbers "
        "(born 1360–1410)\n"
    ) in text
    assert (
        "Note: targeting[0] (postal code 131) sets no birth_year: the widest range the API "
        "accepts, 1300–1410, is sent"
    ) in text
    assert "Note: targeting[1] (postal code 141) sets one end of birth_year: 1360–1410 is sent" in (
        text
    )
    assert "Plan: 1 batch(es) to send to 507 recipient(s)" in text


def test_postal_code_over_a_million_recipients_is_refused(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        POSTAL.replace("{irancell: {start: 10, size: 300}}", "{irancell: {size: 999795}}"),
    )
    assert found == [
        "c.yaml:8:3: this postal_code send reaches 1,000,002 recipients (operator sizes "
        "1,000,000 + 2 recipients); the API takes at most 1,000,000 in one request: lower the "
        "operator sizes"
    ]


def test_a_targeting_entry_without_operator_sizes_is_refused(tmp_path: Path) -> None:
    found = problems(
        tmp_path, POSTAL.replace("operators: {irancell: {start: 10, size: 300}}", "gender: male")
    )
    assert found == [
        "c.yaml:8:5: targeting[0] (postal code 131) selects no numbers from the bank: give "
        "operators a size, e.g. operators: {mci: {size: 1000}}; an operator left out is sent as "
        "size 0 (the API itself would send to every number of the area)"
    ]


ENGLISH_150 = "x" * 150


@pytest.mark.parametrize(
    ("kind", "extra", "parts", "encoding"),
    [
        # 150 GSM-7 characters fit one part; the operator's Persian لغو11 makes them UCS-2.
        ("webservice", "", 3, "UCS-2"),
        ("normal", "", 3, "UCS-2"),
        ("peer_to_peer", "", 3, "UCS-2"),
        ("peer_to_peer_file", "", 3, "UCS-2"),
        ("votp", "", 1, "GSM-7"),  # transactional: nothing is appended
    ],
)
def test_promotional_types_count_the_opt_out_suffix_in_parts(
    tmp_path: Path, kind: str, extra: str, parts: int, encoding: str
) -> None:
    text = "12345678901234" if kind == "votp" else ENGLISH_150
    sender = "" if kind == "votp" else 'sender: "+983000505"\n'
    plan = plan_of(
        tmp_path,
        f"version: 1\nname: s\ntype: {kind}\n{sender}message: '{text}'\n"
        "recipients: ['09120000001', '09120000002']\n",
    )
    (sample, _) = plan.samples
    assert (sample.parts, sample.encoding) == (parts, encoding)
    assert sample.appended == ("" if kind == "votp" else "لغو11")
    assert (plan.max_parts, plan.total_parts) == (parts, 2 * parts)


def test_the_suffix_is_six_characters_on_a_line_of_its_own_and_never_sent() -> None:
    assert OPT_OUT_SUFFIX == "\nلغو11" and len(OPT_OUT_SUFFIX) == 6
    assert billed("سلام", promotional=False) == "سلام"
    assert count_parts(billed("س" * 64, promotional=True)).parts == 1  # 70 units exactly
    assert count_parts(billed("س" * 65, promotional=True)).parts == 2


def test_the_20_part_limit_counts_the_suffix(tmp_path: Path) -> None:
    # With the suffix every promotional text is UCS-2: 20 parts hold 20 × 67 = 1340 units.
    yaml = (
        "version: 1\nname: s\ntype: webservice\nsender: '+983000505'\n"
        "message: \"{{{{ 'x' * {n} }}}}\"\nrecipients: ['09120000001']\n"
    )
    assert plan_of(tmp_path, yaml.format(n=1334)).max_parts == 20
    assert problems(tmp_path, yaml.format(n=1335)) == [
        "c.yaml:5:10: message: the message takes 21 SMS parts (UCS-2); the API accepts at most "
        "20, counting the لغو11 the operator appends"
    ]


def test_the_request_body_never_carries_the_suffix(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        "version: 1\nname: s\ntype: webservice\nsender: '+983000505'\nmessage: Hi\n"
        "recipients: ['09120000001']\n",
    )
    assert request_body(plan.batches[0])["message"] == "Hi"


def test_the_plan_shows_the_suffix_under_each_sample(tmp_path: Path) -> None:
    out = io.StringIO()
    write_text(
        [
            plan_of(
                tmp_path,
                "version: 1\nname: s\ntype: webservice\nsender: '+983000505'\nmessage: Hi\n"
                "recipients: ['09120000001']\n",
            )
        ],
        out,
    )
    assert "      │ Hi\n      + لغو11 appended by the operator (counted in the parts)\n" in (
        out.getvalue()
    )
    assert "parts       up to 1 a message, 1 in all (with the operator's لغو11)" in out.getvalue()


@pytest.mark.parametrize(
    ("source", "files", "expected"),
    [
        ('["+447911123456"]', {}, "c.yaml:6:14: invalid phone number '+447911123456'"),
        ("[{file: c.csv}]", {"c.csv": "phone\n09120000001\n+1 202 555 0143\n"}, "c.csv:3:1: "),
        ("[{file: n.txt}]", {"n.txt": "09120000001\n00971501234567\n"}, "n.txt:2:1: "),
    ],
)
def test_a_foreign_number_is_an_error_naming_its_file_and_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    files: dict[str, str],
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    (found,) = problems(
        tmp_path,
        f"version: 1\nname: f\ntype: webservice\nsender: '+983000505'\nmessage: Hi\n"
        f"recipients: {source}\n",
    )
    assert found.startswith(expected)
    assert "a foreign number (+" in found
    assert found.endswith(
        "IPPanel sends only to Iranian mobiles (+989 and 9 digits, or 09… as people write it)"
    )
