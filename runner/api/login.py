"""``ippanel-run login``: username and password (plus an OTP when asked) → a cached token.

The API answers a login with a ``method``: ``login`` (the token is final),
``sms`` (a code was texted; ``send_sms_otp`` texts a new one and may hand back a
new temporary token) or ``ga`` (a code from an authenticator app). The final
token is valid for 10 hours and is cached by ``runner.api.credentials``. Prompts are
injected (``ask_otp``, ``notify``), so the CLI owns the terminal and tests own
the answers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping

from runner.api.client import IPPanelClient
from runner.api.credentials import (
    TOKEN_LIFETIME_SECONDS,
    CachedToken,
    delete_token,
    format_time,
    save_token,
)
from runner.api.types import Account, LoginStep
from runner.errors import ApiError, AuthenticationError, CredentialsError

# Stops a script that feeds empty answers from texting codes forever.
MAX_OTP_PROMPTS = 5

SMS_PROMPT = "Code sent by SMS (press Enter or type 'resend' for a new one)"
GA_PROMPT = "Code from your authenticator app"


def run_login(
    client: IPPanelClient,
    username: str,
    password: str,
    *,
    ask_otp: Callable[[str], str],
    notify: Callable[[str], None],
    now: Callable[[], float],
    env: Mapping[str, str],
) -> CachedToken:
    """Log in, complete the second factor the API asks for, and cache the final token."""
    step = client.login(username, password)
    if step.method == "sms":
        notify("IPPanel texted a login code to the account's mobile number.")
        step = _confirm_sms(client, step.token, ask_otp, notify)
    elif step.method == "ga":
        step = _confirm_ga(client, step.token, ask_otp)
    elif step.method != "login":
        raise ApiError(f"the API asked for an unknown login method: {step.method!r}")
    if not step.token:
        raise ApiError("the API confirmed the login but sent no token")
    cached = CachedToken(
        token=step.token,
        expires_at=int(now()) + TOKEN_LIFETIME_SECONDS,
        username=username,
        base_url=client.base_url,
    )
    path = save_token(env, cached)
    until = format_time(cached.expires_at)
    notify(f"Logged in as {username}; token saved to {path}, valid until {until}.")
    return cached


def _confirm_sms(
    client: IPPanelClient,
    token: str,
    ask_otp: Callable[[str], str],
    notify: Callable[[str], None],
) -> LoginStep:
    for _ in range(MAX_OTP_PROMPTS):
        answer = ask_otp(SMS_PROMPT).strip()
        if answer and answer.lower() != "resend":
            return client.confirm_otp(token, answer)
        resent = client.send_sms_otp(token)
        # The resend may start a new temporary token; the old one is then useless.
        token = resent.token or token
        notify("A new code was sent by SMS.")
    raise CredentialsError(f"no login code entered after {MAX_OTP_PROMPTS} prompts")


def _confirm_ga(client: IPPanelClient, token: str, ask_otp: Callable[[str], str]) -> LoginStep:
    for _ in range(MAX_OTP_PROMPTS):
        answer = ask_otp(GA_PROMPT).strip()
        if answer:
            return client.confirm_otp(token, answer)
    raise CredentialsError(f"no authenticator code entered after {MAX_OTP_PROMPTS} prompts")


def check(client: IPPanelClient) -> Account:
    """Who the client's credential belongs to; AuthenticationError if it is not accepted."""
    return client.check_token()


def logout(client: IPPanelClient, env: Mapping[str, str]) -> bool:
    """End the session on the server and forget the cached token; True if one was cached.

    An already expired or revoked token is forgotten all the same.
    """
    with contextlib.suppress(AuthenticationError):
        client.logout()
    return delete_token(env)
