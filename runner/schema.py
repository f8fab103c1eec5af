"""Check a campaign document against the JSON Schema and say what is wrong in plain words.

This module finds the schema, loads it and collects ``jsonschema``'s errors; each
becomes a ``Violation`` at the line and column the user wrote, worded by
``runner.schema_words``. Branches of ``anyOf`` are narrowed to the one the value was
evidently meant for, so a wrong file source is not also reported as "not a phone number".
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, validators  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

from runner.errors import RunnerError, Violation
from runner.loader import Document
from runner.schema_words import TYPE_CHECKER, JsonPath, explain, missing

SCHEMA_NAME = "campaign.schema.json"


def schema_path(name: str = SCHEMA_NAME) -> Path:
    """The schema file, from an installed wheel (``runner/schemas``) or a checkout."""
    installed = resources.files("runner") / "schemas" / name
    if installed.is_file():
        return Path(str(installed))
    checkout = Path(__file__).resolve().parents[1] / "schemas" / name
    if checkout.is_file():
        return checkout
    raise RunnerError(f"schema {name} is missing from the installation; reinstall ippanel-run")


@functools.cache
def load_schema(name: str = SCHEMA_NAME) -> dict[str, Any]:
    """The parsed schema (cached; do not modify it)."""
    result: dict[str, Any] = json.loads(schema_path(name).read_text(encoding="utf-8"))
    return result


_Validator = validators.extend(Draft202012Validator, type_checker=TYPE_CHECKER)


@functools.cache
def _validator(name: str) -> Any:
    return _Validator(load_schema(name))


def validate_document(doc: Document) -> list[Violation]:
    """Every schema violation in ``doc``, sorted by line and column; empty when valid.

    A misspelt key is one problem, not two: ``mesage:`` is reported as an unknown key
    (did you mean 'message'?), and the missing ``message`` it stands for is not.
    """
    errors = list(_validator(SCHEMA_NAME).iter_errors(doc.data))
    typos = {typo for error in errors for typo in _typos(error)}
    found: set[Violation] = set()
    for error in errors:
        if error.validator == "required":
            found.update(missing(doc, error, tuple(error.absolute_path), skip=typos))
        else:
            found.update(explain(doc, error))
    return sorted(found, key=lambda v: (v.line, v.col, v.message))


def _typos(error: ValidationError) -> Iterator[tuple[JsonPath, str]]:
    """(mapping path, key) for each allowed key an unknown key there looks like a typo of."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return
    allowed = list(error.schema.get("properties", {}))
    for key in error.instance:
        if key not in allowed:
            close = difflib.get_close_matches(str(key)[:100], allowed, n=1, cutoff=0.6)
            if close:
                yield tuple(error.absolute_path), close[0]
