"""The account's sender lines, on the current and the older path, Laravel-paged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.sandbox import SandboxApp
from runner.sandbox.testing import call

DOCUMENTED = Path(__file__).resolve().parents[1] / "data" / "ippanel-fixtures"
LINES = ["+983000505", "+98BANK", "+9810001234", "+985000125475"]


@pytest.mark.parametrize("path", ["/api/number/numbers", "/api/numbers"])
def test_lines_are_paged_with_laravel_meta(app: SandboxApp, path: str) -> None:
    first = call(app, "GET", path, query={"page": "1", "per_page": "3"}).json()
    documented = json.loads((DOCUMENTED / "numbers_list-numbers__success__200-1.json").read_text())
    assert list(first["data"][0]) == list(documented["data"][0])
    assert [row["number"] for row in first["data"]] == LINES[:3]
    assert first["meta"] == {
        "current_page": 1,
        "from": 1,
        "last_page": 2,
        "path": path,
        "per_page": 3,
        "to": 3,
        "total": 4,
        "status": True,
        "message": "Success",
        "message_code": "200-1",
    }
    second = call(app, "GET", path, query={"page": "2", "per_page": "3"}).json()
    assert [row["number"] for row in second["data"]] == LINES[3:]
    assert (second["meta"]["from"], second["meta"]["to"]) == (4, 4)


def test_default_page_holds_every_seed_line(app: SandboxApp) -> None:
    payload = call(app, "GET", "/api/number/numbers").json()
    assert [row["number"] for row in payload["data"]] == LINES
    assert (payload["meta"]["per_page"], payload["meta"]["total"]) == (10, 4)
