"""The options and arguments several commands share, and the ``duration`` type.

Each is a click decorator a command stacks; the value arrives as a plain argument
(``--debug`` is the exception: it sets ``AppContext.debug`` and is not passed on).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from runner.cli.base import app_of
from runner.durations import parse_duration
from runner.show import write_json, write_markdown, write_text

# Plan formats: --format's choices, and how ``runner.cli.campaigns.print_plans`` writes each.
FORMATS = {"text": write_text, "json": write_json, "markdown": write_markdown}


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        app_of(ctx).debug = True
    return value


debug_option = click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_debug,
    help="Show tracebacks for errors.",
)
allow_over_limit_option = click.option(
    "--allow-over-limit",
    is_flag=True,
    help="Send (or plan) even over the campaign's limits or the account's credit.",
)
skip_invalid_option = click.option(
    "--skip-invalid",
    is_flag=True,
    help="Leave out invalid phone numbers with a warning instead of stopping.",
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    default="text",
    show_default=True,
    help="How to print the plan: text for people, json for programs, markdown for pull requests.",
)
paths_argument = click.argument(
    "paths",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, path_type=Path),
    metavar="CAMPAIGN...",
)


class Duration(click.ParamType):  # type: ignore[type-arg]
    """``30m``, ``24h``, ``3d`` → seconds."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as err:
            self.fail(str(err), param, ctx)


DURATION = Duration()
timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(0.1, 600),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for the API to answer; no request takes longer than twice this.",
)
