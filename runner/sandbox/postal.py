"""``postal_code`` sends: targeting validation and a small, deterministic number bank.

The bank for a (postal code, operator) pair is 200–999 numbers derived from a hash,
so the same targeting always selects the same recipients. ``start``/``size`` slice
it (size capped at ``MAX_SLICE``); an operator object left out selects that
operator's whole bank, as the Persian docs say. Gender, birth years and
``bank: white`` are checked but do not narrow the simulated bank.
"""

from __future__ import annotations

import hashlib
from typing import Any

from runner.sandbox.multipart import Body
from runner.sandbox.send import NewBulk, SendContext, sender_of
from runner.sandbox.validate import Errors, as_int, check_message, check_recipients, text_field

INVALID_POSTAL_CODE = "کد پستی نامعتبر است"
MAX_SLICE = 1000
OPERATOR_PREFIXES: dict[str, tuple[int, ...]] = {
    "mci": (912, 919, 990, 913, 917),
    "irancell": (935, 936, 901, 939, 903),
    "other": (920, 921, 922),
}


def _hash_int(*parts: object) -> int:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def bank_size(postal_code: int, operator: str) -> int:
    return 200 + _hash_int("size", postal_code, operator) % 800


def bank_numbers(postal_code: int, operator: str, start: int, size: int) -> list[str]:
    """Numbers ``start`` .. ``start + size`` of an operator's bank for a postal code."""
    stop = min(bank_size(postal_code, operator), start + min(size, MAX_SLICE))
    prefixes = OPERATOR_PREFIXES[operator]
    numbers = []
    for index in range(start, stop):
        value = _hash_int("number", postal_code, operator, index)
        prefix = prefixes[value % len(prefixes)]
        numbers.append(f"+98{prefix}{(value // 7) % 10_000_000:07d}")
    return numbers


def parse_postal_code(body: Body, ctx: SendContext, errors: Errors) -> list[NewBulk]:
    sender = sender_of(body, ctx, errors)
    text = text_field(body.fields, "message", errors)
    check_message(text, "message", errors)
    params = body.fields.get("params")
    if not isinstance(params, list) or not params:
        errors.required("params")
        params = []
    recipients: list[str] = []
    for index, item in enumerate(params):
        recipients.extend(_targeted(item if isinstance(item, dict) else {}, index, errors))
    others = body.fields.get("other_recipients")
    if others:
        recipients.extend(check_recipients(others, "other_recipients", errors))
    unique = list(dict.fromkeys(recipients))
    if not errors and not unique:
        errors.add("params", "هیچ گیرنده‌ای با این مشخصات یافت نشد")
    return [NewBulk("postal_code", sender, text, unique)]


def _targeted(item: dict[str, Any], index: int, errors: Errors) -> list[str]:
    code = as_int(item.get("postal_code"))
    if code is None or not 10 <= code <= 99_999:
        errors.add("postal_code", INVALID_POSTAL_CODE)
    if item.get("bank", "all") not in ("all", "white"):
        errors.add(f"params.{index}.bank", "بانک انتخابی نامعتبر است")
    if as_int(item.get("gender", 0)) not in (0, 1, 2):
        errors.add(f"params.{index}.gender", "جنسیت انتخابی نامعتبر است")
    _check_years(item, index, errors)
    slices = {op: _slice(item, op, index, errors) for op in OPERATOR_PREFIXES}
    if code is None or errors:
        return []
    found: list[str] = []
    for op, (start, size) in slices.items():
        found.extend(bank_numbers(code, op, start, size))
    return found


def _check_years(item: dict[str, Any], index: int, errors: Errors) -> None:
    years = {}
    for key in ("age_from", "age_to"):
        if key in item:
            year = as_int(item[key])
            if year is None or not 1300 <= year <= 1410:
                errors.add(f"params.{index}.{key}", "سال تولد باید بین ۱۳۰۰ و ۱۴۱۰ باشد")
            else:
                years[key] = year
    if len(years) == 2 and years["age_from"] > years["age_to"]:
        errors.add(f"params.{index}.age_to", "سال پایان باید بعد از سال شروع باشد")


def _slice(item: dict[str, Any], op: str, index: int, errors: Errors) -> tuple[int, int]:
    """(start, size) for an operator; a missing object means the whole bank."""
    if op not in item:
        return 0, MAX_SLICE
    value = item[op]
    if not isinstance(value, dict):
        errors.add(f"params.{index}.{op}", "بازه اپراتور نامعتبر است")
        return 0, 0
    start, size = as_int(value.get("start", 0)), as_int(value.get("size", 0))
    if start is None or size is None:
        errors.add(f"params.{index}.{op}", "بازه اپراتور نامعتبر است")
        return 0, 0
    return start, size
