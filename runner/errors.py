"""One exception tree for everything ippanel-run reports to a user.

The CLI turns these into messages and exit codes in exactly one place
(``runner.cli``); core code raises them and never prints or exits.
Exit code 2 means the user's input is wrong (nothing was sent); exit code 1
means the API, the network or the local state failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """One problem in a user's file, located as ``path:line:col``."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        if self.line <= 0:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class RunnerError(Exception):
    """Base of every error ippanel-run reports without a traceback."""

    exit_code = 1


class InputError(RunnerError):
    """The user's input is invalid: usage, campaign file, data file, template."""

    exit_code = 2


class InvalidCampaign(InputError):
    """One or more violations in campaign or data files; nothing was sent.

    ``command`` names a command that never sends (``validate``, ``plan``): the CLI then
    ends with what to do (fix them, run it again) rather than "nothing was sent".
    """

    def __init__(self, violations: Sequence[Violation], *, command: str = "") -> None:
        self.violations = tuple(violations)
        self.command = command
        super().__init__("\n".join(str(v) for v in self.violations))


class ConfirmationRefused(InputError):
    """Sending was not confirmed (prompt declined, or no terminal and no ``--yes``)."""


class LockfileError(InputError):
    """A lockfile is corrupted, foreign or of an unknown format; it is never overwritten."""


class LockHeld(RunnerError):
    """Another ippanel-run process holds the campaign's file lock."""


class SandboxError(RunnerError):
    """The built-in sandbox could not start or its state could not be used."""


class CredentialsError(InputError):
    """No API key or cached login token, or the cached token has expired."""


class ApiError(RunnerError):
    """The IPPanel API answered with an error, or could not be reached.

    ``status`` is the HTTP status (0 when there was no response), ``code`` the
    envelope's ``meta.message_code`` and ``message`` its ``meta.message``,
    shown exactly as the API sent it (often Persian). ``enveloped`` is false when the
    answer was not the API's JSON envelope (a gateway's page, an empty body): it says
    nothing certain about a send. ``retry_after`` is a 429's ``Retry-After``, in seconds.
    """

    enveloped: bool = True
    retry_after: float | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str = "",
        errors: dict[str, list[str]] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.api_message = message
        self.errors: dict[str, list[str]] = dict(errors or {})
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [self.api_message or type(self).__name__]
        if self.status:
            parts.append(f"(HTTP {self.status}{', ' + self.code if self.code else ''})")
        for field, messages in sorted(self.errors.items()):
            parts.append(f"\n  {field}: {'; '.join(messages)}")
        return " ".join(parts[:2]) + "".join(parts[2:])


class AuthenticationError(ApiError):
    """HTTP 401: the API key or token is wrong or expired (only 401 means that)."""

    hint = (
        "check IPPANEL_API_KEY (Panel > Developers > Access Keys), or run `ippanel-run login` again"
    )


class ApiValidationError(ApiError):
    """422 / ``400-2``: the API rejected the request's fields (see ``errors``)."""


class NotFoundError(ApiError):
    """404: the outbox id, pattern or endpoint does not exist."""


class RateLimitedError(ApiError):
    """429: an identical request was made within 40 seconds; it may have been sent."""


class ServerError(ApiError):
    """5xx: the API failed; a send may or may not have happened."""


class TransportError(ApiError):
    """The network failed; see the subclasses for whether a request may have arrived."""


class ConnectFailed(TransportError):
    """The connection was never made, so the request surely did not arrive."""


class RequestTimedOut(TransportError):
    """No answer in time; the request may have been processed."""


class ConnectionDropped(TransportError):
    """The connection broke after the request was sent; it may have been processed."""
