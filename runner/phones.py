"""Phone numbers: an Iranian mobile in any way people write it, as ``+989…``, or why not.

Only Iranian mobiles (``+989`` and nine digits) are accepted: IPPanel sends to
nothing else. Persian and Arabic-Indic digits, separators and the invisible bidi
marks that copy-paste from RTL text carries are read through. Most numbers go
through one precompiled regex (run a million times per big campaign); a number with
another country code is refused, and ``phonenumbers`` only helps say which country
it is.
"""

from __future__ import annotations

import re
from typing import NoReturn

import phonenumbers

# Persian (U+06F0..) and Arabic-Indic (U+0660..) digits → ASCII; separators and the
# invisible bidi marks that copy-paste from RTL text carries → removed.
_CLEAN: dict[int, int | None] = {
    **{0x06F0 + d: 0x30 + d for d in range(10)},
    **{0x0660 + d: 0x30 + d for d in range(10)},
    **dict.fromkeys(map(ord, " \t\u00a0\u2007\u202f-\u2010\u2011\u2012\u2013\u2014.()/"), None),
    **dict.fromkeys([*range(0x200B, 0x2010), *range(0x202A, 0x202F), 0x2066, 0x2067], None),
    **dict.fromkeys([0x2068, 0x2069, 0xFEFF], None),
}
_SEPARATORS = re.compile("[\\s\\-\u2010-\u2014.()/\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")
# +98 / 0098 / 98, an optional trunk 0, then 9 and nine digits: the only mobile shape.
_IRAN_MOBILE = re.compile(r"(?:\+98|0098|98)?0?(9[0-9]{9})")
# The fast path: a number already written as people write it (the CSV reader inlines it).
match_mobile = _IRAN_MOBILE.fullmatch
# The same shape in any script's digits (``\d`` matches Persian and Arabic-Indic ones too).
_match_any_digits = re.compile(
    r"(?:\+[9۹٩][8۸٨]|[0۰٠][0۰٠][9۹٩][8۸٨]|[9۹٩][8۸٨])?[0۰٠]?([9۹٩]\d{9})"
).fullmatch


IRANIAN_MOBILE = "+989 and 9 digits, or 09… as people write it"


class InvalidNumber(ValueError):
    """A value that is not a phone number we can send to; ``str()`` is the reason."""


def normalize_phone(raw: str) -> str:
    """Return the Iranian mobile ``raw`` as ``+989…``, or raise ``InvalidNumber`` saying why not."""
    match = match_mobile(raw)
    if match is not None:
        return "+98" + match[1]
    match = _match_any_digits(_SEPARATORS.sub("", raw))
    if match is not None:
        return "+98" + str(int(match[1]))  # int() reads any script's digits; 9… has no 0 to lose
    return _normalize_other(raw.translate(_CLEAN))


def _normalize_other(cleaned: str) -> str:
    if cleaned.endswith("+") and not cleaned.startswith("+"):
        cleaned = "+" + cleaned[:-1]  # a leading + that RTL text displayed at the end
        match = match_mobile(cleaned)
        if match is not None:
            return "+98" + match[1]
    digits = cleaned.removeprefix("+")
    if not cleaned:
        raise InvalidNumber("empty")
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidNumber("not a phone number")
    if cleaned.startswith("+") or digits.startswith("00"):
        international = digits if cleaned.startswith("+") else digits[2:]
        if international.startswith("98"):
            _reject_iranian(international[2:], len(digits))
        _foreign(international)
    if digits.startswith("98") and len(digits) >= 12:
        _reject_iranian(digits[2:], len(digits))
    if digits.startswith("0") or digits.startswith("9"):
        _reject_iranian(digits.removeprefix("0"), len(digits))
    raise InvalidNumber(f"not an Iranian mobile number ({IRANIAN_MOBILE})")


def _reject_iranian(national: str, typed: int) -> None:
    """Explain why an Iranian number (``national`` without +98 or 0) is not a mobile."""
    national = national.removeprefix("0")
    expected = typed - len(national) + 10
    if len(national) < 10:
        raise InvalidNumber(f"too short: {typed} digits, expected {expected}")
    if len(national) > 10:
        raise InvalidNumber(f"too long: {typed} digits, expected {expected}")
    raise InvalidNumber(f"+98 {national[:2]}… is a landline, not a mobile number")


def _foreign(international: str) -> NoReturn:
    """Refuse a number with another country code, saying which country it belongs to."""
    try:
        number = phonenumbers.parse("+" + international)
    except phonenumbers.NumberParseException:
        raise InvalidNumber(
            f"unknown country code in +{international}; IPPanel sends only to Iranian mobiles"
        ) from None
    # Name the calling code's main country: +44 7911… is "United Kingdom", not a Crown dependency.
    example = phonenumbers.example_number(
        phonenumbers.region_code_for_country_code(number.country_code or 0)
    )
    # Imported here, for this error only: the geocoder's data is ~90 MB and ~1 s at start-up.
    from phonenumbers import geocoder

    country = geocoder.country_name_for_number(example, "en") if example else ""
    code = f"+{number.country_code}" + (f", {country}" if country else "")
    raise InvalidNumber(
        f"a foreign number ({code}); IPPanel sends only to Iranian mobiles ({IRANIAN_MOBILE})"
    )
