"""The ``original`` API mode: only the endpoints of the document the project started from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner.sandbox import API_MODES, SandboxApp
from runner.sandbox.modes import ORIGINAL_ENDPOINTS
from runner.sandbox.testing import FakeClock, call, multipart

SENDER = "+983000505"
WEBSERVICE = {
    "sending_type": "webservice",
    "from_number": SENDER,
    "message": "سلام",
    "params": {"recipients": ["+989120000000"]},
}


@pytest.fixture
def original(tmp_path: Path, clock: FakeClock) -> SandboxApp:
    return SandboxApp(tmp_path / "original", clock=clock, sleep=lambda _: None, api="original")


def sent_id(app: SandboxApp) -> str:
    response = call(app, "POST", "/api/send", json=WEBSERVICE)
    assert response.status == 200, response.body
    return str(response.json()["data"]["message_outbox_ids"][0])


def test_modes_are_current_and_original_and_current_is_the_default(app: SandboxApp) -> None:
    assert API_MODES == ("current", "original")
    assert app.api == "current"


def test_original_mode_serves_the_documented_flow(original: SandboxApp, clock: FakeClock) -> None:
    login = call(
        original,
        "POST",
        "/api/acl/auth/login",
        json={"username": "demo", "password": "demo-password"},
        key=None,
    )
    assert login.status == 200
    assert call(original, "POST", "/api/acl/auth/check_token").status == 200
    outbox_id = sent_id(original)
    clock.advance(90)
    listed = call(original, "POST", "/api/report/new_list", json={"page": 1, "limit": 10})
    assert [r["messages_outbox_id"] for r in listed.json()["data"]] == [outbox_id]
    by_bulk = call(original, "POST", f"/api/report/by_bulk/{outbox_id}", json={})
    assert by_bulk.json()["data"]["state_id"] == 6
    query = {"bulk_id": outbox_id}
    assert call(original, "GET", "/api/report/bulk_stats", query=query).status == 200
    assert call(original, "GET", "/api/report/recipients", query=query).status == 200
    assert call(original, "POST", "/api/acl/auth/logout").status == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/payment/credit/mine", None),
        ("POST", "/api/send/calculate-price", {"number": SENDER, "message": "x"}),
        ("POST", "/api/send/cancel", {"message_outbox_id": 1123544244}),
        ("GET", "/api/number/numbers", None),
        ("GET", "/api/numbers", None),
        ("GET", "/api/patterns", None),
        ("GET", "/api/patterns/otp0077login", None),
        ("POST", "/api/report/messages-inbox", {}),
        ("GET", "/api/report/by_bulk?messages_outbox_id=1123544244", None),
    ],
)
def test_newer_endpoints_are_unknown_routes_in_original_mode(
    original: SandboxApp, app: SandboxApp, method: str, path: str, body: Any
) -> None:
    sent_id(original)
    response = call(original, method, path, json=body)
    assert response.status == 404
    assert response.json()["meta"]["message"] == "مسیر یافت نشد"
    assert call(app, method, path, json=body).json()["meta"]["message"] != "مسیر یافت نشد"


def test_the_file_sending_type_does_not_exist_in_original_mode(original: SandboxApp) -> None:
    content_type, raw = multipart(
        {"sending_type": "file", "from_number": SENDER, "message": "سلام"},
        [("files[]", "numbers.csv", b"phone_number\n09120000000\n")],
    )
    response = call(original, "POST", "/api/send", body=raw, content_type=content_type)
    assert response.status == 422
    assert response.json()["meta"]["errors"] == {"sending_type": ["نوع ارسال پشتیبانی نمی‌شود"]}


def test_a_known_path_with_another_method_is_still_405(original: SandboxApp) -> None:
    assert call(original, "GET", "/api/send").status == 405
    assert call(original, "GET", "/api/acl/auth/check_token").status == 405
    assert call(original, "GET", "/api/report/by_bulk/1123544244").status == 405


def test_mode_switches_over_the_control_endpoint_for_every_process(
    app: SandboxApp, tmp_path: Path, clock: FakeClock
) -> None:
    assert call(app, "GET", "/api/payment/credit/mine").status == 200
    switched = call(app, "POST", "/__sandbox__/mode", json={"api": "original"}, key=None)
    assert switched.json()["data"] == {"api": "original"}
    other = SandboxApp(tmp_path / "state", clock=clock, sleep=lambda _: None)  # a later process
    assert other.api == "original"
    assert call(other, "GET", "/api/payment/credit/mine").status == 404
    assert call(app, "GET", "/__sandbox__/mode", key=None).json()["data"] == {"api": "original"}
    call(app, "POST", "/__sandbox__/mode", json={"api": "current"}, key=None)
    assert call(other, "GET", "/api/payment/credit/mine").status == 200


def test_unknown_mode_is_refused(app: SandboxApp) -> None:
    response = call(app, "POST", "/__sandbox__/mode", json={"api": "legacy"}, key=None)
    assert response.status == 422
    assert list(response.json()["meta"]["errors"]) == ["api"]
    with pytest.raises(ValueError, match="legacy"):
        app.set_api("legacy")
    assert app.api == "current"


def test_every_original_endpoint_is_a_route_the_sandbox_has() -> None:
    from runner.sandbox.routes import ROUTES

    assert set(ROUTES) >= ORIGINAL_ENDPOINTS
