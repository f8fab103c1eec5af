"""Sandbox login flows, token lifetimes, logout and check_token."""

from __future__ import annotations

from typing import Any

from runner.sandbox import DEMO_API_KEY, GA_OTP, SMS_OTP, SandboxApp
from runner.sandbox.testing import FakeClock, call


def login(app: SandboxApp, username: str, password: str) -> Any:
    body = {"username": username, "password": password}
    return call(app, "POST", "/api/acl/auth/login", json=body, key=None)


def check(app: SandboxApp, key: str) -> int:
    return call(app, "POST", "/api/acl/auth/check_token", key=key).status


def test_plain_login_gives_a_final_token_valid_for_10_hours(
    app: SandboxApp, clock: FakeClock
) -> None:
    data = login(app, "demo", "demo-password").json()["data"]
    assert data["method"] == "login" and len(data["token"]) == 32
    whoami = call(app, "POST", "/api/acl/auth/check_token", key=data["token"]).json()["data"]
    assert (whoami["user_name"], whoami["user_id"], whoami["name"]) == (
        "demo",
        58745,
        "Sandbox Demo",
    )
    clock.advance(10 * 3600 - 1)
    assert check(app, data["token"]) == 200
    clock.advance(1)
    assert check(app, data["token"]) == 401


def test_api_key_never_expires(app: SandboxApp, clock: FakeClock) -> None:
    clock.advance(400 * 24 * 3600)
    assert check(app, DEMO_API_KEY) == 200


def test_sms_login_needs_the_otp_and_resend_replaces_the_temporary_token(
    app: SandboxApp,
) -> None:
    first = login(app, "sms-user", "sms-password").json()["data"]
    assert first["method"] == "sms"
    assert check(app, first["token"]) == 401
    resent = call(app, "POST", "/api/acl/auth/send_sms_otp", json={"token": first["token"]})
    second = resent.json()["data"]
    assert second["method"] == "sms" and second["token"] != first["token"]
    stale = {"token": first["token"], "otp": SMS_OTP}
    assert call(app, "POST", "/api/acl/auth/confirm_otp", json=stale).status == 401
    wrong = {"token": second["token"], "otp": "000000"}
    assert call(app, "POST", "/api/acl/auth/confirm_otp", json=wrong).status == 401
    good = {"token": second["token"], "otp": SMS_OTP}
    final = call(app, "POST", "/api/acl/auth/confirm_otp", json=good).json()["data"]
    assert final["method"] == "login"
    assert check(app, final["token"]) == 200


def test_ga_login_uses_the_authenticator_code(app: SandboxApp) -> None:
    step = login(app, "ga-user", "ga-password").json()["data"]
    assert step["method"] == "ga"
    body = {"token": step["token"], "otp": GA_OTP}
    assert call(app, "POST", "/api/acl/auth/confirm_otp", json=body).status == 200


def test_temporary_token_lasts_6_minutes(app: SandboxApp, clock: FakeClock) -> None:
    step = login(app, "ga-user", "ga-password").json()["data"]
    clock.advance(6 * 60)
    body = {"token": step["token"], "otp": GA_OTP}
    assert call(app, "POST", "/api/acl/auth/confirm_otp", json=body).status == 401


def test_confirm_otp_without_otp_is_the_documented_422(app: SandboxApp) -> None:
    step = login(app, "ga-user", "ga-password").json()["data"]
    response = call(app, "POST", "/api/acl/auth/confirm_otp", json={"token": step["token"]})
    assert response.status == 422
    assert response.json()["meta"]["errors"] == {"otp": ["تکمیل گزینه otp الزامی است"]}


def test_wrong_password_is_422_1_and_unknown_user_is_401(app: SandboxApp) -> None:
    wrong = login(app, "demo", "nope")
    assert wrong.status == 422
    assert wrong.json() == {
        "errors": {"username": ["نام کاربری یا رمز عبور اشتباه است"]},
        "meta": {
            "status": False,
            "message": "درخواست معتبر نیست",
            "message_parameters": [],
            "message_code": "422-1",
        },
    }
    unknown = login(app, "nobody", "nope")
    assert unknown.status == 401
    assert unknown.json()["meta"]["message_code"] == "400-1"


def test_login_without_password_names_the_field(app: SandboxApp) -> None:
    response = call(app, "POST", "/api/acl/auth/login", json={"username": "demo"}, key=None)
    assert response.status == 422
    assert response.json()["meta"]["message"] == "تکمیل گزینه گذرواژه الزامی است"
    assert response.json()["meta"]["errors"] == {"password": ["تکمیل گزینه گذرواژه الزامی است"]}


def test_logout_invalidates_the_token_but_not_the_api_key(app: SandboxApp) -> None:
    token = login(app, "demo", "demo-password").json()["data"]["token"]
    assert call(app, "POST", "/api/acl/auth/logout", key=token).json()["data"] is None
    assert check(app, token) == 401
    assert call(app, "POST", "/api/acl/auth/logout", key=token).status == 401
    assert call(app, "POST", "/api/acl/auth/logout", key=DEMO_API_KEY).status == 200
    assert check(app, DEMO_API_KEY) == 200


def test_another_users_bulks_are_not_visible(app: SandboxApp) -> None:
    body = {
        "sending_type": "webservice",
        "from_number": "+983000505",
        "message": "hi",
        "params": {"recipients": ["+989120000000"]},
    }
    outbox_id = call(app, "POST", "/api/send", json=body).json()["data"]["message_outbox_ids"][0]
    step = login(app, "ga-user", "ga-password").json()["data"]
    confirm = {"token": step["token"], "otp": GA_OTP}
    token = call(app, "POST", "/api/acl/auth/confirm_otp", json=confirm).json()["data"]["token"]
    query = {"messages_outbox_id": str(outbox_id)}
    assert call(app, "GET", "/api/report/by_bulk", query=query, key=token).status == 404
    assert call(app, "POST", "/api/send", json=body, key=token).status == 422
