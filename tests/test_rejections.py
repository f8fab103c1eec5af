"""The API's validation errors, explained in English at the campaign key or recipient line.

Data-driven: every ``tests/data/rejections/*.yaml`` is applied against an API that
answers its ``POST /api/send`` with ``<case>.answer.json``; the explanations printed
must be exactly the lines of ``<case>.expected`` (``UPDATE_GOLDEN=1`` rewrites them).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from helpers import NOW, REPO

from runner.cli import AppContext, cli
from runner.errors import ApiValidationError
from runner.models import Campaign, Limits, Location
from runner.rejections import FIELDS, explain, in_english

DATA = REPO / "tests" / "data" / "rejections"
CASES = sorted(DATA.glob("*.yaml"))
EXPLAINED = ": the API refused "


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_a_refused_send_points_at_the_campaign_key_or_recipient_line(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    shutil.copytree(DATA, tmp_path / "rejections")
    monkeypatch.chdir(tmp_path / "rejections")
    answer = json.loads(case.with_suffix(".answer.json").read_text(encoding="utf-8"))
    sends: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/api/send"):
            sends.append(request)
            return httpx.Response(answer["status"], json=answer["body"])
        return httpx.Response(404)  # no credit or price quote: the send itself is refused

    env = {"IPPANEL_API_KEY": "test-key", "IPPANEL_CONFIG_DIR": str(home / "config")}
    app = AppContext(now=lambda: NOW, env=env, transport=httpx.MockTransport(api))
    result = CliRunner().invoke(cli, ["--yes", case.name], obj=app, catch_exceptions=False)
    explained = "".join(line + "\n" for line in result.stderr.splitlines() if EXPLAINED in line)
    expected = case.with_suffix(".expected")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected.write_text(explained, encoding="utf-8")
    assert result.exit_code == 1, result.output  # the API refused a batch: it did not send
    assert explained == expected.read_text(encoding="utf-8")
    assert len(sends) == 1 and "Traceback" not in result.output


def test_the_original_persian_text_is_always_shown_beside_the_english() -> None:
    campaign = Campaign(
        path=Path("c.yaml"),
        name="c",
        description="",
        type="webservice",
        sender="+983000505",
        vars={},
        message=None,
        pattern_code=None,
        pattern_params=(),
        recipients=(),
        exclude=(),
        schedule=None,
        targeting=(),
        batch_size=1000,
        limits=Limits(),
        where={"sender": Location("c.yaml", 4, 9)},
    )
    err = ApiValidationError(
        "x", status=422, code="400-2", errors={"from_number": ["شماره فرستنده نامعتبر است"]}
    )
    (violation,) = explain(err, campaign, {"from_number": "+983000505"})
    assert str(violation) == (
        "c.yaml:4:9: sender: the API refused the sender line (from_number): this line is not "
        "one of the account's sender numbers (the API's words, field from_number: "
        "«شماره فرستنده نامعتبر است»)"
    )


@pytest.mark.parametrize(
    ("api_field", "key"),
    [
        ("from_number", "sender"),
        ("number", "sender"),
        ("message", "message"),
        ("params.3.message", "message"),
        ("send_time", "schedule.at"),
        ("code", "pattern.code"),
        ("params.name", "pattern.params.{name}"),
        ("params.recipients.3", "recipients"),
        ("params.2.recipients.0", "recipients"),
        ("recipients.0", "recipients"),
        ("other_recipients.1", "recipients"),
        ("files.5", "recipients"),
        ("params.0.postal_code", "targeting.{n}"),
        ("postal_code", "targeting.{n}"),
        ("params.1.age_to", "targeting.{n}"),
        ("params.0.other", "targeting.{n}"),
        ("params.0.mci.size", "targeting.{n}"),
        ("params.0.gender", "targeting.{n}"),
        ("sending_type", "type"),
    ],
)
def test_one_table_maps_every_api_field_to_a_campaign_key(api_field: str, key: str) -> None:
    field = next(f for f in FIELDS if f.pattern.fullmatch(api_field))
    assert field.key == key


@pytest.mark.parametrize(
    ("persian", "english"),
    [
        ("شماره فرستنده نامعتبر است", "this line is not one of the account's sender numbers"),
        ("شماره گیرنده نامعتبر است: +447911123456", "the recipient number is not valid"),
        ("ردیف 4: شماره گیرنده نامعتبر است: 0912", "the recipient number is not valid"),
        ("تکمیل گزینه پیام الزامی است", "the message is required"),
        ("تکمیل گزینه code الزامی است", "code is required"),
        ("متن پیام نباید بیشتر از 20 بخش باشد", "the text is over 20 SMS parts"),
        ("تعداد گیرندگان نباید بیشتر از 1000 باشد", "more than 1000 recipients in one request"),
        ("تعداد کل گیرندگان نباید بیشتر از 1000000 باشد", "more than 1000000 recipients in all"),
        ("مقدار size باید عدد صحیح نامنفی باشد", "size must be a whole number, 0 or more"),
        ("سال تولد باید بین ۱۳۰۰ و ۱۴۱۰ باشد", "birth years must be between 1300 and 1410"),
        ("کد پستی نامعتبر است", "the postal code is not valid"),
        ("نوع ارسال پشتیبانی نمی‌شود", "this API does not support the sending type"),
        ("الگو غیرفعال است", "the pattern is inactive"),
        ("چیزی که هیچ‌کس نمی‌داند", ""),
    ],
)
def test_the_apis_persian_messages_have_an_english_reading(persian: str, english: str) -> None:
    assert in_english(persian) == english
