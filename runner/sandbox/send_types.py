"""Body parsers for each sending type the sandbox supports, and the table of them.

A parser checks the fields of its type, records problems in ``Errors`` and returns
the bulks to create. ``postal_code`` is in ``postal``, ``pattern`` in ``patterns``,
``file`` in ``file_send``.
"""

from __future__ import annotations

import csv
import io

from runner.sandbox import seed
from runner.sandbox.file_send import parse_file, upload_text
from runner.sandbox.multipart import Body, UploadedFile
from runner.sandbox.patterns import parse_pattern
from runner.sandbox.postal import parse_postal_code
from runner.sandbox.send import (
    FILE_MAX_ROWS,
    WEBSERVICE_MAX_RECIPIENTS,
    NewBulk,
    Parser,
    SendContext,
    params_object,
    sender_of,
)
from runner.sandbox.validate import (
    Errors,
    check_message,
    check_recipients,
    normalize_recipient,
    text_field,
)


def parse_webservice(body: Body, ctx: SendContext, errors: Errors) -> list[NewBulk]:
    sender = sender_of(body, ctx, errors)
    text = text_field(body.fields, "message", errors)
    check_message(text, "message", errors)
    params = params_object(body, errors)
    recipients = check_recipients(
        params.get("recipients"), "params.recipients", errors, limit=WEBSERVICE_MAX_RECIPIENTS
    )
    return [NewBulk(str(body.fields["sending_type"]), sender, text, recipients)]


def parse_peer_to_peer(body: Body, ctx: SendContext, errors: Errors) -> list[NewBulk]:
    sender = sender_of(body, ctx, errors)
    params = body.fields.get("params")
    if not isinstance(params, list) or not params:
        errors.required("params")
        return []
    bulks: list[NewBulk] = []
    for index, item in enumerate(params):
        item = item if isinstance(item, dict) else {}
        text = item.get("message")
        if not isinstance(text, str) or not text:
            errors.required("message", f"params.{index}.message")
            text = ""
        check_message(text, f"params.{index}.message", errors)
        recipients = check_recipients(item.get("recipients"), f"params.{index}.recipients", errors)
        bulks.append(NewBulk("peer_to_peer", sender, text, recipients))
    return bulks


def parse_peer_to_peer_file(body: Body, ctx: SendContext, errors: Errors) -> list[NewBulk]:
    sender = sender_of(body, ctx, errors)
    uploads = [f for f in body.files if f.field == "files"]
    if not uploads:
        errors.required("files")
        return []
    rows: list[tuple[str, str]] = []
    for upload in uploads:
        rows.extend(_csv_rows(upload, errors))
    if len(rows) > FILE_MAX_ROWS:
        errors.add("files", f"تعداد ردیف‌های فایل نباید بیشتر از {FILE_MAX_ROWS} باشد")
    bulks: list[NewBulk] = []
    for line, (number, text) in enumerate(rows, start=2):
        recipient = normalize_recipient(number)
        if recipient is None:
            errors.add(f"files.{line}", f"ردیف {line}: شماره گیرنده نامعتبر است: {number}")
        if not text:
            errors.add(f"files.{line}", f"ردیف {line}: تکمیل گزینه پیام الزامی است")
        check_message(text, f"files.{line}", errors)
        bulks.append(NewBulk("peer_to_peer_file", sender, text, [recipient or number]))
    return bulks


def _csv_rows(upload: UploadedFile, errors: Errors) -> list[tuple[str, str]]:
    """Rows of a ``recipient,message`` CSV (header row optional); XLSX is not supported."""
    text = upload_text(upload, errors)
    if text is None:
        return []
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if rows and rows[0] and rows[0][0].strip().lower() == "recipient":
        rows = rows[1:]
    return [(row[0].strip(), row[1] if len(row) > 1 else "") for row in rows]


def parse_votp(body: Body, ctx: SendContext, errors: Errors) -> list[NewBulk]:
    text = text_field(body.fields, "message", errors)
    if text and not (text.isascii() and text.isdigit() and len(text) < 15):
        errors.add("message", "کد باید فقط شامل ارقام و کمتر از ۱۵ رقم باشد")
    params = params_object(body, errors)
    recipients = check_recipients(params.get("recipients"), "params.recipients", errors)
    if len(recipients) > 1:
        errors.add("params.recipients", "فقط یک گیرنده مجاز است")
    summary = f"ارسال کد فعالسازی صوتی : {text}"
    return [NewBulk("votp", seed.VOTP_NUMBER, text, recipients, summary)]


PARSERS: dict[str, Parser] = {
    "normal": parse_webservice,
    "webservice": parse_webservice,
    "file": parse_file,
    "peer_to_peer": parse_peer_to_peer,
    "peer_to_peer_file": parse_peer_to_peer_file,
    "postal_code": parse_postal_code,
    "pattern": parse_pattern,
    "votp": parse_votp,
}
