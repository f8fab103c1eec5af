"""Field checks shared by the endpoints, producing the API's Persian validation errors.

``Errors`` collects ``field → [messages]`` (Laravel-style dotted field names such
as ``params.recipients.3``); ``raise_if_any`` turns them into a 422 ``400-2``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import phonenumbers

from runner.parts import MAX_CHARACTERS, MAX_PARTS, count_parts
from runner.sandbox.wire import invalid

IRAN_MOBILE = re.compile(r"\+989\d{9}")
E164 = re.compile(r"\+[1-9]\d{6,14}")
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
    """A valid recipient in E.164, or None. ``09…`` is read as an Iranian mobile."""
    if not isinstance(value, str):
        return None
    number = value.strip()
    if re.fullmatch(r"09\d{9}", number):
        number = "+98" + number[1:]
    if number.startswith("+98"):
        return number if IRAN_MOBILE.fullmatch(number) else None
    if not E164.fullmatch(number):
        return None
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(parsed) else None


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
        number = normalize_recipient(value)
        if number is None or number != value:
            errors.add(f"{field}.{index}", f"شماره گیرنده نامعتبر است: {value}")
        else:
            good.append(number)
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
