"""POST /api/send in the sandbox: every sending type, its validation, and the 40 s rule."""

from __future__ import annotations

from typing import Any

import pytest

from runner.sandbox import SandboxApp
from runner.sandbox.testing import FakeClock, call, multipart

SENDER = "+983000505"


def webservice(recipients: list[str], message: str = "سلام", **extra: Any) -> dict[str, Any]:
    body = {
        "sending_type": "webservice",
        "from_number": SENDER,
        "message": message,
        "params": {"recipients": recipients},
    }
    body.update(extra)
    return body


def errors_of(response: Any) -> dict[str, list[str]]:
    assert response.status == 422, response.body
    payload = response.json()
    assert payload["meta"]["message_code"] == "400-2"
    return dict(payload["meta"]["errors"])


def test_webservice_send_returns_first_outbox_id_and_commits_every_recipient(
    app: SandboxApp,
) -> None:
    response = call(app, "POST", "/api/send", json=webservice(["+989120000000", "+989350000000"]))
    assert response.status == 200
    assert response.json() == {
        "data": {"message_outbox_ids": [1123544244]},
        "meta": {
            "status": True,
            "message": "انجام شد",
            "message_parameters": [],
            "message_code": "200-1",
        },
    }
    assert [(m.outbox_id, m.recipient, m.text) for m in app.store.committed_messages()] == [
        (1123544244, "+989120000000", "سلام"),
        (1123544244, "+989350000000", "سلام"),
    ]


def test_normal_is_accepted_like_webservice(app: SandboxApp) -> None:
    body = webservice(["+989120000000"]) | {"sending_type": "normal"}
    assert call(app, "POST", "/api/send", json=body).json()["data"] == {
        "message_outbox_ids": [1123544244]
    }


def test_peer_to_peer_returns_one_id_per_params_item(app: SandboxApp) -> None:
    body = {
        "sending_type": "peer_to_peer",
        "from_number": SENDER,
        "params": [
            {"recipients": ["+989120000000", "+989350000000"], "message": "پیام اول"},
            {"recipients": ["+989130000000"], "message": "پیام دوم"},
        ],
    }
    response = call(app, "POST", "/api/send", json=body)
    assert response.json()["data"]["message_outbox_ids"] == [1123544244, 1123544245]
    assert [(m.outbox_id, m.text) for m in app.store.committed_messages()] == [
        (1123544244, "پیام اول"),
        (1123544244, "پیام اول"),
        (1123544245, "پیام دوم"),
    ]


def test_peer_to_peer_item_errors_name_the_item(app: SandboxApp) -> None:
    body = {
        "sending_type": "peer_to_peer",
        "from_number": SENDER,
        "params": [{"recipients": ["+989120000000"], "message": ""}, {"recipients": ["0912"]}],
    }
    errors = errors_of(call(app, "POST", "/api/send", json=body))
    assert set(errors) == {"params.0.message", "params.1.message", "params.1.recipients.0"}


def file_send(app: SandboxApp, csv_text: str, filename: str = "rows.csv") -> Any:
    content_type, raw = multipart(
        {"sending_type": "peer_to_peer_file", "from_number": SENDER},
        [("files[]", filename, csv_text.encode("utf-8"))],
    )
    return call(app, "POST", "/api/send", body=raw, content_type=content_type)


def test_peer_to_peer_file_returns_one_id_per_row_and_reads_09_numbers(app: SandboxApp) -> None:
    response = file_send(app, "recipient,message\n09123456789,سلام علی\n+989350000000,Hi Sara\n")
    assert response.json()["data"]["message_outbox_ids"] == [1123544244, 1123544245]
    assert [(m.recipient, m.text) for m in app.store.committed_messages()] == [
        ("+989123456789", "سلام علی"),
        ("+989350000000", "Hi Sara"),
    ]


def test_peer_to_peer_file_without_a_file_is_the_documented_error(app: SandboxApp) -> None:
    content_type, raw = multipart({"sending_type": "peer_to_peer_file", "from_number": SENDER}, [])
    response = call(app, "POST", "/api/send", body=raw, content_type=content_type)
    assert response.json()["meta"]["message"] == "تکمیل گزینه فایل ها الزامی است"
    assert errors_of(response) == {"files": ["تکمیل گزینه فایل ها الزامی است"]}


def test_peer_to_peer_file_rejects_xlsx_and_bad_rows(app: SandboxApp) -> None:
    assert errors_of(file_send(app, "x", "rows.xlsx")) == {"files": ["فرمت فایل پشتیبانی نمی‌شود"]}
    errors = errors_of(file_send(app, "recipient,message\n0912,hi\n+989120000000,\n"))
    assert set(errors) == {"files.2", "files.3"}


def test_peer_to_peer_file_over_10000_rows_is_refused(app: SandboxApp) -> None:
    rows = "".join(f"+98912{i:07d},hi\n" for i in range(10_001))
    errors = errors_of(file_send(app, "recipient,message\n" + rows))
    assert "files" in errors
    assert app.store.committed_messages() == []


def postal(**item: Any) -> dict[str, Any]:
    target = {
        "bank": "all",
        "postal_code": 131,
        "gender": 0,
        "age_from": 1330,
        "age_to": 1402,
        "mci": {"start": 0, "size": 3},
        "irancell": {"start": 1, "size": 2},
        "other": {"start": 0, "size": 0},
    }
    target.update(item)
    return {
        "sending_type": "postal_code",
        "from_number": "+98BANK",
        "message": "متن پیام",
        "params": [target],
        "other_recipients": ["+989120000000"],
    }


def test_postal_code_targets_a_deterministic_bank_plus_other_recipients(
    app: SandboxApp, clock: FakeClock
) -> None:
    assert call(app, "POST", "/api/send", json=postal()).status == 200
    first = [m.recipient for m in app.store.committed_messages()]
    assert len(first) == 6 and first[-1] == "+989120000000"
    clock.advance(41)
    assert call(app, "POST", "/api/send", json=postal()).status == 200
    second = [m.recipient for m in app.store.committed_messages()][6:]
    assert second == first


def test_postal_code_invalid_code_is_the_documented_error(app: SandboxApp) -> None:
    response = call(app, "POST", "/api/send", json=postal(postal_code=1))
    assert errors_of(response) == {"postal_code": ["کد پستی نامعتبر است"]}


def test_postal_code_checks_bank_gender_years_and_slices(app: SandboxApp) -> None:
    body = postal(bank="black", gender=5, age_from=1200, mci="all")
    assert set(errors_of(call(app, "POST", "/api/send", json=body))) == {
        "params.0.bank",
        "params.0.gender",
        "params.0.age_from",
        "params.0.mci",
    }


def pattern(code: str = "nowruz1406ptrn", **changes: Any) -> dict[str, Any]:
    body = {
        "sending_type": "pattern",
        "from_number": SENDER,
        "code": code,
        "recipients": ["+989120000000"],
        "params": {"name": "علی", "code": "NZ-1406"},
    }
    body.update(changes)
    return body


def test_pattern_send_stores_the_filled_in_text(app: SandboxApp) -> None:
    assert call(app, "POST", "/api/send", json=pattern()).status == 200
    assert app.store.committed_messages()[0].text == "علی عزیز، نوروز مبارک! کد تخفیف شما: NZ-1406"


def test_pattern_unknown_code_is_404(app: SandboxApp) -> None:
    response = call(app, "POST", "/api/send", json=pattern("nosuchpattern"))
    assert response.status == 404
    assert response.json()["meta"]["message_code"] == "404-1"
    assert response.json()["meta"]["message"] == "الگو یافت نشد"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"params": {"name": "علی"}}, "params.code"),
        ({"params": {"name": "علی", "code": 1406}}, "params.code"),
        ({"recipients": ["+989120000000", "+989120000001"]}, "recipients"),
        ({"recipients": []}, "recipients"),
    ],
)
def test_pattern_variables_must_be_strings_and_one_recipient(
    app: SandboxApp, changes: dict[str, Any], field: str
) -> None:
    assert field in errors_of(call(app, "POST", "/api/send", json=pattern(**changes)))


def votp(message: str) -> dict[str, Any]:
    return {"sending_type": "votp", "message": message, "params": {"recipients": ["+989120000000"]}}


def test_votp_needs_no_sender_and_only_digits(app: SandboxApp) -> None:
    assert call(app, "POST", "/api/send", json=votp("45852")).status == 200
    assert "message" in errors_of(call(app, "POST", "/api/send", json=votp("12ab")))
    assert "message" in errors_of(call(app, "POST", "/api/send", json=votp("1" * 15)))


def test_unknown_sender_and_bad_recipients_are_field_errors(app: SandboxApp) -> None:
    body = webservice(["+98912000000", "+989120000000"], from_number="+98999")
    response = call(app, "POST", "/api/send", json=body)
    assert errors_of(response) == {
        "from_number": ["شماره فرستنده نامعتبر است"],
        "params.recipients.0": ["شماره گیرنده نامعتبر است: +98912000000"],
    }
    assert response.json()["meta"]["message"] == "شماره فرستنده نامعتبر است (و 1 خطای دیگر)"


def test_foreign_recipients_are_refused(app: SandboxApp) -> None:
    errors = errors_of(call(app, "POST", "/api/send", json=webservice(["+447911123456"])))
    assert errors == {"params.recipients.0": ["شماره گیرنده نامعتبر است: +447911123456"]}


def test_more_than_1000_webservice_recipients_is_refused(app: SandboxApp) -> None:
    recipients = [f"+98912{i:07d}" for i in range(1001)]
    assert "params.recipients" in errors_of(
        call(app, "POST", "/api/send", json=webservice(recipients))
    )


@pytest.mark.parametrize("message", ["a" * 1401, "س" * 1341])
def test_messages_over_1400_chars_or_20_parts_are_refused(app: SandboxApp, message: str) -> None:
    response = call(app, "POST", "/api/send", json=webservice(["+989120000000"], message))
    assert "message" in errors_of(response)


@pytest.mark.parametrize(
    ("send_time", "accepted"),
    [
        ("2025-03-20 08:05:00", True),
        ("2025-03-20 08:04:59", False),
        ("2025-06-20 08:00:00", True),
        ("2025-06-21 08:00:01", False),
        ("2025-03-20T09:00:00", False),
        ("20/03/2025 09:00", False),
    ],
)
def test_send_time_is_utc_at_least_5_minutes_and_at_most_3_months_ahead(
    app: SandboxApp, send_time: str, accepted: bool
) -> None:
    response = call(
        app, "POST", "/api/send", json=webservice(["+989120000000"], send_time=send_time)
    )
    if accepted:
        assert response.status == 200
    else:
        assert "send_time" in errors_of(response)


def test_unsupported_sending_type_is_a_field_error(app: SandboxApp) -> None:
    body = webservice(["+989120000000"]) | {"sending_type": "phonebook"}
    assert "sending_type" in errors_of(call(app, "POST", "/api/send", json=body))


def test_identical_request_within_40_seconds_is_429_and_sends_nothing(
    app: SandboxApp, clock: FakeClock
) -> None:
    body = webservice(["+989120000000"])
    assert call(app, "POST", "/api/send", json=body).status == 200
    clock.advance(39)
    duplicate = call(app, "POST", "/api/send", json=body)
    assert duplicate.status == 429
    assert duplicate.json()["meta"] == {
        "status": False,
        "message": "درخواست تکراری است",
        "message_parameters": [],
        "message_code": "429-1",
        "errors": {},
    }
    assert len(app.store.committed_messages()) == 1
    assert call(app, "POST", "/api/send", json=webservice(["+989120000001"])).status == 200
    clock.advance(1)
    assert call(app, "POST", "/api/send", json=body).status == 200
    assert len(app.store.committed_messages()) == 3


def test_missing_or_wrong_key_is_401(app: SandboxApp) -> None:
    for key in (None, "not-a-key"):
        response = call(app, "POST", "/api/send", json=webservice(["+989120000000"]), key=key)
        assert response.status == 401
        assert response.json()["meta"]["message"] == "اطلاعات وارد شده صحیح نمی باشد"
    assert app.store.committed_messages() == []
