"""Client conversations with the sandbox, recorded as vcrpy cassettes and replayed in tests.

``record_cassettes.py`` runs each scenario against the sandbox served over real HTTP
and records it; ``test_client_contract.py`` replays the cassettes through the same
functions. Each scenario asserts what it gets back, so a replay checks both that
the client still sends the recorded requests and still reads the recorded answers.
``Hooks`` reach into the sandbox while recording (moving its clock) and do nothing
on replay, where the cassette already holds the later answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import vcr

from runner.api.client import IPPanelClient
from runner.errors import ApiValidationError, AuthenticationError, NotFoundError

CASSETTES = Path(__file__).resolve().parent / "cassettes"
# Recorded with this key; it must never be written to a cassette (see the contract test).
CANARY_KEY = "canary-key-5b1e0c9d-must-never-be-recorded"
SANDBOX_EPOCH = datetime(2025, 3, 20, 6, 30, tzinfo=timezone.utc)
SENDER = "+983000505"


@dataclass
class Hooks:
    """What a scenario may do besides calling the API."""

    make_client: Callable[[str | None], IPPanelClient]
    advance: Callable[[float], None]


MATCH_ON = ("method", "path", "query", "ippanel_body")
RECORDED_HOST = "127.0.0.1:8765"


def cassette_recorder(record_mode: str) -> vcr.VCR:
    """vcrpy set up for these cassettes: ``"none"`` to replay, ``"all"`` to re-record."""
    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode=record_mode,
        match_on=MATCH_ON,
        filter_headers=["authorization"],
        decode_compressed_response=True,
        before_record_request=_steady_request,
        before_record_response=_steady_response,
    )
    recorder.register_matcher("ippanel_body", match_body)
    return recorder


def _steady_request(request: Any) -> Any:
    # The sandbox listens on a random port; a fixed one keeps re-recorded files unchanged.
    request.uri = re.sub(r"^http://127\.0\.0\.1:\d+", f"http://{RECORDED_HOST}", request.uri)
    if "host" in request.headers:
        request.headers["host"] = RECORDED_HOST
    return request


def _steady_response(response: dict[str, Any]) -> dict[str, Any]:
    response["headers"] = {
        k: v for k, v in response["headers"].items() if k.lower() not in ("date", "server")
    }
    return response


def match_body(r1: Any, r2: Any) -> None:
    """Bodies equal, up to the random multipart boundary (a vcrpy matcher: it asserts)."""
    assert _normalized(r1) == _normalized(r2)


def _normalized(request: Any) -> bytes:
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    content_type = next((v for k, v in request.headers.items() if k.lower() == "content-type"), "")
    if "boundary=" in content_type:
        body = body.replace(content_type.split("boundary=", 1)[1].encode("ascii"), b"BOUNDARY")
    return bytes(body)


def webservice_and_reports(client: IPPanelClient, hooks: Hooks) -> None:
    recipients = ["+989120000001", "+989350000002", "+989190000003"]
    body = {
        "sending_type": "webservice",
        "from_number": SENDER,
        "message": "سلام، این یک پیام آزمایشی است",
        "params": {"recipients": recipients},
    }
    (outbox_id,) = client.send(body).outbox_ids
    row = client.outbox_by_id(outbox_id)
    assert (row.outbox_id, row.sender, row.recipients, row.state_id) == (outbox_id, SENDER, 3, 1)
    hooks.advance(600)
    row = client.outbox_by_id(outbox_id)
    assert row.state_id == 6
    stats = client.bulk_stats(outbox_id)
    assert sum(stats.total(c) for c in ("delivered", "failed", "blacklist", "sent")) == 3
    rows = list(client.recipients(outbox_id, per_page=2))
    assert sorted(r.recipient for r in rows) == sorted(recipients)
    assert all(r.status is not None and r.parts == 1 for r in rows)
    found = list(client.iter_outbox(limit=1, number=SENDER))
    assert [r.outbox_id for r in found] == [outbox_id]


def peer_to_peer(client: IPPanelClient, hooks: Hooks) -> None:
    body = {
        "sending_type": "peer_to_peer",
        "from_number": SENDER,
        "params": [
            {"recipients": ["+989120000001"], "message": "علی عزیز، نوروز مبارک"},
            {"recipients": ["+989350000002", "+989190000003"], "message": "دوستان عزیز، سلام"},
        ],
    }
    ids = client.send(body).outbox_ids
    assert len(ids) == 2 and ids[1] == ids[0] + 1


def peer_to_peer_file(client: IPPanelClient, hooks: Hooks) -> None:
    form = {"sending_type": "peer_to_peer_file", "from_number": SENDER}
    csv_text = "recipient,message\n+989120000001,سلام علی\n+989350000002,سلام مریم\n"
    ids = client.send_multipart(form, [("batch-1.csv", csv_text)]).outbox_ids
    assert len(ids) == 2


def pattern_and_votp(client: IPPanelClient, hooks: Hooks) -> None:
    pattern = {
        "sending_type": "pattern",
        "from_number": SENDER,
        "code": "nowruz1406ptrn",
        "recipients": ["+989120000001"],
        "params": {"name": "علی", "code": "1234"},
    }
    assert len(client.send(pattern).outbox_ids) == 1
    votp = {"sending_type": "votp", "message": "45852", "params": {"recipients": ["+989120000001"]}}
    assert len(client.send(votp).outbox_ids) == 1


def schedule_and_cancel(client: IPPanelClient, hooks: Hooks) -> None:
    body = {
        "sending_type": "webservice",
        "from_number": SENDER,
        "message": "یادآوری جلسه",
        "params": {"recipients": ["+989120000001"]},
        "send_time": "2025-03-20 08:00:00",
    }
    (outbox_id,) = client.send(body).outbox_ids
    client.cancel(outbox_id)
    assert client.outbox_by_id(outbox_id).state_id == 7
    with pytest.raises(NotFoundError):
        client.cancel(outbox_id)


def account_calls(client: IPPanelClient, hooks: Hooks) -> None:
    assert client.credit().credit > 0
    quote = client.calculate_price(SENDER, "سلام")
    assert quote.parts == 1 and quote.mci_price > 0
    assert client.check_token().user_name == "demo"


def api_errors(client: IPPanelClient, hooks: Hooks) -> None:
    with pytest.raises(AuthenticationError):
        hooks.make_client("not-a-key").credit()
    with pytest.raises(ApiValidationError) as caught:
        client.send({"sending_type": "webservice", "from_number": SENDER, "params": {}})
    assert caught.value.code == "400-2" and caught.value.errors
    with pytest.raises(NotFoundError):
        client.outbox_by_id(999)
    with pytest.raises(NotFoundError):
        pattern = {"sending_type": "pattern", "from_number": SENDER, "code": "nope"}
        client.send({**pattern, "recipients": ["+989120000001"], "params": {}})


def login_flows(client: IPPanelClient, hooks: Hooks) -> None:
    anonymous = hooks.make_client(None)
    assert anonymous.login("demo", "demo-password").method == "login"
    step = anonymous.login("sms-user", "sms-password")
    assert step.method == "sms"
    resent = anonymous.send_sms_otp(step.token)
    final = anonymous.confirm_otp(resent.token or step.token, "123456")
    assert final.method == "login" and final.token
    user = hooks.make_client(final.token)
    assert user.check_token().user_name == "sms-user"
    user.logout()
    with pytest.raises(AuthenticationError):
        user.check_token()
    step = anonymous.login("ga-user", "ga-password")
    assert step.method == "ga"
    assert anonymous.confirm_otp(step.token, "654321").token
    with pytest.raises(ApiValidationError):
        anonymous.login("demo", "wrong-password")


SCENARIOS: dict[str, Callable[[IPPanelClient, Hooks], None]] = {
    "webservice_and_reports": webservice_and_reports,
    "peer_to_peer": peer_to_peer,
    "peer_to_peer_file": peer_to_peer_file,
    "pattern_and_votp": pattern_and_votp,
    "schedule_and_cancel": schedule_and_cancel,
    "account_calls": account_calls,
    "api_errors": api_errors,
    "login_flows": login_flows,
}
