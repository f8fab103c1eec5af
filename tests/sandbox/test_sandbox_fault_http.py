"""The new fault kinds over real HTTP on 127.0.0.1: held answers, HTML, dribbled bodies."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from runner.sandbox import DEMO_API_KEY, SandboxApp
from runner.sandbox.server import start_in_thread
from runner.sandbox.testing import FakeClock

SEND = {
    "sending_type": "webservice",
    "from_number": "+983000505",
    "message": "سلام",
    "params": {"recipients": ["+989120000000"]},
}


@pytest.fixture
def base_url(app: SandboxApp) -> Iterator[str]:
    server, url = start_in_thread(app)
    yield url
    server.shutdown()
    server.server_close()


def connect(base_url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(base_url)
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout), parts.path


def post(base_url: str, path: str, body: Any, timeout: float = 5.0) -> http.client.HTTPResponse:
    conn, prefix = connect(base_url, timeout)
    headers = {"Content-Type": "application/json", "Authorization": DEMO_API_KEY}
    conn.request("POST", prefix + path, json.dumps(body).encode(), headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def test_late_commit_holds_the_answer_then_shows_the_send_once_its_time_comes(
    app: SandboxApp, clock: FakeClock, base_url: str
) -> None:
    assert (
        post(base_url, "/__sandbox__/faults", {"kind": "late_commit", "seconds": 0.4}).status == 200
    )
    with pytest.raises(socket.timeout):
        post(base_url, "/api/send", SEND, timeout=0.1)
    assert app.committed_messages() == []
    clock.advance(0.4)
    assert [m.recipient for m in app.committed_messages()] == ["+989120000000"]


def test_gateway_html_and_retry_after_reach_the_client(base_url: str) -> None:
    post(base_url, "/__sandbox__/faults", {"kind": "gateway_html", "status": 504})
    response = post(base_url, "/api/send", SEND)
    assert (response.status, response.getheader("Content-Type")) == (504, "text/html")
    post(base_url, "/__sandbox__/faults", {"kind": "rate_limit_429", "retry_after": 7})
    response = post(base_url, "/api/send", SEND)
    assert (response.status, response.getheader("Retry-After")) == (429, "7")


def handler_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if "process_request" in t.name}


def test_slow_body_dribbles_until_the_client_gives_up(app: SandboxApp, base_url: str) -> None:
    app.faults.add("slow_body", seconds=0.05)
    before = handler_threads()
    conn, prefix = connect(base_url, timeout=1.0)
    headers = {"Content-Type": "application/json", "Authorization": DEMO_API_KEY}
    conn.request("POST", prefix + "/api/send", json.dumps(SEND).encode(), headers)
    response = conn.getresponse()  # the headers come at once
    length = int(response.getheader("Content-Length") or 0)
    started = time.monotonic()
    received = b""
    while time.monotonic() - started < 0.3:  # the client's overall deadline
        received += response.read(1)  # each byte arrives well inside the 1 s read timeout
    assert response.status == 200 and 0 < len(received) < length
    assert handler_threads() - before  # still dribbling
    conn.close()
    deadline = time.monotonic() + 2.0
    while handler_threads() - before and time.monotonic() < deadline:
        threading.Event().wait(0.02)
    assert not handler_threads() - before  # the server stopped dribbling
    assert len(app.store.committed_messages()) == 1
