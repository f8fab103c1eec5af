"""The command line: the only package that imports click.

``base`` holds the group, the I/O seams (``AppContext``) and the one place errors
become exit codes; ``console`` the terminal output (progress, summaries). Each
other module adds one command group when imported: ``plans`` (validate, plan,
schema), ``sending`` (apply), ``report``, ``account`` (login), ``sandbox``, ``resolve``,
``cancel``, ``status``, ``new``, ``replies``.
"""

from __future__ import annotations

import sys

from runner.cli import (
    account,
    cancel,
    new,
    plans,
    replies,
    report,
    resolve,
    sandbox,
    sending,
    status,
)
from runner.cli.base import AppContext, cli

__all__ = [
    "AppContext",
    "account",
    "cancel",
    "cli",
    "main",
    "new",
    "plans",
    "replies",
    "report",
    "resolve",
    "sandbox",
    "sending",
    "status",
]


def main() -> None:
    """Console entry point: UTF-8 output whatever the locale."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")
    cli(prog_name="ippanel-run")
