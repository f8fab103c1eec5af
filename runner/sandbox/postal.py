"""``postal_code`` sends: targeting validation and a small, deterministic number bank.

Each ``params`` item must carry, as the English docs require, ``postal_code`` (2–5
digits), ``bank`` (``all`` | ``white``), ``gender`` (0 all, 1 male, 2 female),
``age_from`` / ``age_to`` (Solar Hijri birth years 1300–1410, from ≤ to) and all
three operator objects ``mci``, ``irancell``, ``other`` as ``{start, size}``
(whole numbers ≥ 0). The recipients asked for, the sum of every ``size`` plus
``other_recipients``, may not pass ``MAX_RECIPIENTS`` (1,000,000).

The bank for a (postal code, operator) pair is 200–999 numbers derived from a hash,
so the same targeting always selects the same recipients; ``start``/``size`` slice
it. Gender, birth years and ``bank: white`` are checked but do not narrow it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from runner.sandbox.multipart import Body
from runner.sandbox.send import NewBulk, SendContext, sender_of
from runner.sandbox.validate import Errors, as_int, check_message, check_recipients, text_field

INVALID_POSTAL_CODE = "کد پستی نامعتبر است"
MAX_RECIPIENTS = 1_000_000
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
    stop = min(bank_size(postal_code, operator), start + size)
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
    targets = [_target(item, index, errors) for index, item in enumerate(params)]
    others = body.fields.get("other_recipients")
    extra = check_recipients(others, "other_recipients", errors) if others else []
    asked = sum(size for _, slices in targets for _, size in slices.values()) + len(extra)
    if asked > MAX_RECIPIENTS:
        errors.add("params", f"تعداد کل گیرندگان نباید بیشتر از {MAX_RECIPIENTS} باشد")
    if errors:
        return []
    recipients: list[str] = []
    for code, slices in targets:
        for op, (start, size) in slices.items():
            recipients.extend(bank_numbers(code, op, start, size))
    unique = list(dict.fromkeys([*recipients, *extra]))
    if not unique:
        errors.add("params", "هیچ گیرنده‌ای با این مشخصات یافت نشد")
    return [NewBulk("postal_code", sender, text, unique)]


Slices = dict[str, tuple[int, int]]


def _target(raw: object, index: int, errors: Errors) -> tuple[int, Slices]:
    """One ``params`` item checked: its postal code and (start, size) per operator."""
    item: dict[str, Any] = raw if isinstance(raw, dict) else {}
    code = as_int(item.get("postal_code"))
    if code is None or not 10 <= code <= 99_999:
        errors.add("postal_code", INVALID_POSTAL_CODE)
    where = f"params.{index}"
    if "bank" not in item:
        errors.required("bank", f"{where}.bank")
    elif item["bank"] not in ("all", "white"):
        errors.add(f"{where}.bank", "بانک انتخابی نامعتبر است")
    if "gender" not in item:
        errors.required("gender", f"{where}.gender")
    elif as_int(item["gender"]) not in (0, 1, 2):
        errors.add(f"{where}.gender", "جنسیت انتخابی نامعتبر است")
    _check_years(item, where, errors)
    slices = {op: _slice(item, op, where, errors) for op in OPERATOR_PREFIXES}
    return code or 0, slices


def _check_years(item: dict[str, Any], where: str, errors: Errors) -> None:
    years = {}
    for key in ("age_from", "age_to"):
        if key not in item:
            errors.required(key, f"{where}.{key}")
            continue
        year = as_int(item[key])
        if year is None or not 1300 <= year <= 1410:
            errors.add(f"{where}.{key}", "سال تولد باید بین ۱۳۰۰ و ۱۴۱۰ باشد")
        else:
            years[key] = year
    if len(years) == 2 and years["age_from"] > years["age_to"]:
        errors.add(f"{where}.age_to", "سال پایان باید بعد از سال شروع باشد")


def _slice(item: dict[str, Any], op: str, where: str, errors: Errors) -> tuple[int, int]:
    """(start, size) for an operator; the object and both numbers are required."""
    if op not in item:
        errors.required(op, f"{where}.{op}")
        return 0, 0
    value = item[op]
    if not isinstance(value, dict):
        errors.add(f"{where}.{op}", "بازه اپراتور نامعتبر است")
        return 0, 0
    numbers = []
    for key in ("start", "size"):
        number = as_int(value.get(key))
        if number is None or number < 0:
            errors.add(f"{where}.{op}.{key}", f"مقدار {key} باید عدد صحیح نامنفی باشد")
        numbers.append(number or 0)
    return numbers[0], numbers[1]
