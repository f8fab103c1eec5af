"""The command line: the only package that imports click.

``base`` holds the group, the I/O seams (``AppContext``) and error handling;
each other module adds its commands to the group when imported.
"""

from __future__ import annotations

import sys

from runner.cli import more, plans, sending
from runner.cli.base import AppContext, cli

__all__ = ["AppContext", "cli", "main", "more", "plans", "sending"]


def main() -> None:
    """Console entry point: UTF-8 output whatever the locale."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")
    cli(prog_name="ippanel-run")
