"""Field checks shared by the endpoints, producing the API's Persian validation errors.

``Errors`` collects ``field → [messages]`` (Laravel-style dotted field names such
as ``params.recipients.3``); ``raise_if_any`` turns them into a 422 ``400-2``.

Recipients are Iranian mobiles written exactly ``+989`` and nine digits (13
characters), the only numbers the API takes; uploaded files may also write them
``09`` and nine digits. Foreign numbers are refused.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from runner.parts import MAX_CHARACTERS, MAX_PARTS, count_parts
from runner.sandbox.wire import invalid

# [0-9], not \d: \d would also match Persian and Arabic-Indic digits.
IRAN_MOBILE = re.compile(r"\+989[0-9]{9}")
FILE_MOBILE = re.compile(r"(?:\+98|0)(9[0-9]{9})")
SEND_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MIN_LEAD = timedelta(minutes=5)
MAX_LEAD = timedelta(days=92)

LABELS = {
    "message": "پیام",
    "password": "گذرواژه",
    "username": "نام کاربری",
    "files": "فایل ها",
    "from_number": "شماره فرستنده",
    "recipients": "گیرندگان",
    "sending_type": "نوع ارسال",
    "params": "پارامترها",
    "code": "کد الگو",
    "number": "شماره",
    "bank": "بانک شماره",
    "gender": "جنسیت",
    "age_from": "سال تولد از",
    "age_to": "سال تولد تا",
    "mci": "همراه اول",
    "irancell": "ایرانسل",
    "other": "سایر اپراتورها",
}


def required_message(field: str) -> str:
    return f"تکمیل گزینه {LABELS.get(field, field)} الزامی است"


class Errors:
    """Validation errors in the order found."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(message)

    def required(self, field: str, key: str | None = None) -> None:
        self.add(key or field, required_message(field))

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise invalid(self.by_field)


def text_field(body: dict[str, Any], field: str, errors: Errors) -> str:
    """A required non-empty string field; records an error and returns "" when absent."""
    value = body.get(field)
    if value is None or value == "":
        errors.required(field)
        return ""
    if not isinstance(value, str):
        errors.add(field, f"مقدار {LABELS.get(field, field)} باید رشته باشد")
        return ""
    return value


def check_message(text: str, field: str, errors: Errors) -> None:
    """The 1400-character / 20-part limit."""
    if len(text) > MAX_CHARACTERS:
        errors.add(field, f"متن پیام نباید بیشتر از {MAX_CHARACTERS} کاراکتر باشد")
    elif count_parts(text).parts > MAX_PARTS:
        errors.add(field, f"متن پیام نباید بیشتر از {MAX_PARTS} بخش باشد")


def normalize_recipient(value: object) -> str | None:
    """An uploaded file's number (``+989…`` or ``09…``) as ``+989…``, or None if invalid."""
    if not isinstance(value, str):
        return None
    match = FILE_MOBILE.fullmatch(value.strip())
    return "+98" + match.group(1) if match else None


def check_recipients(
    values: object, field: str, errors: Errors, *, limit: int | None = None
) -> list[str]:
    """A required list of recipients; each bad one is reported as ``field.<index>``."""
    if not isinstance(values, list) or not values:
        errors.required("recipients", field)
        return []
    if limit is not None and len(values) > limit:
        errors.add(field, f"تعداد گیرندگان نباید بیشتر از {limit} باشد")
    good: list[str] = []
    for index, value in enumerate(values):
        if isinstance(value, str) and IRAN_MOBILE.fullmatch(value):
            good.append(value)
        else:
            errors.add(f"{field}.{index}", f"شماره گیرنده نامعتبر است: {value}")
    return good


def check_send_time(value: object, now: datetime, errors: Errors) -> float | None:
    """``send_time`` (UTC ``YYYY-MM-DD HH:MM:SS``) as unix seconds, or None if absent."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors.add("send_time", "فرمت زمان ارسال نامعتبر است")
        return None
    try:
        at = datetime.strptime(value, SEND_TIME_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        errors.add("send_time", "فرمت زمان ارسال نامعتبر است")
        return None
    if at < now + MIN_LEAD:
        errors.add("send_time", "زمان ارسال باید حداقل ۵ دقیقه بعد از زمان فعلی باشد")
    elif at > now + MAX_LEAD:
        errors.add("send_time", "زمان ارسال نباید بیشتر از ۳ ماه بعد از زمان فعلی باشد")
    return at.timestamp()


def check_sender(value: object, numbers: dict[str, int], errors: Errors) -> str:
    """``from_number`` must be one of the account's lines."""
    if value is None or value == "":
        errors.required("from_number")
        return ""
    if not isinstance(value, str) or value not in numbers:
        errors.add("from_number", "شماره فرستنده نامعتبر است")
        return ""
    return value


def as_int(value: object) -> int | None:
    """An int from an int or a digit string (JSON and form fields both reach here)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
