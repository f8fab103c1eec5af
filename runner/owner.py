"""Whose lockfile: the API (base URL) and the account it describes.

A lockfile records the base URL its batches went through and the account's
``user_id`` (as ``auth/check_token`` tells it). ``check_owner`` refuses, with exit
2 and what to do, a lockfile of another API or another account: trusting one would
make a run skip what it never sent (a sandbox trial taken for a send) or send again
what another account holds. Nothing here does I/O.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from runner.errors import LockfileError

if TYPE_CHECKING:
    from runner.lockfile import Lock

# The in-process sandbox's base URL (``runner.sandbox.seed.IN_PROCESS_BASE_URL``).
SANDBOX_API = "http://sandbox.ippanel.invalid/v1"


def same_api(a: str, b: str) -> bool:
    """Whether two base URLs name the same API (scheme, host case, a final slash aside)."""
    return _api_key(a) == _api_key(b)


def _api_key(url: str) -> str:
    parts = urlsplit(url.strip())
    return parts.netloc.lower() + parts.path.rstrip("/")


def check_owner(path: Path, lock: Lock, api: str, account: str) -> None:
    """Refuse ``lock`` when it describes another API or another account (exit 2).

    A lockfile that does not say (older ones, or an API that did not tell the account)
    is taken to be this API's and this account's.
    """
    if lock.api and not same_api(lock.api, api):
        raise LockfileError(_other_api(path, lock.api, api))
    if lock.account and account and lock.account != account:
        raise LockfileError(
            f"{path} records sends from IPPanel account {lock.account}, but this run's API key "
            f"or login belongs to account {account}. Nothing was sent. Use that account's key, "
            "or, if this campaign is meant for this account, move the lockfile out of the way "
            "(the account's outbox is still checked before anything is sent)."
        )


def _other_api(path: Path, recorded: str, used: str) -> str:
    if same_api(recorded, SANDBOX_API):
        return (
            f"{path} was written by a --sandbox run (nothing real was sent), but this run "
            f"sends through {used}. Nothing was sent. Remove it (`git rm {path}` if it was "
            "committed) and run again; sandbox runs now keep their lockfiles in .ippanel-sandbox/."
        )
    return (
        f"{path} records sends made through the API at {recorded}, but this run uses {used}. "
        f"Nothing was sent. If you meant that API, pass --api-url {recorded} (or set "
        "IPPANEL_BASE_URL); if the lockfile came from a trial against another API, move it out "
        "of the way and run again (the account's outbox is checked before anything is sent)."
    )
