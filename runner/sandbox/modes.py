"""Which API the sandbox plays: the current Edge API, or only the original document's.

``current`` (the default) serves every endpoint the sandbox knows. ``original``
serves only what ``ippanel-edge-api.md`` (the 2025-04 README the project started
from) documents: the auth endpoints, ``POST /api/send`` without the ``file`` type,
``new_list``, the older ``POST by_bulk/{id}``, ``bulk_stats`` and ``recipients``.
Anything else answers 404 like an unknown route, so a client can be tested against
an API that lacks the newer endpoints (credit, price quote, cancel, numbers,
patterns, inbox, ``GET by_bulk``).

The mode is a setting in the state database, so every process using the state
directory (a CLI subprocess, the HTTP server) plays the same API.
"""

from __future__ import annotations

import sqlite3
from typing import Literal, cast, get_args

from runner.sandbox.store import get_setting, set_setting

ApiMode = Literal["current", "original"]
API_MODES: tuple[str, ...] = get_args(ApiMode)
DEFAULT_API_MODE: ApiMode = "current"
SETTING_KEY = "api_mode"

# (method, path template) of every endpoint the original document has.
ORIGINAL_ENDPOINTS: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/api/acl/auth/login"),
        ("POST", "/api/acl/auth/send_sms_otp"),
        ("POST", "/api/acl/auth/confirm_otp"),
        ("POST", "/api/acl/auth/logout"),
        ("POST", "/api/acl/auth/check_token"),
        ("POST", "/api/send"),
        ("POST", "/api/report/new_list"),
        ("POST", "/api/report/by_bulk/{id}"),
        ("GET", "/api/report/bulk_stats"),
        ("GET", "/api/report/recipients"),
    }
)
ORIGINAL_SENDING_TYPES: frozenset[str] = frozenset(
    {"normal", "webservice", "peer_to_peer", "peer_to_peer_file", "postal_code", "pattern", "votp"}
)


def check_mode(value: object) -> ApiMode:
    """``value`` as an ``ApiMode``; ValueError names the allowed modes otherwise."""
    if isinstance(value, str) and value in API_MODES:
        return cast(ApiMode, value)
    raise ValueError(f"unknown sandbox API {value!r}; expected one of {', '.join(API_MODES)}")


def get_mode(tx: sqlite3.Connection) -> ApiMode:
    return check_mode(get_setting(tx, SETTING_KEY, DEFAULT_API_MODE))


def set_mode(tx: sqlite3.Connection, mode: str) -> ApiMode:
    checked = check_mode(mode)
    set_setting(tx, SETTING_KEY, checked)
    return checked


def serves_endpoint(mode: str, method: str, template: str) -> bool:
    return mode != "original" or (method, template) in ORIGINAL_ENDPOINTS


def serves_sending_type(mode: str, sending_type: str) -> bool:
    return mode != "original" or sending_type in ORIGINAL_SENDING_TYPES
