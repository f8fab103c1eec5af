"""The sandbox over real HTTP on 127.0.0.1: answers, dropped connections, slow answers."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from runner.sandbox import DEMO_API_KEY, SandboxApp
from runner.sandbox.server import SandboxServer, start_in_thread


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[SandboxApp, SandboxServer, str]]:
    app = SandboxApp(tmp_path / "state")
    server, base_url = start_in_thread(app)
    yield app, server, base_url
    server.shutdown()
    server.server_close()


def post(base_url: str, path: str, body: Any, timeout: float = 5.0) -> tuple[int, Any]:
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json", "Authorization": DEMO_API_KEY}
        conn.request("POST", parts.path + path, json.dumps(body).encode(), headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def webservice(recipient: str) -> dict[str, Any]:
    return {
        "sending_type": "webservice",
        "from_number": "+983000505",
        "message": "سلام",
        "params": {"recipients": [recipient]},
    }


def test_send_over_http_answers_with_the_envelope(served: Any) -> None:
    _, _, base_url = served
    assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
    status, payload = post(base_url, "/api/send", webservice("+989120000000"))
    assert status == 200
    assert payload["data"] == {"message_outbox_ids": [1123544244]}


def test_drop_after_commit_closes_the_socket_but_the_send_is_stored(served: Any) -> None:
    app, _, base_url = served
    status, _ = post(base_url, "/__sandbox__/faults", {"kind": "drop_after_commit"})
    assert status == 200
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        post(base_url, "/api/send", webservice("+989120000000"))
    assert [m.recipient for m in app.store.committed_messages()] == ["+989120000000"]


def test_delay_after_commit_outlasts_a_short_client_timeout(served: Any) -> None:
    app, _, base_url = served
    app.faults.add("delay_after_commit", seconds=0.5)
    with pytest.raises(socket.timeout):
        post(base_url, "/api/send", webservice("+989120000000"), timeout=0.1)
    assert len(app.store.committed_messages()) == 1


def test_concurrent_sends_all_commit_with_distinct_ids(served: Any) -> None:
    app, _, base_url = served
    recipients = [f"+98912000{i:04d}" for i in range(16)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda r: post(base_url, "/api/send", webservice(r)), recipients))
    ids = [payload["data"]["message_outbox_ids"][0] for _, payload in results]
    assert sorted(ids) == list(range(1123544244, 1123544244 + 16))
    assert len(app.store.committed_messages()) == 16
