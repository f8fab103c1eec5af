"""The sandbox's ``file`` sending type: one text, a ``phone_number`` CSV, one outbox id."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from runner.sandbox import SandboxApp
from runner.sandbox import file_send as file_send_module
from runner.sandbox.testing import call

SENDER = "+983000505"


def file_send(
    app: SandboxApp,
    csv_text: str | None,
    *,
    others: list[str] | None = None,
    filename: str = "numbers.csv",
    **fields: str,
) -> Any:
    """POST a ``file`` send built by httpx, exactly as the client builds it."""
    form: dict[str, Any] = {"sending_type": "file", "from_number": SENDER, "message": "سلام"}
    form.update(fields)
    if others is not None:
        form["other_recipients[]"] = others
    files = [] if csv_text is None else [("files[]", (filename, csv_text.encode(), "text/csv"))]
    request = httpx.Request("POST", "http://sandbox/v1/api/send", data=form, files=files or None)
    content_type = request.headers["Content-Type"]
    if not files:  # httpx sends a form without files url-encoded: force multipart
        content_type, raw = _multipart_without_files(form)
        return call(app, "POST", "/api/send", body=raw, content_type=content_type)
    return call(app, "POST", "/api/send", body=request.read(), content_type=content_type)


def _multipart_without_files(form: dict[str, Any]) -> tuple[str, bytes]:
    empty = ("files[]", ("", b"", "text/plain"))
    request = httpx.Request("POST", "http://sandbox/", data=form, files=[empty])
    raw = request.read().replace(b'; filename=""', b"")
    return request.headers["Content-Type"], raw


def errors_of(response: Any) -> dict[str, list[str]]:
    assert response.status == 422, response.body
    assert response.json()["meta"]["message_code"] == "400-2"
    return dict(response.json()["meta"]["errors"])


def test_a_file_send_is_one_outbox_for_the_csv_and_the_other_recipients(app: SandboxApp) -> None:
    response = file_send(
        app, "phone_number\n09123456789\n+989350000000\n", others=["+989190000000"]
    )
    assert response.status == 200
    assert response.json()["data"] == {"message_outbox_ids": [1123544244]}
    assert [(m.outbox_id, m.recipient, m.text) for m in app.store.committed_messages()] == [
        (1123544244, "+989123456789", "سلام"),
        (1123544244, "+989350000000", "سلام"),
        (1123544244, "+989190000000", "سلام"),
    ]
    rows = call(app, "POST", "/api/report/new_list", json={}).json()["data"]
    assert [(r["type"], r["rcpts_count"], r["message"]) for r in rows] == [("file", "3", "سلام")]


def test_the_header_must_be_phone_number_alone(app: SandboxApp) -> None:
    assert errors_of(file_send(app, "phone\n09123456789\n")) == {
        "files": ["ستون phone_number در سطر اول فایل یافت نشد"]
    }
    assert errors_of(file_send(app, "phone_number,name\n09123456789,Ali\n")) == {
        "files": ["فایل باید فقط یک ستون (phone_number) داشته باشد"]
    }
    assert errors_of(file_send(app, "")) == {
        "files": ["ستون phone_number در سطر اول فایل یافت نشد"]
    }
    assert app.store.committed_messages() == []


def test_rows_with_a_second_column_or_a_bad_number_name_their_line(app: SandboxApp) -> None:
    errors = errors_of(file_send(app, "phone_number\n09123456789\n0912,x\n12345\n"))
    assert errors == {
        "files.3": ["ردیف 3: فایل باید فقط یک ستون (phone_number) داشته باشد"],
        "files.4": ["ردیف 4: شماره گیرنده نامعتبر است: 12345"],
    }


def test_a_million_bad_rows_give_a_bounded_answer(app: SandboxApp) -> None:
    errors = errors_of(file_send(app, "phone_number\n" + "12345\n" * 50))
    assert len(errors) == 11
    assert errors["files"] == ["50 ردیف نامعتبر"]


def test_over_a_million_recipients_in_all_is_refused(
    app: SandboxApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert file_send_module.FILE_MAX_RECIPIENTS == 1_000_000
    # The same check at a smaller scale: building a million-row upload takes seconds.
    monkeypatch.setattr(file_send_module, "FILE_MAX_RECIPIENTS", 3)
    rows = "".join(f"+98912{i:07d}\n" for i in range(3))
    errors = errors_of(file_send(app, "phone_number\n" + rows, others=["+989350000000"]))
    assert errors == {"files": ["تعداد گیرندگان نباید بیشتر از 3 باشد"]}
    assert app.store.committed_messages() == []
    assert file_send(app, "phone_number\n" + rows).status == 200


def test_other_recipients_must_be_e164_and_files_are_required(app: SandboxApp) -> None:
    errors = errors_of(file_send(app, "phone_number\n", others=["09120000000"]))
    assert errors == {"other_recipients.0": ["شماره گیرنده نامعتبر است: 09120000000"]}
    assert errors_of(file_send(app, None, others=["+989120000000"])) == {
        "files": ["تکمیل گزینه فایل ها الزامی است"]
    }
    assert errors_of(file_send(app, "phone_number\n")) == {
        "recipients": ["تکمیل گزینه گیرندگان الزامی است"]
    }


def test_xlsx_and_a_missing_message_are_refused(app: SandboxApp) -> None:
    errors = errors_of(file_send(app, "x", filename="numbers.xlsx", message=""))
    assert errors == {
        "message": ["تکمیل گزینه پیام الزامی است"],
        "files": ["فرمت فایل پشتیبانی نمی‌شود"],
    }


def test_a_json_file_send_without_an_upload_is_refused(app: SandboxApp) -> None:
    body = {"sending_type": "file", "from_number": SENDER, "message": "سلام"}
    assert errors_of(call(app, "POST", "/api/send", json=body)) == {
        "files": ["تکمیل گزینه فایل ها الزامی است"]
    }
