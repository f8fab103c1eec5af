"""Schema errors in plain words: one explainer a JSON Schema keyword, in one table.

``runner.schema`` finds the errors; this module says each one at the line and column
the user wrote: the key for unknown or forbidden keys, the enclosing mapping for
missing ones, the value for everything else. ``anyOf`` is narrowed to the branch
the value was evidently meant for.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

from runner.errors import Violation
from runner.loader import Document
from runner.safe_text import excerpt, printable

_KINDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true/false",
    "object": "a mapping",
    "array": "a list",
    "null": "empty",
}
# What each pattern of the schema means, in words: a regular expression helps no one.
_PATTERN_HINTS = {
    "^[a-z0-9][a-z0-9._-]*$": (
        "lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, "
        'like "nowruz-1406"'
    ),
    "^\\+[0-9A-Za-z]{3,20}$": "a '+' and 3 to 20 letters or digits, like \"+983000505\"",
    "^\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}(:\\d{2})?$": (
        'a date and a 24-hour time written YYYY-MM-DD HH:MM, like "1406-01-01 09:00" '
        "(with calendar: jalali for a Solar Hijri date)"
    ),
    "^(any|\\d{2}:\\d{2}-\\d{2}:\\d{2})$": 'Tehran hours like "08:00-22:00", or any',
}
_RANGE_HINTS = {
    "postal_code": "a 2–5 digit postal-code prefix",
    "from": "a Solar Hijri year",
    "to": "a Solar Hijri year",
}
_REQUIRED_WHY = {
    "sender": "every type but votp needs a sender",
    "message": "every type but pattern needs a message",
    "recipients": "every type but postal_code needs recipients",
    "pattern": "type pattern needs the pattern's code and params",
    "targeting": "type postal_code needs at least one targeting entry",
}
_FORBIDDEN_WHY = {
    "sender": "votp sends from the voice line",
    "message": "the approved pattern holds the text; put values in pattern.params",
    "pattern": "only type pattern uses it",
    "targeting": "only type postal_code uses it",
}

JsonPath = tuple[str | int, ...]
_Explainer = Callable[[Document, ValidationError, JsonPath], list[Violation]]


def _is_integer(_checker: Any, instance: Any) -> bool:
    # 1.0 is an integer to JSON Schema, but counts and years must reach Python as int.
    return isinstance(instance, int) and not isinstance(instance, bool)


# The types ``runner.schema`` validates with, and ``anyOf`` branches are matched by.
TYPE_CHECKER = Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer)


def explain(doc: Document, error: ValidationError) -> list[Violation]:
    """The violations ``error`` stands for, in words."""
    path: JsonPath = tuple(error.absolute_path)
    explainer = _EXPLAINERS.get(str(error.validator), _generic)
    return explainer(doc, error, path)


def _at(doc: Document, path: JsonPath, message: str, *, key: bool = False) -> Violation:
    return doc.location(path, key=key).violation(message)


def _name(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            key = printable(part, 40)  # keys under vars are the user's own, of any length
            text += f".{key}" if text else key
    return text


def _show(value: Any) -> str:
    if isinstance(value, str):
        return excerpt(value)
    if value is None or isinstance(value, (bool, dict, list)):
        return _kind(value)
    return str(value)


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    kinds = {bool: "true/false", int: "an integer", float: "a decimal number"}
    kinds.update({str: "a string", dict: "a mapping", list: "a list"})
    return kinds.get(type(value), type(value).__name__)


def _suggest(word: Any, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(word)[:100], choices, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def _unknown_keys(doc: Document, error: ValidationError, path: JsonPath) -> list[Violation]:
    allowed = list(error.schema.get("properties", {}))
    where = f" in '{_name(path)}'" if path else ""
    found = []
    for key in error.instance:
        if key in allowed:
            continue
        hint = _suggest(key, allowed)
        message = f"unknown key {excerpt(key)}{where}" + (f" ({hint})" if hint else "")
        found.append(_at(doc, (*path, key), message, key=True))
    return found


def missing(
    doc: Document,
    error: ValidationError,
    path: JsonPath,
    skip: frozenset[tuple[JsonPath, str]] | set[tuple[JsonPath, str]] = frozenset(),
) -> list[Violation]:
    """Each required key ``error`` names that is missing, except the ``skip``ped typos."""
    per_type = "then" in error.absolute_schema_path
    where = f" in '{_name(path)}'" if path else ""
    found = []
    for key in error.validator_value:
        if key in error.instance or (path, key) in skip:
            continue
        why = _REQUIRED_WHY.get(key) if per_type else None
        message = f"missing required key '{key}'{where}" + (f" ({why})" if why else "")
        found.append(_at(doc, path, message))
    return found


def _forbidden(doc: Document, error: ValidationError, path: JsonPath) -> list[Violation]:
    if error.validator_value != {}:
        return _generic(doc, error, path)
    key = str(path[-1])
    kind = doc.data.get("type") if isinstance(doc.data, dict) else None
    message = f"'{key}' is not used by type {kind}; remove it"
    why = _FORBIDDEN_WHY.get(key)
    return [_at(doc, path, message + (f" ({why})" if why else ""), key=True)]


def _wrong_type(doc: Document, error: ValidationError, path: JsonPath) -> list[Violation]:
    value = error.instance
    if _is_phone_slot(path) and isinstance(value, int) and not isinstance(value, bool):
        return [_at(doc, path, _quote_phone(value, sender=path == ("sender",)))]
    wanted = error.validator_value
    names = [_KINDS[t] for t in ([wanted] if isinstance(wanted, str) else wanted)]
    expected = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    if not path:
        return [_at(doc, path, f"the file must be a mapping of keys, not {_kind(value)}")]
    if value is None:
        return [_at(doc, path, f"'{_name(path)}' has no value; it must be {expected}")]
    message = f"'{_name(path)}' must be {expected}, not {_kind(value)}"
    if wanted == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        message += f' (write it in quotes: "{value}")'
    return [_at(doc, path, message)]


def _is_phone_slot(path: JsonPath) -> bool:
    return path == ("sender",) or (len(path) == 2 and path[0] in ("recipients", "exclude"))


def _quote_phone(number: int, *, sender: bool) -> str:
    digits = str(number)
    if sender or (digits.startswith("98") and len(digits) == 12):
        shown = "+" + digits
    elif digits.startswith("9") and len(digits) == 10:
        shown = "+98" + digits
    else:
        shown = digits
    return f'write phone numbers in quotes: "{shown}" (YAML reads {digits} as a number)'


def _any_of(doc: Document, error: ValidationError, path: JsonPath) -> list[Violation]:
    # Explain only the branch whose type the value has: the one the user meant.
    checker = TYPE_CHECKER
    for index, branch in enumerate(error.validator_value):
        if checker.is_type(error.instance, branch.get("type", "object")):
            found = []
            for sub in error.context or ():
                if sub.relative_schema_path[0] == index:
                    found.extend(explain(doc, sub))
            return found
    if _is_phone_slot(path) and isinstance(error.instance, int):
        return [_at(doc, path, _quote_phone(error.instance, sender=False))]
    shapes = "a phone number in quotes or a mapping like {file: customers.csv}"
    if error.instance is None:
        return [_at(doc, path, f"'{_name(path)}' has no value; it must be {shapes}")]
    return [_at(doc, path, f"'{_name(path)}' must be {shapes}, not {_kind(error.instance)}")]


def _enum(doc: Document, error: ValidationError, path: JsonPath) -> list[Violation]:
    choices = [str(choice) for choice in error.validator_value]
    got = f"got {_show(error.instance)}"
    hint = _suggest(error.instance, choices)
    detail = f"{got}; {hint}" if hint else got
    return [_at(doc, path, f"'{_name(path)}' must be one of {', '.join(choices)} ({detail})")]


def _const(doc: Document, error: ValidationError, path: JsonPath) -> list[Violation]:
    if path == ("version",):
        return [_at(doc, path, "'version' must be 1 (this is format version 1)")]
    return [_at(doc, path, f"'{_name(path)}' must be {error.validator_value}")]


def _pattern(doc: Document, error: ValidationError, path: JsonPath) -> list[Violation]:
    pattern = str(error.validator_value)
    hint = _PATTERN_HINTS.get(pattern)
    got = f"got {_show(error.instance)}"
    if hint:
        return [_at(doc, path, f"'{_name(path)}' must be {hint}; {got}")]
    shown = pattern.removeprefix("^").removesuffix("$")
    return [_at(doc, path, f"'{_name(path)}' must match {shown} ({got})")]


def _length(doc: Document, error: ValidationError, path: JsonPath) -> list[Violation]:
    if error.validator == "minItems":
        return [_at(doc, path, f"'{_name(path)}' must list at least one item")]
    if error.validator == "minLength" and error.validator_value == 1:
        return [_at(doc, path, f"'{_name(path)}' must not be empty")]
    limit = "at least" if error.validator == "minLength" else "at most"
    message = f"'{_name(path)}' must be {limit} {error.validator_value} characters"
    return [_at(doc, path, f"{message} (got {len(error.instance)})")]


def _range(doc: Document, error: ValidationError, path: JsonPath) -> list[Violation]:
    low, high = error.schema.get("minimum"), error.schema.get("maximum")
    if low is not None and high is not None:
        bounds = f"between {low} and {high}"
    else:
        bounds = f"at least {low}" if low is not None else f"at most {high}"
    hint = _RANGE_HINTS.get(str(path[-1])) if path else None
    detail = f"{hint}; got {error.instance}" if hint else f"got {error.instance}"
    return [_at(doc, path, f"'{_name(path)}' must be {bounds} ({detail})")]


def _generic(doc: Document, error: ValidationError, path: JsonPath) -> list[Violation]:
    prefix = f"'{_name(path)}': " if path else ""
    return [_at(doc, path, prefix + printable(error.message, 200))]


_EXPLAINERS: dict[str, _Explainer] = {
    "additionalProperties": _unknown_keys,
    "required": missing,
    "not": _forbidden,
    "type": _wrong_type,
    "anyOf": _any_of,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "minLength": _length,
    "maxLength": _length,
    "minItems": _length,
    "minimum": _range,
    "maximum": _range,
}
