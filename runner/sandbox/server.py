"""Serve a ``SandboxApp`` over real HTTP (stdlib ``http.server``, one thread a request).

Binds 127.0.0.1 only. The app's ``after_commit`` instruction is carried out here:
``"drop"`` closes the socket without a response; ``"timeout"`` sleeps
``delay_seconds`` and then answers (a client with a shorter timeout gives up first).
With ``byte_seconds`` (the ``slow_body`` fault) the headers go out at once and the
body one byte every ``byte_seconds``, until it is done or the client has gone, so a
client's per-read timeout never fires and only an overall deadline stops it.
"""

from __future__ import annotations

import select
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from runner.errors import SandboxError
from runner.sandbox.app import SandboxApp
from runner.sandbox.wire import SandboxRequest, SandboxResponse

HOST = "127.0.0.1"


class SandboxServer(ThreadingHTTPServer):
    """A threaded HTTP server that knows its app."""

    daemon_threads = True

    def __init__(self, app: SandboxApp, address: tuple[str, int]) -> None:
        self.app = app
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (its timeout, a simulated drop) is not a sandbox failure.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, the body waits ~40 ms for the
    # client's delayed ACK on every keep-alive request.
    disable_nagle_algorithm = True

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = SandboxRequest(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=dict(self.headers.items()),
            body=body,
        )
        response = self.server.app.handle(request)
        if response.after_commit == "drop":
            self.close_connection = True
            return
        if response.after_commit == "timeout":
            threading.Event().wait(response.delay_seconds)
        self._write(response)

    def _write(self, response: SandboxResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.byte_seconds > 0:
            self._dribble(response.body, response.byte_seconds)
        else:
            self.wfile.write(response.body)

    def _dribble(self, body: bytes, seconds: float) -> None:
        """Write ``body`` one byte every ``seconds``; stop as soon as the client has gone."""
        self.close_connection = True
        for index in range(len(body)):
            if index:
                threading.Event().wait(seconds)
                if self._client_gone():
                    return
            try:
                self.wfile.write(body[index : index + 1])
            except OSError:
                return

    def _client_gone(self) -> bool:
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return False
        try:
            peeked: bytes = self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True
        return peeked == b""

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the CLI decides what to log."""


def serve(app: SandboxApp, host: str = HOST, port: int = 0) -> SandboxServer:
    """Bind the sandbox to 127.0.0.1 (other hosts are refused); call ``serve_forever()``."""
    if host not in (HOST, "localhost"):
        raise SandboxError(f"the sandbox only listens on {HOST}, not {host}")
    try:
        return SandboxServer(app, (HOST, port))
    except OSError as err:
        raise SandboxError(f"cannot listen on {HOST}:{port}: {err}") from err


def start_in_thread(app: SandboxApp, port: int = 0) -> tuple[SandboxServer, str]:
    """Serve in a daemon thread; returns the server (``shutdown()`` it) and its base URL."""
    server = serve(app, HOST, port)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="ippanel-sandbox", daemon=True
    )
    thread.start()
    return server, server.base_url
