"""Where the API credential and base URL come from: environment first, then a cached login.

Order: ``IPPANEL_API_KEY`` (an API key, which never expires), else the token that
``ippanel-run login`` cached in ``token.json`` under ``config_dir(env)``. The token
file holds a secret, so it is created with mode 0600 (never world-readable, not
even for an instant) and replaced atomically. The environment and the clock are
arguments: nothing here reads ``os.environ`` or the system time by itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from runner.errors import CredentialsError
from runner.files import write_atomic

DEFAULT_BASE_URL = "https://edge.ippanel.com/v1"
TOKEN_LIFETIME_SECONDS = 10 * 3600
TOKEN_FILE_NAME = "token.json"

_NOTHING_SET = (
    "no IPPanel credentials: set IPPANEL_API_KEY to an API key "
    "(Panel > Developers > Access Keys), or run `ippanel-run login`; "
    "to try everything without an account, add --sandbox"
)


@dataclass(frozen=True)
class CachedToken:
    """A login token as ``token.json`` keeps it; ``expires_at`` is unix seconds."""

    token: str = field(repr=False)
    expires_at: int
    username: str
    base_url: str

    def expired(self, now: float) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True)
class Credential:
    """The value for ``Authorization`` and where it came from, for messages."""

    value: str = field(repr=False)
    source: Literal["env", "login"]
    description: str


def base_url(env: Mapping[str, str], option: str | None = None) -> str:
    """``--api-url``, else ``IPPANEL_BASE_URL``, else the production URL; no trailing slash."""
    chosen = option or env.get("IPPANEL_BASE_URL", "").strip() or DEFAULT_BASE_URL
    return chosen.rstrip("/")


def config_dir(env: Mapping[str, str]) -> Path:
    """``$IPPANEL_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/ippanel-run``, else ``~/.config/...``."""
    if env.get("IPPANEL_CONFIG_DIR"):
        return Path(env["IPPANEL_CONFIG_DIR"])
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"]) / "ippanel-run"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".config" / "ippanel-run"


def token_path(env: Mapping[str, str]) -> Path:
    return config_dir(env) / TOKEN_FILE_NAME


def format_time(unix: float) -> str:
    return datetime.fromtimestamp(unix, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def load_token(env: Mapping[str, str]) -> CachedToken | None:
    """The cached login token, or None when there is none; a damaged file is an error."""
    path = token_path(env)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as err:
        raise CredentialsError(f"cannot read {path}: {err.strerror}") from err
    try:
        data = json.loads(raw)
        return CachedToken(
            token=str(data["token"]),
            expires_at=int(data["expires_at"]),
            username=str(data.get("username", "")),
            base_url=str(data.get("base_url", DEFAULT_BASE_URL)),
        )
    except (ValueError, TypeError, KeyError) as err:
        raise CredentialsError(
            f"{path} is damaged; delete it and run `ippanel-run login` again"
        ) from err


def save_token(env: Mapping[str, str], token: CachedToken) -> Path:
    """Write ``token.json`` atomically, readable by its owner only; returns its path."""
    path = token_path(env)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    payload = {
        "base_url": token.base_url,
        "expires_at": token.expires_at,
        "token": token.token,
        "username": token.username,
    }
    write_atomic(path, json.dumps(payload, indent=2, sort_keys=True) + "\n", mode=0o600)
    return path


def delete_token(env: Mapping[str, str]) -> bool:
    """Remove the cached token; True if there was one."""
    try:
        token_path(env).unlink()
    except FileNotFoundError:
        return False
    return True


def resolve_credential(
    env: Mapping[str, str],
    *,
    api_url: str | None = None,
    now: Callable[[], float] = time.time,
) -> Credential:
    """The credential to send: ``IPPANEL_API_KEY``, else a cached, unexpired login token.

    ``api_url`` (the resolved base URL) guards against using a token cached for another
    server, e.g. one from the sandbox against the real API.
    """
    key = env.get("IPPANEL_API_KEY", "").strip()
    if key:
        return Credential(key, "env", "IPPANEL_API_KEY")
    cached = load_token(env)
    if cached is None:
        raise CredentialsError(_NOTHING_SET)
    if cached.expired(now()):
        raise CredentialsError(
            f"your login token expired at {format_time(cached.expires_at)}; "
            "run `ippanel-run login` again (or set IPPANEL_API_KEY)"
        )
    if api_url is not None and cached.base_url.rstrip("/") != api_url.rstrip("/"):
        raise CredentialsError(
            f"your login token is for {cached.base_url}, not {api_url}; "
            f"run `ippanel-run login --api-url {api_url}` (or set IPPANEL_API_KEY)"
        )
    description = f"login token of {cached.username or 'unknown user'}, "
    description += f"valid until {format_time(cached.expires_at)}"
    return Credential(cached.token, "login", description)
