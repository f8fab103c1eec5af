"""The campaign JSON Schema, and the plain-words violations validate_document reports.

Acceptance cases are data files: every ``positive/*.yaml`` must validate, and every
``negative/*.yaml`` must report exactly the lines of the ``.expected`` file beside it,
as ``file:line:col: message`` with the file named the way the user gave it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from runner.errors import InvalidCampaign, Violation
from runner.loader import load_document
from runner.schema import load_schema, schema_path, validate_document
from runner.sending_types import SENDING_TYPES

DATA = Path(__file__).parent / "data" / "schema"
POSITIVE = sorted((DATA / "positive").glob("*.yaml"))
NEGATIVE = sorted((DATA / "negative").glob("*.yaml"))


def _report(name: str) -> list[str]:
    try:
        violations: list[Violation] | tuple[Violation, ...] = validate_document(
            load_document(Path(name))
        )
    except InvalidCampaign as err:
        violations = err.violations
    return [str(v) for v in violations]


def _properties(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for key, child in node.get("properties", {}).items():
            if isinstance(child, dict):
                yield f"{where}/properties/{key}", child
        for key, child in node.items():
            yield from _properties(child, f"{where}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _properties(child, f"{where}/{index}")


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "https://ippanel-run.dev/schemas/campaign.schema.json"
    assert schema["title"] and schema["description"]


def test_every_property_has_a_title_and_description_for_editor_hover() -> None:
    undocumented = [
        where
        for where, prop in _properties(load_schema())
        if "/allOf/" not in where and not ({"title", "description"} <= prop.keys())
    ]
    assert undocumented == []


def test_every_object_in_the_schema_rejects_unknown_keys() -> None:
    def objects(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                yield node
            for child in node.values():
                yield from objects(child)
        elif isinstance(node, list):
            for child in node:
                yield from objects(child)

    assert all(obj.get("additionalProperties") is False for obj in objects(load_schema()))


def test_type_enum_matches_the_sending_types_the_runner_knows() -> None:
    assert tuple(load_schema()["properties"]["type"]["enum"]) == SENDING_TYPES


def test_there_is_a_valid_example_for_every_sending_type() -> None:
    covered = {json_type(path) for path in POSITIVE}
    assert covered >= set(SENDING_TYPES)


def json_type(path: Path) -> str:
    return str(load_document(path).data["type"])


@pytest.mark.parametrize("path", POSITIVE, ids=lambda p: p.stem)
def test_valid_campaign_has_no_violations(path: Path) -> None:
    assert validate_document(load_document(path)) == []


@pytest.mark.parametrize("path", NEGATIVE, ids=lambda p: p.stem)
def test_invalid_campaign_reports_exact_messages(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(path.parent)
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    assert _report(path.name) == expected


def test_there_are_enough_negative_cases() -> None:
    assert len(NEGATIVE) >= 15
    assert all(path.with_suffix(".expected").is_file() for path in NEGATIVE)


def test_decimal_number_is_not_accepted_where_an_integer_is_needed(tmp_path: Path) -> None:
    campaign = tmp_path / "c.yaml"
    campaign.write_text(
        "version: 1\nname: c\ntype: votp\nmessage: '1'\nrecipients: ['+989120000000']\n"
        "batch_size: 100.0\n",
        encoding="utf-8",
    )
    assert [str(v) for v in validate_document(load_document(campaign))] == [
        f"{campaign}:6:13: 'batch_size' must be an integer, not a decimal number"
    ]


def test_violations_are_sorted_by_line_then_column(tmp_path: Path) -> None:
    campaign = tmp_path / "c.yaml"
    campaign.write_text(
        "zz: 1\nversion: 3\nname: c\ntype: votp\nmessage: '1'\nrecipients: [1]\naa: 2\n",
        encoding="utf-8",
    )
    lines = [(v.line, v.col) for v in validate_document(load_document(campaign))]
    assert lines == sorted(lines)
    assert len(lines) == 4


def test_schema_path_finds_the_checkout_copy() -> None:
    path = schema_path()
    assert path.name == "campaign.schema.json"
    assert json.loads(path.read_text(encoding="utf-8"))["$id"].endswith(path.name)


def test_schema_path_prefers_the_copy_installed_inside_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = tmp_path / "runner"
    (installed / "schemas").mkdir(parents=True)
    (installed / "schemas" / "campaign.schema.json").write_text("{}", encoding="utf-8")
    monkeypatch.setattr("importlib.resources.files", lambda package: installed)
    assert schema_path() == installed / "schemas" / "campaign.schema.json"


def test_load_schema_is_read_once() -> None:
    assert load_schema() is load_schema()
