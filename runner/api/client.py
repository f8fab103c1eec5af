"""The IPPanel Edge API client: typed calls over httpx (the only module that imports it).

Every call goes to ``{base_url}/api/...`` with the raw API key or login token in
``Authorization`` (no scheme, as the vendor's SDKs send it) and returns a frozen
dataclass from ``runner.api.types``. An answer counts as success only with HTTP
200 (or 201) *and* ``meta.status`` true; anything else raises the matching
``runner.errors.ApiError`` subclass, with the API's (often Persian) message as sent.
Here are the transport, the sends and the login steps; the reads (reports, credit,
patterns, lines, inbox) are ``runner.api.reads.ReadCalls``, which the client inherits.

Retry policy. The API has no idempotency key, so a request is repeated only
where repeating cannot send an SMS twice:

* any request, sends included, after ``ConnectFailed``: the connection was never
  made, so the request surely did not arrive;
* reads (reports, credit, price quote, check_token) also after ``RequestTimedOut``,
  ``ConnectionDropped``, a 5xx or a 429;
* a send (``send``, ``send_multipart``, ``cancel``) and the login steps are never
  repeated once the request may have gone out: the error is raised and the caller
  (the executor, which reconciles through the reports) decides.

Waits are capped exponential backoff with full jitter: ``random() * min(8, 0.5 * 2**n)``
seconds before retry ``n + 1``, through the injected ``sleep``. The credential never
appears in an exception message, a repr or a log line.

Deadlines. ``read_timeout`` bounds each wait for the server; every request also has an
overall ``deadline`` (default twice the read timeout), so a server that dribbles its
answer cannot hold a send: past it the call raises ``RequestTimedOut`` ("it may have
arrived"). An answer that is not the API's JSON envelope (a gateway's HTML page, an
empty body) raises an ``ApiError`` with ``enveloped`` false, whatever its status: it
says nothing certain about a send. A 429's ``Retry-After`` is kept on the error.
"""

from __future__ import annotations

import random
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from runner import __version__
from runner.api.credentials import DEFAULT_BASE_URL
from runner.api.deadline import DeadlineExceeded, Deadlines
from runner.api.envelope import Envelope, decode_response, retry_after_seconds
from runner.api.reads import ReadCalls
from runner.api.types import LoginStep, SendResult, parse_login_step, parse_send
from runner.errors import (
    ApiError,
    ConnectFailed,
    ConnectionDropped,
    CredentialsError,
    InputError,
    RateLimitedError,
    RequestTimedOut,
    ServerError,
    TransportError,
)

if TYPE_CHECKING:
    from runner.sandbox.wire import SandboxRequest, SandboxResponse

__all__ = ["DEFAULT_BASE_URL", "IPPanelClient", "SandboxHandler", "in_process_transport"]

BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0


class IPPanelClient(ReadCalls):
    """A session with the Edge API; use it as a context manager or call ``close()``.

    ``credential`` is the API key or login token (None for the login steps only);
    ``retries`` is how many times a request may be repeated under the policy above;
    ``transport``, ``sleep`` and ``random`` are seams for tests and the sandbox.
    """

    def __init__(
        self,
        credential: str | None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        transport: httpx.BaseTransport | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        deadline: float | None = None,
        retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random.random,
        user_agent: str | None = None,
    ) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise InputError(f"the API URL must start with https:// or http://, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.read_timeout = read_timeout
        # The longest any request may keep us waiting, however its server trickles the answer.
        self.deadline = deadline if deadline is not None else 2 * read_timeout
        self._deadlines = Deadlines()
        # A client dropped without close() still lets its threads go.
        weakref.finalize(self, self._deadlines.close)
        self._credential = credential or None
        self._retries = retries
        self._sleep = sleep
        self._random = random
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            headers={
                "Accept": "application/json",
                "User-Agent": user_agent or f"ippanel-run/{__version__} httpx/{httpx.__version__}",
            },
        )

    def __repr__(self) -> str:
        hidden = "'***'" if self._credential else "None"
        return f"IPPanelClient(base_url={self.base_url!r}, credential={hidden})"

    def __enter__(self) -> IPPanelClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()
        self._deadlines.close()

    # -- sending (never repeated once the request may have arrived) --------------------------

    def send(self, body: Mapping[str, Any], *, own_thread: bool = False) -> SendResult:
        """POST ``/api/send`` with ``body`` exactly as given (any ``sending_type``).

        ``own_thread``: the caller runs this on a thread it can abandon and keeps the
        deadline itself (the sender's lanes do), so no thread is handed the exchange.
        """
        envelope = self._call("POST", "/api/send", json=dict(body), guarded=not own_thread)
        return parse_send(envelope.data)

    def send_multipart(
        self,
        form: Mapping[str, str | Sequence[str]],
        files: Sequence[tuple[str, str]],
        *,
        own_thread: bool = False,
    ) -> SendResult:
        """POST ``/api/send`` as multipart: ``form`` fields, each file as ``files[]`` text/csv."""
        parts = [("files[]", (name, text.encode("utf-8"), "text/csv")) for name, text in files]
        envelope = self._call(
            "POST", "/api/send", data=dict(form), files=parts, guarded=not own_thread
        )
        return parse_send(envelope.data)

    def cancel(self, outbox_id: int) -> None:
        """Cancel a scheduled bulk (possible until 5 minutes before its send time)."""
        self._call("POST", "/api/send/cancel", json={"message_outbox_id": outbox_id})

    # -- login -------------------------------------------------------------------------------

    def login(self, username: str, password: str) -> LoginStep:
        body = {"username": username, "password": password}
        return parse_login_step(self._auth_step("/api/acl/auth/login", body).data)

    def send_sms_otp(self, token: str) -> LoginStep:
        return parse_login_step(
            self._auth_step("/api/acl/auth/send_sms_otp", {"token": token}).data
        )

    def confirm_otp(self, token: str, otp: str) -> LoginStep:
        body = {"token": token, "otp": otp}
        return parse_login_step(self._auth_step("/api/acl/auth/confirm_otp", body).data)

    def logout(self) -> None:
        self._call("POST", "/api/acl/auth/logout")

    # -- transport -----------------------------------------------------------------------------

    def _auth_step(self, path: str, body: Mapping[str, str]) -> Envelope:
        # Login steps carry no Authorization: the token is in the body, and may be temporary.
        return self._call("POST", path, json=dict(body), auth=False)

    def _read(self, method: str, path: str, **kwargs: Any) -> Envelope:
        return self._call(method, path, idempotent=True, **kwargs)

    def _call(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool = False,
        auth: bool = True,
        guarded: bool = True,
        **kwargs: Any,
    ) -> Envelope:
        headers = {}
        if auth:
            if self._credential is None:
                raise CredentialsError("this request needs an API key or a login token")
            headers["Authorization"] = self._credential
        attempt = 0
        while True:
            try:
                request = self._http.build_request(
                    method, self.base_url + path, headers=headers, **kwargs
                )
                exchange = self._exchange_by_deadline if guarded else self._exchange
                status, content, answer = exchange(request)
                return decode_response(
                    status, content, [self._credential or ""], retry_after_seconds(answer)
                )
            except ApiError as err:
                if attempt >= self._retries or not _may_repeat(err, idempotent):
                    raise
            self._sleep(self._random() * min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))
            attempt += 1

    def _exchange_by_deadline(self, request: httpx.Request) -> tuple[int, bytes, httpx.Headers]:
        try:
            return self._deadlines.run(lambda: self._exchange(request), self.deadline)
        except DeadlineExceeded:
            where = _where(request)
            raise RequestTimedOut(
                f"no complete answer within {self.deadline:g} s for {where}; it may have arrived"
            ) from None

    def _exchange(self, request: httpx.Request) -> tuple[int, bytes, httpx.Headers]:
        try:
            response = self._http.send(request)
        except (
            httpx.ConnectError,
            httpx.ConnectTimeout,
            httpx.PoolTimeout,  # no connection was free: the request never left
            httpx.UnsupportedProtocol,
        ) as err:
            where, why = _where(request), self._why(err)
            raise ConnectFailed(
                f"could not reach the API for {where} ({why}); nothing was sent"
            ) from err
        except (httpx.ReadTimeout, httpx.WriteTimeout) as err:
            where, why = _where(request), self._why(err)
            raise RequestTimedOut(
                f"no answer in time for {where} ({why}); it may have arrived"
            ) from err
        except httpx.TransportError as err:
            where, why = _where(request), self._why(err)
            raise ConnectionDropped(
                f"the connection broke during {where} ({why}); it may have arrived"
            ) from err
        return response.status_code, response.content, response.headers

    def _why(self, err: Exception) -> str:
        text = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        return text.replace(self._credential, "***") if self._credential else text


def _where(request: httpx.Request) -> str:
    return f"{request.method} {request.url.copy_with(query=None)}"


def _may_repeat(err: ApiError, idempotent: bool) -> bool:
    if isinstance(err, ConnectFailed):
        return True
    return idempotent and isinstance(err, (TransportError, ServerError, RateLimitedError))


class SandboxHandler(Protocol):
    """What ``in_process_transport`` needs of the sandbox: ``runner.sandbox.SandboxApp``."""

    def handle(self, request: SandboxRequest) -> SandboxResponse: ...


def in_process_transport(app: SandboxHandler) -> httpx.BaseTransport:
    """An httpx transport that hands every request to the sandbox ``app`` in this process.

    A fault the app injects *after* committing is raised as the network would show it:
    ``"drop"`` as a dropped connection, ``"timeout"`` as a read timeout (at once: the
    point is that the client gives up, not that anyone waits).
    """
    from runner.sandbox.wire import SandboxRequest

    def handler(request: httpx.Request) -> httpx.Response:
        answer = app.handle(
            SandboxRequest(
                method=request.method,
                path=request.url.path,
                query=dict(request.url.params),
                headers=dict(request.headers),
                body=request.content,
            )
        )
        if answer.after_commit == "drop":
            raise httpx.RemoteProtocolError("server disconnected without sending a response")
        if answer.after_commit == "timeout":
            raise httpx.ReadTimeout("timed out waiting for the response")
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body)

    return httpx.MockTransport(handler)
