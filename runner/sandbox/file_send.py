"""The ``file`` sending type: one text to up to a million numbers uploaded as a CSV.

Multipart only: ``sending_type``, ``from_number``, ``message``, ``files[]`` (CSV
whose single column is ``phone_number``, header row required; numbers as
``+98…`` or ``09…``), optional ``other_recipients[]`` and ``send_time``. At most
``FILE_MAX_RECIPIENTS`` numbers in all, uploads and ``other_recipients`` together
(the vendor's Persian docs). One outbox id for the whole request. As strict as
the API: a missing or different header, a second column, a bad number or one
recipient too many is a 422 ``400-2`` and nothing is stored. XLSX uploads, which
the API also takes, are refused here as an unsupported format.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from runner.sandbox.multipart import Body, UploadedFile
from runner.sandbox.send import NewBulk, SendContext, sender_of
from runner.sandbox.validate import Errors, check_message, normalize_recipient, text_field

FILE_MAX_RECIPIENTS = 1_000_000
HEADER = "phone_number"
UNSUPPORTED_FILE = "فرمت فایل پشتیبانی نمی‌شود"
NO_HEADER = f"ستون {HEADER} در سطر اول فایل یافت نشد"
ONE_COLUMN = f"فایل باید فقط یک ستون ({HEADER}) داشته باشد"
# A million bad rows must not become a million-entry error answer.
MAX_ROW_ERRORS = 10


def parse_file(body: Body, ctx: SendContext, errors: Errors) -> list[NewBulk]:
    sender = sender_of(body, ctx, errors)
    text = text_field(body.fields, "message", errors)
    check_message(text, "message", errors)
    uploads = [f for f in body.files if f.field == "files"]
    if not uploads:
        errors.required("files")
        return []
    recipients: list[str] = []
    for upload in uploads:
        recipients.extend(_numbers(upload, errors))
    recipients.extend(_other_recipients(body.fields.get("other_recipients"), errors))
    if not recipients and not errors:
        errors.required("recipients")
    if len(recipients) > FILE_MAX_RECIPIENTS:
        errors.add("files", f"تعداد گیرندگان نباید بیشتر از {FILE_MAX_RECIPIENTS} باشد")
    return [NewBulk("file", sender, text, recipients)]


def upload_text(upload: UploadedFile, errors: Errors) -> str | None:
    """An uploaded CSV's text, or None with the error recorded; XLSX is not supported."""
    if not upload.filename.lower().endswith((".csv", ".txt")):
        errors.add("files", UNSUPPORTED_FILE)
        return None
    try:
        return upload.content.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.add("files", UNSUPPORTED_FILE)
        return None


def _numbers(upload: UploadedFile, errors: Errors) -> list[str]:
    """The numbers of one ``phone_number`` CSV, or ``[]`` with errors recorded."""
    text = upload_text(upload, errors)
    if text is None:
        return []
    rows = _rows(text)
    first = next(rows, None)
    if first is None or [cell.strip().lower() for cell in first[1]] != [HEADER]:
        errors.add("files", NO_HEADER if first is None or len(first[1]) == 1 else ONE_COLUMN)
        return []
    found: list[str] = []
    bad = 0
    for line, cells in rows:
        number = normalize_recipient(cells[0]) if len(cells) == 1 else None
        if number is not None:
            found.append(number)
            continue
        bad += 1
        if bad <= MAX_ROW_ERRORS:
            reason = ONE_COLUMN if len(cells) > 1 else f"شماره گیرنده نامعتبر است: {cells[0]}"
            errors.add(f"files.{line}", f"ردیف {line}: {reason}")
    if bad > MAX_ROW_ERRORS:
        errors.add("files", f"{bad} ردیف نامعتبر")
    return found


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of each row with any content; trailing empty cells are dropped."""
    reader = csv.reader(io.StringIO(text))
    for cells in reader:
        while cells and not cells[-1].strip():
            cells.pop()
        if cells:
            yield reader.line_num, cells


def _other_recipients(values: object, errors: Errors) -> list[str]:
    """``other_recipients[]``: optional; each must already be written in E.164."""
    if values is None:
        return []
    if not isinstance(values, list):
        errors.add("other_recipients", "گیرندگان دیگر باید آرایه باشند")
        return []
    good: list[str] = []
    for index, value in enumerate(values):
        number = normalize_recipient(value)
        if number is None or number != value:
            errors.add(f"other_recipients.{index}", f"شماره گیرنده نامعتبر است: {value}")
        else:
            good.append(number)
    return good
