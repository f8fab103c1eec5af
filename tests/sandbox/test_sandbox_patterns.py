"""Patterns: listing and reading them, and sends that the pattern's status and variables refuse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runner.sandbox import SandboxApp
from runner.sandbox.testing import call

DOCUMENTED = Path(__file__).resolve().parents[1] / "data" / "ippanel-fixtures"
SENDER = "+983000505"


def documented(name: str) -> Any:
    return json.loads((DOCUMENTED / f"{name}.json").read_text(encoding="utf-8"))


def pattern_send(code: str, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "sending_type": "pattern",
        "from_number": SENDER,
        "code": code,
        "recipients": ["+989120000000"],
        "params": params,
    }


def test_pattern_by_code_has_the_documented_fields_and_variables(app: SandboxApp) -> None:
    response = call(app, "GET", "/api/patterns/nowruz1406ptrn")
    assert response.status == 200
    row = response.json()["data"]
    expected = documented("pattern_pattern-by-code__success__200-1")["data"]
    assert list(row) == list(expected)
    assert list(row["revision"]) == list(expected["revision"])
    assert row["pattern_code"] == "nowruz1406ptrn"
    assert row["pattern_message"] == "%name% عزیز، نوروز مبارک! کد تخفیف شما: %code%"
    assert (row["pattern_status"], row["pattern_status_id"], row["delimiter"]) == ("active", 1, "%")
    assert row["variable"] == [
        {"name": "name", "type": "string", "len": 30},
        {"name": "code", "type": "string", "len": 20},
    ]
    otp = call(app, "GET", "/api/patterns/otp0077login").json()["data"]
    assert otp["variable"] == [{"name": "code", "type": "integer", "len": 0}]


def test_unknown_pattern_code_is_404_1(app: SandboxApp) -> None:
    response = call(app, "GET", "/api/patterns/nosuchpattern")
    assert response.status == 404
    assert response.json()["meta"]["message_code"] == "404-1"
    assert response.json()["meta"]["message"] == "الگو یافت نشد"


def test_pattern_list_pages_and_shows_every_status(app: SandboxApp) -> None:
    payload = call(app, "GET", "/api/patterns", query={"page": "1", "per_page": "3"}).json()
    rows = payload["data"]
    assert list(rows[0]) == list(documented("pattern_list-pattern__success__200-1")["data"][0])
    assert [(r["pattern_code"], r["pattern_status"]) for r in rows] == [
        ("nowruz1406ptrn", "active"),
        ("otp0077login", "active"),
        ("yalda1404ptrn", "pending"),
    ]
    meta = payload["meta"]
    assert (meta["current_page"], meta["last_page"], meta["per_page"], meta["total"]) == (
        1,
        2,
        3,
        4,
    )
    second = call(app, "GET", "/api/patterns", query={"page": "2", "per_page": "3"}).json()
    (rejected,) = second["data"]
    assert (rejected["pattern_status"], rejected["pattern_status_id"]) == ("inactive", 2)
    assert rejected["pattern_status_fa"] == "رد شده"


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ({"filter[code]": "otp0077login"}, ["otp0077login"]),
        ({"filter[code]": "otp"}, []),
        ({"filter[state]": "inactive"}, ["oldpromo1403"]),
        ({"filter[title]": "نوروز"}, ["nowruz1406ptrn"]),
        ({"filter[type]": "systemic"}, []),
    ],
)
def test_pattern_list_filters(app: SandboxApp, query: dict[str, str], codes: list[str]) -> None:
    rows = call(app, "GET", "/api/patterns", query=query).json()["data"]
    assert [r["pattern_code"] for r in rows] == codes


@pytest.mark.parametrize(
    ("query", "field"),
    [({"per_page": "101"}, "per_page"), ({"filter[code]": ""}, "filter[code]")],
)
def test_pattern_list_refuses_big_pages_and_empty_filters(
    app: SandboxApp, query: dict[str, str], field: str
) -> None:
    response = call(app, "GET", "/api/patterns", query=query)
    assert response.status == 422
    assert list(response.json()["meta"]["errors"]) == [field]


@pytest.mark.parametrize(
    ("code", "message"),
    [("yalda1404ptrn", "الگو هنوز تایید نشده است"), ("oldpromo1403", "الگو غیرفعال است")],
)
def test_sending_a_pattern_that_is_not_active_is_refused_on_code(
    app: SandboxApp, code: str, message: str
) -> None:
    response = call(
        app, "POST", "/api/send", json=pattern_send(code, {"name": "x", "percent": "1"})
    )
    assert response.status == 422
    assert response.json()["meta"]["errors"] == {"code": [message]}
    assert app.store.committed_messages() == []


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({}, {"params.code": ["تکمیل گزینه code الزامی است"]}),
        ({"code": "12a4"}, {"params.code": ["مقدار code باید عدد صحیح باشد"]}),
        ({"code": "۱۲۳۴"}, {"params.code": ["مقدار code باید عدد صحیح باشد"]}),
        ({"code": 1234}, {"params.code": ["مقدار code باید رشته باشد"]}),
    ],
)
def test_integer_variables_take_strings_of_digits(
    app: SandboxApp, params: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    response = call(app, "POST", "/api/send", json=pattern_send("otp0077login", params))
    assert response.status == 422
    assert response.json()["meta"]["errors"] == errors


def test_a_string_variable_takes_any_text_and_integers_keep_leading_zeros(
    app: SandboxApp,
) -> None:
    body = pattern_send("nowruz1406ptrn", {"name": "علی", "code": "NZ-1406"})
    assert call(app, "POST", "/api/send", json=body).status == 200
    body = pattern_send("otp0077login", {"code": "00077"})
    assert call(app, "POST", "/api/send", json=body).status == 200
    assert [m.text for m in app.store.committed_messages()] == [
        "علی عزیز، نوروز مبارک! کد تخفیف شما: NZ-1406",
        "کد ورود شما: 00077",
    ]
