"""Where the credential comes from: env key, cached login token (0600, expiry), base URL."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from runner.api.credentials import (
    DEFAULT_BASE_URL,
    CachedToken,
    Credential,
    base_url,
    config_dir,
    delete_token,
    load_token,
    resolve_credential,
    save_token,
    token_path,
)
from runner.errors import CredentialsError

NOW = 1_760_000_000.0


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "IPPANEL_CONFIG_DIR": str(tmp_path / "cfg"), **extra}


def token(expires_at: float = NOW + 3600, url: str = DEFAULT_BASE_URL) -> CachedToken:
    return CachedToken("tok-secret-123", int(expires_at), "ali", url)


def test_api_key_from_env_wins_over_a_cached_token(tmp_path: Path) -> None:
    env = env_for(tmp_path, IPPANEL_API_KEY="  key-from-env ")
    save_token(env, token())
    credential = resolve_credential(env, now=lambda: NOW)
    assert (credential.value, credential.source) == ("key-from-env", "env")


def test_cached_token_is_used_when_no_key_is_set(tmp_path: Path) -> None:
    env = env_for(tmp_path, IPPANEL_API_KEY="   ")
    save_token(env, token())
    credential = resolve_credential(env, api_url=DEFAULT_BASE_URL + "/", now=lambda: NOW)
    assert (credential.value, credential.source) == ("tok-secret-123", "login")
    assert "ali" in credential.description
    assert "valid until 2025-10-09 09:53 UTC" in credential.description


def test_an_expired_token_says_when_and_what_to_do(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    save_token(env, token(expires_at=NOW))
    with pytest.raises(CredentialsError) as caught:
        resolve_credential(env, now=lambda: NOW)
    assert "your login token expired at 2025-10-09 08:53 UTC" in str(caught.value)
    assert "run `ippanel-run login` again" in str(caught.value)
    assert caught.value.exit_code == 2


def test_no_credentials_at_all_explains_every_way_out(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError) as caught:
        resolve_credential(env_for(tmp_path), now=lambda: NOW)
    message = str(caught.value)
    assert "IPPANEL_API_KEY" in message
    assert "ippanel-run login" in message
    assert "--sandbox" in message


def test_a_token_for_another_server_is_refused(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    save_token(env, token(url="http://127.0.0.1:8765/v1"))
    with pytest.raises(CredentialsError, match=re.escape("is for http://127.0.0.1:8765/v1")):
        resolve_credential(env, api_url=DEFAULT_BASE_URL, now=lambda: NOW)


def test_token_file_is_0600_json_and_leaves_no_temp_files(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    path = save_token(env, token())
    assert path == tmp_path / "cfg" / "token.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {
        "base_url": DEFAULT_BASE_URL,
        "expires_at": int(NOW + 3600),
        "token": "tok-secret-123",
        "username": "ali",
    }
    assert path.read_text().endswith("\n")
    assert [p.name for p in path.parent.iterdir()] == ["token.json"]


def test_saving_replaces_a_world_readable_file_with_a_0600_one(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    path = token_path(env)
    path.parent.mkdir(parents=True)
    path.write_text("{}")
    path.chmod(0o644)
    save_token(env, token())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_token(env) == token()


def test_config_dir_precedence(tmp_path: Path) -> None:
    home = str(tmp_path)
    assert config_dir({"HOME": home}) == tmp_path / ".config" / "ippanel-run"
    assert config_dir({"HOME": home, "XDG_CONFIG_HOME": "/x"}) == Path("/x/ippanel-run")
    explicit = {"HOME": home, "XDG_CONFIG_HOME": "/x", "IPPANEL_CONFIG_DIR": "/c"}
    assert config_dir(explicit) == Path("/c")


def test_base_url_precedence() -> None:
    assert base_url({}) == DEFAULT_BASE_URL == "https://edge.ippanel.com/v1"
    assert base_url({"IPPANEL_BASE_URL": "http://localhost:1/v1/"}) == "http://localhost:1/v1"
    assert base_url({"IPPANEL_BASE_URL": "http://a/v1"}, "http://b/v1") == "http://b/v1"


def test_a_damaged_token_file_is_an_error_naming_it(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    path = token_path(env)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(CredentialsError, match=re.escape("token.json is damaged")):
        resolve_credential(env, now=lambda: NOW)


def test_delete_token_reports_whether_one_existed(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    assert delete_token(env) is False
    save_token(env, token())
    assert delete_token(env) is True
    assert load_token(env) is None


def test_secrets_stay_out_of_reprs() -> None:
    assert "tok-secret-123" not in repr(token())
    assert "k3y" not in repr(Credential("k3y", "env", "IPPANEL_API_KEY"))
