"""Through the CLI: send hours when apply sends now, an API without the newer endpoints, limits.

Every clock here is fixed (the CLI's seam), so these pass at any hour of the day.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from helpers import NOW, Invoke, in_sandbox

from runner.api.client import in_process_transport
from runner.cli import AppContext, cli
from runner.sandbox import DEMO_API_KEY, IN_PROCESS_BASE_URL, SandboxApp
from runner.sandbox.testing import FakeClock
from runner.schedule import tz

WEBSERVICE = "examples/webservice/maintenance-notice.yaml"
PATTERN = "examples/pattern/login-code.yaml"
P2P = "examples/peer_to_peer/nowruz-discount.yaml"
# 1405-09-05 23:10 in Tehran: outside the default send hours.
NIGHT = datetime(2026, 11, 26, 23, 10, tzinfo=tz("Asia/Tehran")).astimezone(timezone.utc)
Handler = Callable[[httpx.Request], httpx.Response]


def sandbox(workdir: Path, clock: FakeClock) -> SandboxApp:
    return SandboxApp(workdir / "api-state", clock=clock)


def deliveries(app: SandboxApp) -> Counter[str]:
    return Counter(m.recipient for m in app.store.committed_messages())


def run_against(
    app: SandboxApp, clock: FakeClock, home: Path, *args: str, wrap: Callable[[Handler], Handler]
) -> tuple[Result, list[str]]:
    """Run the CLI against ``app`` as a real API (no --sandbox), through ``wrap``; the paths."""
    seen: list[str] = []
    inner = in_process_transport(app)

    def forward(request: httpx.Request) -> httpx.Response:
        response = inner.handle_request(request)
        response.read()
        return httpx.Response(response.status_code, content=response.content)

    handler = wrap(forward)

    def recorded(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return handler(request)

    env = {
        "IPPANEL_API_KEY": DEMO_API_KEY,
        "IPPANEL_BASE_URL": IN_PROCESS_BASE_URL,
        "IPPANEL_CONFIG_DIR": str(home / "config"),
    }
    context = AppContext(
        now=clock.now, sleep=clock.sleep, env=env, transport=httpx.MockTransport(recorded)
    )
    result = CliRunner().invoke(cli, list(args), obj=context, catch_exceptions=False)
    return result, seen


def as_is(handler: Handler) -> Handler:
    return handler


def original_api(handler: Handler) -> Handler:
    """The API of the document the project started from: no credit, no price quote."""

    def serve(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/api/payment/credit/mine"):
            return httpx.Response(404, json={"data": None, "meta": {"status": False}})
        if path.endswith("/api/send/calculate-price"):
            return httpx.Response(405, text="Method Not Allowed")
        return handler(request)

    return serve


def test_sending_now_at_night_is_refused_before_any_api_call(workdir: Path, home: Path) -> None:
    clock = FakeClock(NIGHT)
    api = sandbox(workdir, clock)
    result, seen = run_against(api, clock, home, "--yes", P2P, wrap=as_is)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "examples/peer_to_peer/nowruz-discount.yaml:8:7: it is 1405-09-05 23:10 Tehran "
        "(2026-11-26), outside send_hours 08:00-22:00"
    )
    assert 'add schedule: {at: "1405-09-06 08:00", calendar: jalali}' in result.stderr
    assert result.stderr.endswith("error: 1 problem; nothing was sent\n")
    assert "Traceback" not in result.output
    assert seen == []
    assert deliveries(api) == Counter()
    assert not (workdir / "examples/peer_to_peer/nowruz-discount.lock.json").exists()


@pytest.mark.parametrize(
    ("campaign", "extra"),
    # The maintenance notice is a service message: the example itself says send_hours: any.
    [(PATTERN, ""), (WEBSERVICE, ""), (P2P, 'send_hours: "20:00-02:00"\n')],
)
def test_transactional_types_and_send_hours_any_go_out_at_night(
    workdir: Path, home: Path, campaign: str, extra: str
) -> None:
    path = workdir / campaign
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    clock = FakeClock(NIGHT)
    api = sandbox(workdir, clock)
    result, _ = run_against(api, clock, home, "--yes", campaign, wrap=as_is)
    assert result.exit_code == 0, result.output
    assert "send_hours" not in result.stderr
    assert deliveries(api)


def test_the_readmes_first_command_warns_at_night_and_sends_since_nothing_real_is_sent(
    invoke: Invoke, workdir: Path, clock: FakeClock
) -> None:
    clock.current = NIGHT
    # The README's first command, word for word, at 23:10 in Tehran.
    result = invoke("--sandbox", "--yes", "--report", P2P)
    assert result.exit_code == 0, result.output
    assert in_sandbox(workdir, P2P, ".report.html").is_file()
    assert "warning: it is 1405-09-05 23:10 Tehran (2026-11-26), outside send_hours" in (
        result.stderr
    )
    assert "(the sandbox sends anyway; nothing real is sent)" in result.stderr
    assert "nowruz-discount: sent 1 batch(es) to 4 recipient(s)" in result.stdout


def test_an_api_without_credit_and_price_endpoints_warns_and_sends(
    workdir: Path, home: Path
) -> None:
    clock = FakeClock(NOW)
    api = sandbox(workdir, clock)
    result, seen = run_against(api, clock, home, "--yes", WEBSERVICE, wrap=original_api)
    assert result.exit_code == 0, result.output
    assert (
        "warning: the API has no payment/credit/mine (HTTP 404; an older API version), so the "
        "credit was not checked"
    ) in result.stderr
    assert (
        "warning: the API has no send/calculate-price (HTTP 405; an older API version), so "
        "the cost was not checked"
    ) in result.stderr
    assert "Estimated cost: unknown (the API has no send/calculate-price)" in result.stdout
    assert seen.count("POST /v1/api/send") == 1
    assert len(deliveries(api)) == 5


def test_max_cost_refuses_when_the_api_cannot_quote_a_price(workdir: Path, home: Path) -> None:
    path = workdir / WEBSERVICE
    path.write_text(
        path.read_text(encoding="utf-8") + "limits:\n  max_cost: 1000000\n", encoding="utf-8"
    )
    clock = FakeClock(NOW)
    api = sandbox(workdir, clock)
    result, seen = run_against(api, clock, home, "--yes", WEBSERVICE, wrap=original_api)
    assert result.exit_code == 2
    assert (
        "examples/webservice/maintenance-notice.yaml:26:13: limits.max_cost is set, but the cost "
        "cannot be estimated (the API has no send/calculate-price), so the limit cannot be "
        "checked; remove max_cost, or pass --allow-over-limit"
    ) in result.stderr
    assert "POST /v1/api/send" not in seen
    assert deliveries(api) == Counter()
    allowed, _ = run_against(
        api, clock, home, "--yes", "--allow-over-limit", WEBSERVICE, wrap=original_api
    )
    assert allowed.exit_code == 0, allowed.output
    assert len(deliveries(api)) == 5


def test_max_cost_on_a_type_ippanel_cannot_quote_is_refused_saying_why(
    workdir: Path, home: Path
) -> None:
    path = workdir / PATTERN
    path.write_text(
        path.read_text(encoding="utf-8") + "limits: {max_cost: 5000}\n", encoding="utf-8"
    )
    clock = FakeClock(NOW)
    api = sandbox(workdir, clock)
    result, _ = run_against(api, clock, home, "--yes", PATTERN, wrap=as_is)
    assert result.exit_code == 2
    assert "limits.max_cost is set, but the cost cannot be estimated (IPPanel has no price " in (
        result.stderr
    )
    assert "quote for type pattern)" in result.stderr
    assert deliveries(api) == Counter()


def test_interactive_login_with_sandbox_goes_to_the_simulator_and_keeps_the_real_token(
    workdir: Path, home: Path, invoke: Invoke
) -> None:
    real = home / ".config" / "ippanel-run" / "token.json"
    real.parent.mkdir(parents=True)
    real.write_text('{"token": "real-one"}', encoding="utf-8")
    result = invoke("login", "--sandbox", input="sms-user\nsms-password\n123456\n")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("SANDBOX: using the built-in simulator")
    assert "logged in as sms-user" in result.stdout
    cached = json.loads((workdir / ".ippanel-sandbox/login/token.json").read_text())
    assert cached["base_url"] == IN_PROCESS_BASE_URL
    assert real.read_text(encoding="utf-8") == '{"token": "real-one"}'
    logout = invoke("login", "--sandbox", "--logout")
    assert logout.exit_code == 0, logout.output
    assert not (workdir / ".ippanel-sandbox/login/token.json").exists()
    assert real.read_text(encoding="utf-8") == '{"token": "real-one"}'


def test_a_test_send_at_night_goes_out_with_a_note(
    invoke: Invoke, workdir: Path, clock: FakeClock
) -> None:
    clock.current = NIGHT
    result = invoke("--sandbox", "--yes", "--test-to", "09125550000", P2P)
    assert result.exit_code == 0, result.output
    assert (
        "note: this test goes out outside send_hours 08:00-22:00 (Tehran time): an MCI number "
        "may not get a promotional SMS now, and it is still charged"
    ) in result.stdout
    assert "TEST SEND nowruz-discount → +989125550000" in result.stdout


def test_a_test_send_to_a_foreign_number_is_refused(invoke: Invoke, workdir: Path) -> None:
    result = invoke("--sandbox", "--yes", "--test-to", "+447911123456", P2P)
    assert result.exit_code == 2
    assert "--test-to +447911123456: a foreign number (+44, United Kingdom)" in result.stderr
    assert (
        not (workdir / ".ippanel-sandbox").exists()
        or not SandboxApp(
            workdir / ".ippanel-sandbox", clock=lambda: NOW
        ).store.committed_messages()
    )


def test_a_sent_postal_code_campaign_is_never_sent_to_the_bank_again(
    invoke: Invoke, workdir: Path
) -> None:
    """IPPanel picks the numbers: a second send would reach the same bank slices again."""
    campaign = "examples/postal_code/store-opening.yaml"
    assert invoke("--sandbox", "--yes", campaign).exit_code == 0
    lock = in_sandbox(workdir, campaign, ".lock.json")
    before = lock.read_bytes()
    again = invoke("--sandbox", "--yes", campaign)
    assert again.exit_code == 0 and "already sent" in again.stdout

    path = workdir / campaign
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('  - "+989350000000"', '  - "+989350000000"\n  - "+989350000001"'))
    result = invoke("--sandbox", "--yes", campaign)

    assert result.exit_code == 2
    assert (
        f"{campaign}: this postal_code campaign was already sent; sending again would target "
        "the same number bank twice. Put new recipients in a new campaign."
    ) in result.stderr
    assert lock.read_bytes() == before
