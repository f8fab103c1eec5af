"""Where API calls go: the in-process sandbox (and which API it plays) or the real API.

``open_client`` is how every command that reaches the API gets its client: with
``--sandbox`` the simulator in ``.ippanel-sandbox/`` and its demo key (announced on
stderr), else the base URL and credential the options and environment name.
``$IPPANEL_SANDBOX_API`` switches the API the sandbox plays (``current`` or
``original``); the sandbox's state keeps the choice until it is switched back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from runner.api.client import IPPanelClient, in_process_transport
from runner.api.credentials import base_url, resolve_credential
from runner.errors import InputError

if TYPE_CHECKING:
    from runner.cli.base import AppContext

sandbox_option = click.option(
    "--sandbox",
    is_flag=True,
    help="Use the built-in IPPanel simulator (state, lockfiles and reports in "
    ".ippanel-sandbox/); nothing real is sent.",
)
api_url_option = click.option(
    "--api-url",
    metavar="URL",
    help="IPPanel API base URL [env IPPANEL_BASE_URL; default https://edge.ippanel.com/v1].",
)


# The sandbox's state folder, in the working directory: its SQLite state, and the
# lockfiles and reports of --sandbox runs (never beside the campaigns, where a real
# apply would read them).
SANDBOX_STATE = Path(".ippanel-sandbox")


@dataclass(frozen=True)
class Endpoint:
    """Where API calls go: a base URL and, for the sandbox, its in-process transport."""

    base_url: str
    transport: Any
    sandbox: bool


def endpoint(app: AppContext, *, sandbox: bool, api_url: str | None) -> Endpoint:
    """The in-process sandbox (announced on stderr), or the real API the options name."""
    if not sandbox:
        return Endpoint(base_url(app.env, api_url), app.transport, sandbox=False)
    from runner.sandbox import IN_PROCESS_BASE_URL, SandboxApp

    simulator = SandboxApp(SANDBOX_STATE, clock=app.now, api=sandbox_api(app.env))
    api = simulator.api  # asked for, or as the sandbox's state keeps it
    played = "" if api == "current" else f" ({api} API: {SANDBOX_APIS[api]})"
    click.echo(f"SANDBOX{played}: using the built-in simulator; nothing real is sent.", err=True)
    return Endpoint(IN_PROCESS_BASE_URL, in_process_transport(simulator), sandbox=True)


SANDBOX_API_ENV = "IPPANEL_SANDBOX_API"
SANDBOX_APIS = {
    "current": "every endpoint of the vendor's current documentation",
    "original": "only the endpoints of the API document the project started from: no credit, "
    "price quote, cancel, numbers, patterns, inbox or GET by_bulk",
}


def sandbox_api(env: Mapping[str, str]) -> str | None:
    """The API ``$IPPANEL_SANDBOX_API`` asks the sandbox to play; None keeps what it plays."""
    api = env.get(SANDBOX_API_ENV) or None
    if api is not None and api not in SANDBOX_APIS:
        raise InputError(
            f"{SANDBOX_API_ENV}={api!r} is not a sandbox API; use one of: "
            + ", ".join(SANDBOX_APIS)
        )
    return api


@contextlib.contextmanager
def open_client(
    app: AppContext, *, sandbox: bool, api_url: str | None, timeout: float = 30.0
) -> Iterator[IPPanelClient]:
    """The API client: the in-process sandbox, or the real API with the user's credential.

    ``timeout`` is the read timeout; no request takes longer than twice it.
    """
    target = endpoint(app, sandbox=sandbox, api_url=api_url)
    if target.sandbox:
        from runner.sandbox import DEMO_API_KEY

        credential = DEMO_API_KEY
    else:
        now = lambda: app.now().timestamp()  # noqa: E731
        credential = resolve_credential(app.env, api_url=target.base_url, now=now).value
    with IPPanelClient(
        credential,
        base_url=target.base_url,
        transport=target.transport,
        sleep=app.sleep,
        read_timeout=timeout,
    ) as client:
        yield client
