"""Online checks: sender among the account's lines, pattern active with matching variables.

A fake account (httpx.MockTransport) answers the look-ups; the CLI runs ``plan --online``
and apply against it and the tests assert the messages (file:line), the exit code and
that nothing was sent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from helpers import Invoke

from runner.cli import AppContext, cli
from runner.sandbox import SandboxApp
from runner.sandbox.testing import FakeClock

LINES = ["+983000505", "+98BANK", "+9810001234"]
PATTERN = {
    "pattern_code": "welcome77",
    "pattern_status": "active",
    "pattern_status_fa": "فعال",
    "admin_comment": "",
    "pattern_message": "%name% عزیز، کد شما %code%",
    "variable": [
        {"name": "name", "type": "string", "len": 20},
        {"name": "code", "type": "integer"},
    ],
}
CAMPAIGN = """\
version: 1
name: welcome
type: pattern
sender: "{sender}"
pattern:
  code: welcome77
  params:
{params}recipients:
  - file: people.csv
"""
PARAMS = '    name: "{{ name }}"\n    code: "{{ code }}"\n'


def envelope(data: Any, status: int = 200, **meta: Any) -> httpx.Response:
    return httpx.Response(
        status, json={"data": data, "meta": {"status": status == 200, "message": "x", **meta}}
    )


class Account:
    """A fake IPPanel account: its lines (two to a page), its patterns, and every send."""

    def __init__(self, patterns: dict[str, dict[str, Any]] | None = None, *, missing: bool = False):
        self.patterns = {"welcome77": PATTERN} if patterns is None else patterns
        self.missing = missing  # the older API: no numbers or pattern endpoints at all
        self.sent: list[Any] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1")
        if path == "/api/send":
            self.sent.append(json.loads(request.content))
            return envelope({"message_outbox_ids": [len(self.sent)]})
        if path == "/api/payment/credit/mine":
            return envelope({"credit": 1e9, "gift": 0})
        if self.missing and (path.startswith("/api/patterns") or "numbers" in path):
            return envelope(None, 404, message="مسیر یافت نشد", message_code="404-1")
        if path == "/api/number/numbers":
            page = int(request.url.params.get("page", 1))
            rows = [{"id": i, "number": n} for i, n in enumerate(LINES)][(page - 1) * 2 : page * 2]
            return envelope(rows, current_page=page, last_page=2, per_page=2, total=3)
        if path == "/api/patterns":
            return envelope(list(self.patterns.values()), current_page=1, last_page=1)
        code = path.removeprefix("/api/patterns/")
        if code in self.patterns:
            return envelope(self.patterns[code])
        return envelope(None, 404, message="الگو یافت نشد", message_code="404-1")


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "people.csv").write_text(
        "phone,name,code\n09120000000,مریم,00077\n09350000000,Reza,12a\n", encoding="utf-8"
    )
    return tmp_path


def campaign(folder: Path, *, sender: str = "+983000505", params: str = PARAMS) -> str:
    (folder / "welcome.yaml").write_text(
        CAMPAIGN.format(sender=sender, params=params), encoding="utf-8"
    )
    return "welcome.yaml"


def run(account: Account, clock: FakeClock, home: Path, *args: str) -> Result:
    env = {"HOME": str(home), "IPPANEL_API_KEY": "k", "IPPANEL_CONFIG_DIR": str(home / "c")}
    app = AppContext(
        now=clock.now, sleep=clock.sleep, env=env, transport=httpx.MockTransport(account)
    )
    return CliRunner().invoke(cli, list(args), obj=app, catch_exceptions=False)


def digits_only(folder: Path) -> None:
    (folder / "people.csv").write_text(
        "phone,name,code\n09120000000,مریم,00077\n09350000000,Reza,12\n", encoding="utf-8"
    )


def test_a_sender_that_is_not_the_accounts_line_is_an_error_naming_its_line(
    folder: Path, clock: FakeClock, home: Path
) -> None:
    digits_only(folder)
    path = campaign(folder, sender="+9830005050")

    result = run(Account(), clock, home, "plan", "--online", path)

    assert result.exit_code == 2
    assert (
        "welcome.yaml:4:1: sender +9830005050 is not one of the account's lines (+983000505, "
        "+98BANK, +9810001234)"
    ) in result.stderr


def test_a_line_on_the_second_page_is_found(folder: Path, clock: FakeClock, home: Path) -> None:
    digits_only(folder)
    result = run(Account(), clock, home, "plan", "--online", campaign(folder, sender="+9810001234"))
    assert result.exit_code == 0, result.output


def test_params_must_match_the_patterns_variables(
    folder: Path, clock: FakeClock, home: Path
) -> None:
    digits_only(folder)
    path = campaign(folder, params='    name: "{{ name }}"\n    nmae: "{{ name }}"\n')

    result = run(Account(), clock, home, "plan", "--online", path)

    assert result.exit_code == 2
    assert (
        "welcome.yaml:7:3: pattern.params lacks code, a variable of pattern welcome77 "
        "(its variables: name (string), code (integer))"
    ) in result.stderr
    assert "welcome.yaml:9:11: pattern.params.nmae is not a variable of pattern welcome77" in (
        result.stderr
    )


def test_an_integer_variable_must_render_to_digits(
    folder: Path, clock: FakeClock, home: Path
) -> None:
    result = run(Account(), clock, home, "plan", "--online", campaign(folder))

    assert result.exit_code == 2
    assert (
        "welcome.yaml:9:11: pattern.params.code renders to '12a' for +989350000000, but code is "
        "an integer variable of pattern welcome77: it must be digits (0-9)"
    ) in result.stderr


def test_an_unknown_pattern_is_an_error(folder: Path, clock: FakeClock, home: Path) -> None:
    digits_only(folder)
    result = run(Account(patterns={}), clock, home, "plan", "--online", campaign(folder))
    assert result.exit_code == 2
    assert "welcome.yaml:6:3: pattern welcome77 does not exist in this account" in result.stderr


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("inactive", "is inactive (رد شده); the reviewer wrote: no site"),
        ("pending", "is pending (waiting for IPPanel's approval); a send with it fails"),
    ],
)
def test_a_pattern_that_is_not_active_is_an_error(
    folder: Path, clock: FakeClock, home: Path, status: str, words: str
) -> None:
    digits_only(folder)
    pattern = {**PATTERN, "pattern_status": status, "pattern_status_fa": "رد شده"}
    if status == "inactive":
        pattern["admin_comment"] = "no site"
    else:
        pattern["pattern_status_fa"] = ""
    account = Account(patterns={"welcome77": pattern})

    result = run(account, clock, home, "plan", "--online", campaign(folder))

    assert result.exit_code == 2
    assert f"welcome.yaml:6:3: pattern welcome77 {words}" in result.stderr


def test_apply_refuses_before_sending_anything(folder: Path, clock: FakeClock, home: Path) -> None:
    account = Account()

    result = run(account, clock, home, "--yes", campaign(folder, sender="+98999"))

    assert result.exit_code == 2
    assert "sender +98999 is not one of the account's lines" in result.stderr
    assert "nothing was sent" in result.stderr
    assert account.sent == []
    assert not (folder / "welcome.lock.json").exists()


def test_apply_sends_when_everything_matches(folder: Path, clock: FakeClock, home: Path) -> None:
    digits_only(folder)
    account = Account()

    result = run(account, clock, home, "--yes", campaign(folder))

    assert result.exit_code == 0, result.output
    assert [b["params"] for b in account.sent] == [
        {"name": "مریم", "code": "00077"},
        {"name": "Reza", "code": "12"},
    ]


def test_missing_endpoints_are_warnings_and_do_not_stop_a_send(
    folder: Path, clock: FakeClock, home: Path
) -> None:
    account = Account(missing=True)

    result = run(account, clock, home, "--yes", campaign(folder))

    assert result.exit_code == 0, result.output
    assert "warning: welcome.yaml: could not check that sender +983000505 is one of" in (
        result.stderr
    )
    assert "warning: welcome.yaml: could not check pattern welcome77: the API has no pattern" in (
        result.stderr
    )
    assert len(account.sent) == 2


# -- against the sandbox's patterns and lines ------------------------------------------------

SANDBOX_CAMPAIGN = """\
version: 1
name: sandbox-pattern
type: pattern
sender: "+983000505"
pattern:
  code: {code}
  params:
{params}recipients:
  - file: people.csv
"""


@pytest.mark.parametrize(
    ("code", "params", "expected"),
    [
        ("nowruz1406ptrn", '    name: "{{ name }}"\n    code: "{{ code }}"\n', ""),
        (
            "otp0077login",
            '    code: "{{ code }}"\n',
            "sandbox.yaml:8:11: pattern.params.code renders to '12a' for +989350000000, but "
            "code is an integer variable of pattern otp0077login: it must be digits (0-9)",
        ),
        (
            "yalda1404ptrn",
            '    name: "{{ name }}"\n',
            "sandbox.yaml:6:3: pattern yalda1404ptrn is pending",
        ),
        (
            "oldpromo1403",
            '    percent: "{{ code }}"\n',
            "sandbox.yaml:6:3: pattern oldpromo1403 is inactive (رد شده)",
        ),
        ("nosuchpattern", '    name: "{{ name }}"\n', "pattern nosuchpattern does not exist"),
    ],
)
def test_the_sandbox_checks_patterns_as_the_api_would(
    invoke: Invoke, folder: Path, code: str, params: str, expected: str
) -> None:
    (folder / "sandbox.yaml").write_text(
        SANDBOX_CAMPAIGN.format(code=code, params=params), encoding="utf-8"
    )

    result = invoke("plan", "--sandbox", "--format", "json", "sandbox.yaml")

    assert result.exit_code == (2 if expected else 0), result.output
    assert expected in result.stderr


def test_an_api_without_the_newer_endpoints_gets_warnings(
    invoke: Invoke, folder: Path, clock: FakeClock
) -> None:
    SandboxApp(folder / ".ippanel-sandbox", clock=clock, api="original")
    digits_only(folder)
    (folder / "sandbox.yaml").write_text(
        SANDBOX_CAMPAIGN.format(code="nowruz1406ptrn", params=PARAMS), encoding="utf-8"
    )

    result = invoke("plan", "--sandbox", "--format", "json", "sandbox.yaml")

    assert result.exit_code == 0, result.output
    assert "warning: sandbox.yaml: could not check that sender +983000505 is one of" in (
        result.stderr
    )
    assert "warning: sandbox.yaml: could not check pattern nowruz1406ptrn" in result.stderr
