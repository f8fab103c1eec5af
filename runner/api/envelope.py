"""The IPPanel Edge API's answer envelope: success → ``Envelope``, anything else → ``ApiError``.

``{"data": ..., "meta": {"status", "message", "message_code", "errors"}}``. Success
needs HTTP 200 (or 201) *and* ``meta.status`` true: a third-party client reports
errors that came back as 200 with ``meta.status`` false. The API's message is
kept exactly as sent (often Persian). An answer without the envelope (a gateway's
HTML page, an empty body) raises an error with ``enveloped`` false: the API may
never have seen the request, or may have stored it. Nothing here does I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from runner.errors import (
    ApiError,
    ApiValidationError,
    AuthenticationError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)


@dataclass(frozen=True)
class Envelope:
    """A successful answer: the envelope's ``data`` and ``meta``."""

    data: Any
    meta: Mapping[str, Any]


def _errors(value: object) -> dict[str, list[str]]:
    # PHP serializes an empty map as [], and a field may carry one string instead of a list.
    if not isinstance(value, Mapping):
        return {}
    return {
        str(k): [str(m) for m in v] if isinstance(v, list) else [str(v)] for k, v in value.items()
    }


def _error_class(status: int, code: str) -> type[ApiError]:
    # Only HTTP 401 means the credential was refused: the API also uses ``400-1`` for business
    # errors (HTTP 400 "number already assigned", HTTP 404 for a cancel of an unknown message).
    if status == 404:
        return NotFoundError
    if status == 401:
        return AuthenticationError
    if status == 429:
        return RateLimitedError
    if status >= 500:
        return ServerError
    if status == 422 or code in ("400-2", "422-1"):
        return ApiValidationError
    return ApiError


_DEFAULT_MESSAGES: dict[type[ApiError], str] = {
    AuthenticationError: "the API key or login token was not accepted",
    NotFoundError: "not found",
    RateLimitedError: "the API refused an identical request made within 40 seconds; "
    "the first one may have been sent",
    ServerError: "the API failed",
}


def missing_endpoint(err: ApiError) -> bool:
    """Whether ``err`` says the endpoint itself does not exist (an older API lacks it)."""
    return err.status in (404, 405)


def decode_response(
    status: int, content: bytes, secrets: Sequence[str] = (), retry_after: float | None = None
) -> Envelope:
    """The envelope of a successful answer (HTTP 200/201 and ``meta.status`` true), else raise.

    ``secrets`` are blanked out of every message, in case the API echoes one back;
    ``retry_after`` (a 429's header, in seconds) is kept on the error raised.
    """
    try:
        return _decode(status, content, secrets)
    except ApiError as err:
        err.retry_after = retry_after
        raise


def _decode(status: int, content: bytes, secrets: Sequence[str]) -> Envelope:
    try:
        payload = json.loads(content)
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("meta"), dict):
        raise _non_envelope(status)
    meta: Mapping[str, Any] = payload["meta"]
    if status in (200, 201) and meta.get("status") in (True, "true"):
        return Envelope(payload.get("data"), meta)
    code = str(meta.get("message_code") or "")
    cls = _error_class(status, code)
    message = str(meta.get("message") or _DEFAULT_MESSAGES.get(cls, "the API refused the request"))
    errors = _errors(meta.get("errors")) or _errors(payload.get("errors"))
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
            errors = {k: [m.replace(secret, "***") for m in v] for k, v in errors.items()}
    raise cls(message, status=status, code=code, errors=errors)


def _non_envelope(status: int) -> ApiError:
    # Proxies and gateways answer with HTML; the status hints at what happened, but only
    # the API's own envelope says whether it stored a send.
    cls = _error_class(status, "")
    err: ApiError
    if cls in _DEFAULT_MESSAGES and cls is not ServerError:
        err = cls(_DEFAULT_MESSAGES[cls], status=status)
    elif 400 <= status < 500:
        err = ApiError(
            f"something between us and the API answered HTTP {status} without the API's "
            "JSON envelope",
            status=status,
        )
    else:
        err = ServerError(
            f"the API answered HTTP {status} with a body that is not a JSON envelope",
            status=status,
        )
    err.enveloped = False
    return err


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """A ``Retry-After`` header in seconds (delta-seconds, or a date against ``Date``)."""
    value = (headers.get("retry-after") or headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        until = parsedate_to_datetime(value)
        date = headers.get("date") or headers.get("Date")
        sent = parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        return None
    if sent is None or not isinstance(until, datetime):
        return None
    return max(0.0, (until - sent).total_seconds())
