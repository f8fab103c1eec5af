"""The login flow: login / sms (with resend) / ga → cached token; check; logout."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.api.client import IPPanelClient
from runner.api.credentials import (
    TOKEN_LIFETIME_SECONDS,
    CachedToken,
    load_token,
    resolve_credential,
    save_token,
)
from runner.api.login import GA_PROMPT, SMS_PROMPT, check, logout, run_login
from runner.errors import ApiError, AuthenticationError, CredentialsError

NOW = 1_760_000_000.0
FINAL = "final-token-abcdef"


def ok(data: Any) -> httpx.Response:
    return httpx.Response(200, json={"data": data, "meta": {"status": True, "message": "انجام شد"}})


UNAUTHORIZED = httpx.Response(
    401,
    json={
        "data": None,
        "meta": {
            "status": False,
            "message": "اطلاعات وارد شده صحیح نمی باشد",
            "message_code": "400-1",
        },
    },
)


class FakeAuth:
    """A fake auth API: the login method, the OTP it expects, and a new token per resend."""

    def __init__(self, method: str, otp: str = "123456") -> None:
        self.method = method
        self.otp = otp
        self.temp = "temp-0"
        self.calls: list[tuple[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1/api/acl/auth/")
        body = json.loads(request.content) if request.content else None
        self.calls.append((path, body))
        if path == "login":
            token = FINAL if self.method == "login" else self.temp
            return ok({"method": self.method, "token": token})
        if path == "send_sms_otp":
            self.temp = f"temp-{len(self.calls)}"
            return ok({"method": "sms", "token": self.temp})
        if path == "confirm_otp":
            if body != {"token": self.temp, "otp": self.otp}:
                return UNAUTHORIZED
            return ok({"method": "login", "token": FINAL})
        if path == "check_token":
            return ok({"user_name": "ali", "user_id": "58745", "name": "Ali"})
        if path == "logout":
            return ok(None)
        return httpx.Response(404, json={})


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"IPPANEL_CONFIG_DIR": str(tmp_path / "cfg"), "HOME": str(tmp_path)}


def client_for(api: FakeAuth, credential: str | None = None) -> IPPanelClient:
    return IPPanelClient(credential, transport=httpx.MockTransport(api), sleep=lambda _: None)


class Prompts:
    def __init__(self, *answers: str) -> None:
        self._answers: Iterator[str] = iter(answers)
        self.asked: list[str] = []
        self.told: list[str] = []

    def ask(self, prompt: str) -> str:
        self.asked.append(prompt)
        return next(self._answers)

    def login(self, api: FakeAuth, env: dict[str, str]) -> Any:
        return run_login(
            client_for(api),
            "ali",
            "pa55",
            ask_otp=self.ask,
            notify=self.told.append,
            now=lambda: NOW,
            env=env,
        )


def test_method_login_caches_the_token_at_once(env: dict[str, str]) -> None:
    api = FakeAuth("login")
    prompts = Prompts()
    cached = prompts.login(api, env)
    assert prompts.asked == []
    assert [c[0] for c in api.calls] == ["login"]
    assert (cached.token, cached.expires_at, cached.username) == (FINAL, int(NOW) + 36000, "ali")
    assert cached.base_url == "https://edge.ippanel.com/v1"
    assert load_token(env) == cached
    assert resolve_credential(env, now=lambda: NOW + TOKEN_LIFETIME_SECONDS - 1).value == FINAL
    assert "Logged in as ali" in prompts.told[-1]


def test_sms_login_asks_for_the_texted_code(env: dict[str, str]) -> None:
    api = FakeAuth("sms")
    prompts = Prompts(" 123456 ")
    assert prompts.login(api, env).token == FINAL
    assert prompts.asked == [SMS_PROMPT]
    assert api.calls == [
        ("login", {"username": "ali", "password": "pa55"}),
        ("confirm_otp", {"token": "temp-0", "otp": "123456"}),
    ]


def test_sms_login_resends_on_empty_answer_or_resend_and_uses_the_new_token(
    env: dict[str, str],
) -> None:
    api = FakeAuth("sms")
    prompts = Prompts("", "resend", "123456")
    assert prompts.login(api, env).token == FINAL
    assert prompts.asked == [SMS_PROMPT] * 3
    assert [c for c in api.calls if c[0] != "login"] == [
        ("send_sms_otp", {"token": "temp-0"}),
        ("send_sms_otp", {"token": "temp-2"}),
        ("confirm_otp", {"token": "temp-3", "otp": "123456"}),
    ]
    assert prompts.told.count("A new code was sent by SMS.") == 2


def test_ga_login_asks_for_the_authenticator_code(env: dict[str, str]) -> None:
    api = FakeAuth("ga", otp="654321")
    prompts = Prompts("", "654321")
    assert prompts.login(api, env).token == FINAL
    assert prompts.asked == [GA_PROMPT, GA_PROMPT]
    assert [c[0] for c in api.calls] == ["login", "confirm_otp"]


def test_a_wrong_code_saves_nothing(env: dict[str, str]) -> None:
    with pytest.raises(AuthenticationError):
        Prompts("000000").login(FakeAuth("ga"), env)
    assert load_token(env) is None


def test_endless_empty_answers_stop(env: dict[str, str]) -> None:
    with pytest.raises(CredentialsError, match="no authenticator code"):
        Prompts(*[""] * 10).login(FakeAuth("ga"), env)


def test_an_unknown_method_is_an_api_error(env: dict[str, str]) -> None:
    with pytest.raises(ApiError, match="unknown login method: 'fido'"):
        Prompts().login(FakeAuth("fido"), env)


def test_check_returns_who_the_token_belongs_to() -> None:
    api = FakeAuth("login")
    account = check(client_for(api, FINAL))
    assert (account.user_name, account.user_id, account.name) == ("ali", 58745, "Ali")


def test_logout_ends_the_session_and_forgets_the_token(env: dict[str, str]) -> None:
    api = FakeAuth("login")
    Prompts().login(api, env)
    assert logout(client_for(api, FINAL), env) is True
    assert api.calls[-1] == ("logout", None)
    assert load_token(env) is None


def test_logout_forgets_a_token_the_server_no_longer_accepts(env: dict[str, str]) -> None:
    save_token(env, CachedToken("old", int(NOW), "ali", "https://edge.ippanel.com/v1"))
    rejecting = IPPanelClient("old", transport=httpx.MockTransport(lambda _: UNAUTHORIZED))
    assert logout(rejecting, env) is True
    assert load_token(env) is None
