"""The ``ippanel-run`` group: how a command line is read, and how the commands are listed.

``ippanel-run CAMPAIGN...`` means ``ippanel-run apply CAMPAIGN...``, but only for
paths that exist: an unknown word (``valdiate``) is a usage error with a suggestion,
never a campaign that fails after others were sent. The list of commands shows each
one's first sentence whole, never cut off with "...".
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from typing import Any

import click

from runner.safe_text import excerpt

# Words other tools use for our commands: ``ippanel-run init`` suggests ``new``.
SYNONYMS = {
    "init": "new",
    "create": "new",
    "list": "status",
    "ls": "status",
    "stop": "cancel",
    "abort": "cancel",
    "inbox": "replies",
}


class Cli(click.Group):
    """``ippanel-run CAMPAIGN...`` means ``ippanel-run apply CAMPAIGN...``; errors → exit codes.

    Only existing paths are applied that way: an unknown word (``valdiate``) is a usage
    error with a suggestion, never a campaign that fails after others were sent.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        words = _words(args, self._valued_options())
        if not words:
            implied = bool(args) and not {"--help", "-h", "--version"} & set(args)
        else:
            implied = words[0] not in self.commands
        if implied:
            missing = [word for word in words if not os.path.exists(word)]
            if missing and not ctx.resilient_parsing:  # shell completion parses half words
                raise click.UsageError(self._not_found(missing[0]), ctx)
            args = ["apply", *args]
        return super().parse_args(ctx, args)

    def _valued_options(self) -> set[str]:
        """Options of the implied ``apply`` that take a value (``--format json``)."""
        apply = self.commands.get("apply")
        params = apply.params if apply is not None else []
        return {
            name
            for p in params
            if isinstance(p, click.Option) and not p.is_flag and not p.count
            for name in p.opts
        }

    def _not_found(self, word: str) -> str:
        close = difflib.get_close_matches(word, list(self.commands), n=1, cutoff=0.6)
        if word.lower() in SYNONYMS:
            close = [SYNONYMS[word.lower()]]
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return (
            f"{excerpt(word)} is neither a command nor an existing file or folder{hint}; "
            "nothing was sent"
        )

    def invoke(self, ctx: click.Context) -> Any:
        # base defines the one place errors become exit codes, and imports this module.
        from runner.cli.base import AppContext, exit_code_for

        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as err:
            ctx.exit(exit_code_for(err, ctx.find_object(AppContext)))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command with its first sentence, wrapped rather than cut off."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=200)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _words(args: Sequence[str], valued: set[str]) -> list[str]:
    """The arguments that are not options or option values."""
    words: list[str] = []
    skip = False
    for index, arg in enumerate(args):
        if skip:
            skip = False
        elif arg == "--":
            words.extend(args[index + 1 :])
            break
        elif arg.startswith("-") and arg != "-":
            skip = "=" not in arg and arg in valued
        else:
            words.append(arg)
    return words
