"""What the API refuses: anything but Iranian mobiles, and incomplete postal_code targeting."""

from __future__ import annotations

from typing import Any

import pytest

from runner.sandbox import SandboxApp
from runner.sandbox.testing import call, multipart

SENDER = "+983000505"
FOREIGN = "+447911123456"


def errors_of(response: Any) -> dict[str, list[str]]:
    assert response.status == 422, response.body
    assert response.json()["meta"]["message_code"] == "400-2"
    return dict(response.json()["meta"]["errors"])


# Each JSON sending type with one recipient, and where the API reports a bad one.
BODIES: dict[str, tuple[Any, str]] = {
    "normal": (
        lambda n: (
            {"sending_type": "normal", "from_number": SENDER, "message": "x"}
            | {"params": {"recipients": [n]}}
        ),
        "params.recipients.0",
    ),
    "webservice": (
        lambda n: (
            {"sending_type": "webservice", "from_number": SENDER, "message": "x"}
            | {"params": {"recipients": [n]}}
        ),
        "params.recipients.0",
    ),
    "peer_to_peer": (
        lambda n: (
            {"sending_type": "peer_to_peer", "from_number": SENDER}
            | {"params": [{"message": "x", "recipients": [n]}]}
        ),
        "params.0.recipients.0",
    ),
    "pattern": (
        lambda n: (
            {"sending_type": "pattern", "from_number": SENDER, "code": "otp0077login"}
            | {"recipients": [n], "params": {"code": "1234"}}
        ),
        "recipients.0",
    ),
    "votp": (
        lambda n: {"sending_type": "votp", "message": "1234", "params": {"recipients": [n]}},
        "params.recipients.0",
    ),
}
NOT_ACCEPTED = [FOREIGN, "09120000000", "989120000000", "+98912000000", "+9891200000000"]


@pytest.mark.parametrize("sending_type", sorted(BODIES))
@pytest.mark.parametrize("number", [*NOT_ACCEPTED, "+98۹۱۲۰۰۰۰۰۰۰"])
def test_json_types_take_only_plus_989_and_nine_digits(
    app: SandboxApp, sending_type: str, number: str
) -> None:
    make, field = BODIES[sending_type]
    errors = errors_of(call(app, "POST", "/api/send", json=make(number)))
    assert errors == {field: [f"شماره گیرنده نامعتبر است: {number}"]}
    assert call(app, "POST", "/api/send", json=make("+989120000000")).status == 200


def test_peer_to_peer_file_refuses_foreign_numbers_and_reads_09(app: SandboxApp) -> None:
    content_type, raw = multipart(
        {"sending_type": "peer_to_peer_file", "from_number": SENDER},
        [("files[]", "rows.csv", f"recipient,message\n09120000000,a\n{FOREIGN},b\n".encode())],
    )
    errors = errors_of(call(app, "POST", "/api/send", body=raw, content_type=content_type))
    assert errors == {"files.3": [f"ردیف 3: شماره گیرنده نامعتبر است: {FOREIGN}"]}


def target(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "bank": "all",
        "postal_code": 131,
        "gender": 0,
        "age_from": 1330,
        "age_to": 1402,
        "mci": {"start": 0, "size": 3},
        "irancell": {"start": 0, "size": 2},
        "other": {"start": 0, "size": 0},
    }
    item.update(changes)
    return {key: value for key, value in item.items() if value is not None}


def postal(*items: dict[str, Any], others: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sending_type": "postal_code",
        "from_number": "+98BANK",
        "message": "متن پیام",
        "params": list(items),
    }
    if others is not None:
        body["other_recipients"] = others
    return body


def test_complete_targeting_is_accepted(app: SandboxApp) -> None:
    response = call(app, "POST", "/api/send", json=postal(target(), others=["+989120000000"]))
    assert response.status == 200
    assert len(app.store.committed_messages()) == 6


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("mci", "تکمیل گزینه همراه اول الزامی است"),
        ("irancell", "تکمیل گزینه ایرانسل الزامی است"),
        ("other", "تکمیل گزینه سایر اپراتورها الزامی است"),
        ("age_from", "تکمیل گزینه سال تولد از الزامی است"),
        ("age_to", "تکمیل گزینه سال تولد تا الزامی است"),
        ("gender", "تکمیل گزینه جنسیت الزامی است"),
        ("bank", "تکمیل گزینه بانک شماره الزامی است"),
    ],
)
def test_every_targeting_field_is_required(app: SandboxApp, missing: str, message: str) -> None:
    body = postal(target(), target(**{missing: None}))
    assert errors_of(call(app, "POST", "/api/send", json=body)) == {
        f"params.1.{missing}": [message]
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mci": {"start": 0}}, "params.0.mci.size"),
        ({"irancell": {"start": -1, "size": 2}}, "params.0.irancell.start"),
        ({"other": {"start": 0, "size": 1.5}}, "params.0.other.size"),
        ({"other": [0, 1]}, "params.0.other"),
        ({"age_from": 1299}, "params.0.age_from"),
        ({"age_to": 1411}, "params.0.age_to"),
        ({"age_from": 1400, "age_to": 1390}, "params.0.age_to"),
        ({"gender": 3}, "params.0.gender"),
        ({"bank": "black"}, "params.0.bank"),
        ({"postal_code": 123456}, "postal_code"),
    ],
)
def test_targeting_values_are_checked(app: SandboxApp, changes: dict[str, Any], field: str) -> None:
    errors = errors_of(call(app, "POST", "/api/send", json=postal(target(**changes))))
    assert list(errors) == [field]


def test_at_most_a_million_recipients_counting_sizes_and_other_recipients(
    app: SandboxApp,
) -> None:
    half = {"start": 0, "size": 500_000}
    full = target(mci=half, irancell=half, other={"start": 0, "size": 0})
    assert call(app, "POST", "/api/send", json=postal(full)).status == 200
    body = postal(full, others=["+989120000000"])
    assert errors_of(call(app, "POST", "/api/send", json=body)) == {
        "params": ["تعداد کل گیرندگان نباید بیشتر از 1000000 باشد"]
    }


def test_sizes_beyond_1000_select_the_whole_bank(app: SandboxApp) -> None:
    body = postal(target(mci={"start": 0, "size": 5000}, irancell={"start": 0, "size": 0}))
    outbox_id = call(app, "POST", "/api/send", json=body).json()["data"]["message_outbox_ids"][0]
    row = call(app, "GET", "/api/report/by_bulk", query={"messages_outbox_id": str(outbox_id)})
    assert 200 <= int(row.json()["data"]["rcpts_count"]) < 1000  # a bank has 200-999 numbers
