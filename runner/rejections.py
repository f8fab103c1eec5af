"""The API's validation errors (HTTP 422, ``400-2``) explained in the campaign's own terms.

IPPanel names the request fields it rejects (``from_number``, ``params.recipients.3``,
``params.0.mci``) and explains them in Persian. ``explain`` turns each into a
``Violation`` at the campaign key it concerns (``sender:``, ``pattern.code:``, the
targeting entry) or, for a recipient, at the file and line the number was read
from, with an English reading of the message and the API's own text beside it.
``FIELDS`` is the one table from API fields to campaign keys. Reading a recipient's
origin streams the campaign's recipient files again: this runs only after a
refusal, never on the sending path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from runner.errors import ApiError, ApiValidationError, InputError, NotFoundError, Violation
from runner.models import Campaign, Location, RecipientStats
from runner.recipients import iter_recipients
from runner.sending_types import SPECS

RECIPIENT = "recipients"  # the key of fields whose value is one recipient's number


@dataclass(frozen=True)
class Field:
    """API fields matching ``pattern`` concern campaign key ``key`` (``{n}``: the index)."""

    pattern: re.Pattern[str]
    key: str
    what: str


def _field(pattern: str, key: str, what: str) -> Field:
    return Field(re.compile(pattern), key, what)


FIELDS: tuple[Field, ...] = (
    _field(r"from_number", "sender", "the sender line (from_number)"),
    _field(r"number", "sender", "the sender line (the price quote's number)"),
    _field(r"sending_type", "type", "the sending type"),
    _field(r"(params\.\d+\.)?message", "message", "the message text"),
    _field(r"send_time", "schedule.at", "the send time (send_time, in UTC)"),
    _field(r"code", "pattern.code", "the pattern code"),
    _field(r"(params\.(\d+\.)?)?recipients\.\d+", RECIPIENT, "a recipient's number"),
    _field(r"other_recipients\.\d+", RECIPIENT, "a recipient's number (other_recipients)"),
    _field(r"files\.\d+", RECIPIENT, "a row of the uploaded file"),
    _field(r"(params\.(\d+\.)?)?recipients|other_recipients|files", "recipients", "the recipients"),
    _field(r"(params\.(?P<n>\d+)\.)?postal_code", "targeting.{n}", "the postal code"),
    _field(r"params\.(?P<n>\d+)\.(age_from|age_to)", "targeting.{n}", "the birth years"),
    _field(r"params\.(?P<n>\d+)\.(mci|irancell|other)(\..+)?", "targeting.{n}", "the operators"),
    _field(r"params\.(?P<n>\d+)\.(bank|gender)", "targeting.{n}", "the bank or gender filter"),
    _field(r"params\.(?P<name>[^.\d][^.]*)", "pattern.params.{name}", "a pattern parameter"),
    _field(r"params(\..*)?", "params", "the request's params"),
)

# The API's Persian messages, in English (the original is always shown beside it).
MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(persian), english)
    for persian, english in (
        (r"شماره فرستنده نامعتبر است", "this line is not one of the account's sender numbers"),
        (r"شماره گیرنده نامعتبر است", "the recipient number is not valid"),
        (r"تکمیل گزینه (.+) الزامی است", r"\1 is required"),
        (r"مقدار (.+) باید رشته باشد", r"\1 must be a string"),
        (r"متن پیام نباید بیشتر از (\d+) کاراکتر باشد", r"the text is over \1 characters"),
        (r"متن پیام نباید بیشتر از (\d+) بخش باشد", r"the text is over \1 SMS parts"),
        (r"تعداد گیرندگان نباید بیشتر از (\d+) باشد", r"more than \1 recipients in one request"),
        (r"تعداد کل گیرندگان نباید بیشتر از (\d+) باشد", r"more than \1 recipients in all"),
        (r"تعداد ردیف‌های فایل نباید بیشتر از (\d+) باشد", r"the file has more than \1 rows"),
        (r"مقدار (.+) باید عدد صحیح نامنفی باشد", r"\1 must be a whole number, 0 or more"),
        (r"مقدار (.+) باید عدد صحیح باشد", r"\1 must be a whole number"),
        (r"مقدار (.+) نباید خالی باشد", r"\1 must not be empty"),
        (r"ستون (.+) در سطر اول فایل یافت نشد", r"the file's first row has no \1 column"),
        (r"فایل باید فقط یک ستون", "the file must have that one column only"),
        (r"نوع ارسال پشتیبانی نمی‌شود", "this API does not support the sending type"),
        (r"گیرندگان دیگر باید آرایه باشند", "other_recipients must be a list"),
        (r"الگو غیرفعال است", "the pattern is inactive"),
        (r"الگو هنوز تایید نشده است", "the pattern is not approved yet"),
        (r"محتوای پیام مجاز نیست", "the message content is not allowed"),
        (r"اعتبار ناکافی", "not enough credit"),
        (r"فقط یک گیرنده مجاز است", "only one recipient is allowed"),
        (r"زمان ارسال باید حداقل", "the send time must be at least 5 minutes ahead"),
        (r"زمان ارسال نباید بیشتر از", "the send time must be at most 3 months ahead"),
        (r"فرمت زمان ارسال نامعتبر است", "the send time is not in the API's format"),
        (r"کد پستی نامعتبر است", "the postal code is not valid"),
        (r"سال تولد باید بین", "birth years must be between 1300 and 1410"),
        (r"سال پایان باید بعد از سال شروع باشد", "the last birth year is before the first"),
        (r"بازه اپراتور نامعتبر است", "the operator slice is not valid"),
        (r"بانک انتخابی نامعتبر است", "the number bank is not valid"),
        (r"جنسیت انتخابی نامعتبر است", "the gender is not valid"),
        (r"هیچ گیرنده‌ای با این مشخصات یافت نشد", "no numbers match this targeting"),
        (r"فرمت فایل پشتیبانی نمی‌شود", "the file format is not supported"),
        (r"کد باید فقط شامل ارقام", "the code must be digits only, fewer than 15"),
        (r"الگو یافت نشد", "no such pattern in the account"),
    )
)


# The API's Persian names of request fields, as its "X is required" messages use them.
LABELS = {
    "شماره فرستنده": "the sender line",
    "نوع ارسال": "the sending type",
    "کد الگو": "the pattern code",
    "گیرندگان": "the recipients",
    "پارامترها": "params",
    "فایل ها": "the file",
    "پیام": "the message",
}


def explain(err: ApiError, campaign: Campaign, body: Mapping[str, Any]) -> list[Violation]:
    """One violation per field the API rejected, located in the campaign or its data files.

    ``body`` is the request that was refused (multipart: ``{"form", "files"}``).
    """
    # A 404 names no field: for a pattern send (404-1) the pattern code was not found.
    spec = SPECS.get(str(body.get("sending_type", "")))
    unnamed = spec.unnamed_field if spec else ""
    errors = err.errors or {unnamed: [err.api_message]}
    located = _Locator(campaign, body)
    return [
        located.where(api_field, field).violation(_sentence(api_field, field, messages))
        for api_field, messages in errors.items()
        for field in [_match(api_field)]
    ]


def refused(err: ApiError) -> bool:
    """Whether ``err`` is the API refusing the request's fields (HTTP 422), or a pattern (404)."""
    if isinstance(err, NotFoundError):
        return err.code == "404-1"
    return isinstance(err, ApiValidationError) and err.status == 422


def _match(api_field: str) -> Field | None:
    return next((f for f in FIELDS if f.pattern.fullmatch(api_field)), None)


def _sentence(api_field: str, field: Field | None, messages: list[str]) -> str:
    key = _key(api_field, field)
    what = field.what if field else f"the request field {api_field}"
    english = "; ".join(filter(None, (in_english(m) for m in messages)))
    original = " / ".join(f"«{m}»" for m in messages)
    named = f", field {api_field}" if api_field else ""
    reading = f": {english}" if english else ""
    return f"{key}: the API refused {what}{reading} (the API's words{named}: {original})"


def _key(api_field: str, field: Field | None) -> str:
    if field is None:
        return "the request"
    match = field.pattern.fullmatch(api_field)
    groups = {k: v for k, v in (match.groupdict() if match else {}).items() if v is not None}
    try:
        return field.key.format(**groups)
    except KeyError:
        return field.key.split(".{")[0]


def in_english(message: str) -> str:
    """An English reading of one of the API's Persian messages; "" when none is known."""
    for persian, english in MESSAGES:
        found = persian.search(message)
        if found:
            reading = found.expand(english)
            for label, name in LABELS.items():
                reading = reading.replace(label, name)
            return reading
    return ""  # no English reading known: the API's own words follow


class _Locator:
    """Where a rejected field points: a campaign key's line, or a recipient's file and line."""

    def __init__(self, campaign: Campaign, body: Mapping[str, Any]) -> None:
        self.campaign = campaign
        self.body = body

    def where(self, api_field: str, field: Field | None) -> Location:
        if field is None:
            return self.campaign.location("")
        if field.key == RECIPIENT:
            phone = self._value(api_field)
            origin = self._origin(phone) if isinstance(phone, str) else None
            if origin is not None:
                return origin
            return self.campaign.location("recipients")
        return self.campaign.location(_key(api_field, field))

    def _value(self, api_field: str) -> object:
        """The value at ``api_field`` in the body; ``files.N`` is line N of the upload."""
        head, _, rest = api_field.partition(".")
        if head == "files" and rest.isdigit():
            lines = "".join(str(f["content"]) for f in self.body.get("files", ())).splitlines()
            line = int(rest)
            return lines[line - 1].split(",")[0] if 1 <= line <= len(lines) else None
        node: object = self.body.get("form", self.body)
        for part in api_field.split("."):
            if isinstance(node, Mapping):
                # Multipart repeats a list field as ``name[]``; the API names it ``name.N``.
                node = node.get(part, node.get(part + "[]"))
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node

    def _origin(self, phone: str) -> Location | None:
        for recipient in self._recipients():
            if recipient.phone == phone:
                file, _, line = recipient.origin.rpartition(":")
                return Location(file, int(line), 1) if line.isdigit() else None
        return None

    def _recipients(self) -> Iterator[Any]:
        campaign = self.campaign
        try:
            yield from iter_recipients(
                campaign.recipients, campaign.exclude, RecipientStats(), skip_invalid=True
            )
        except InputError:
            return
