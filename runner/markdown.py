"""Campaign data and API answers written into Markdown (plans, reports) stay plain text.

A pull request's plan is posted as a comment, so a description like
``<img src=x onerror=…>``, an ``@team`` mention, a backtick fence in a message, or a
newline that starts a fake ``Plan:`` line must reach the reader as the text it is.
"""

from __future__ import annotations

import re

from runner.safe_text import inert, one_line

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that can
# start markup inline (emphasis, code, links, HTML, entities, tables, strikethrough).
# An underscore inside a word (peer_to_peer) starts nothing, so it stays readable.
_MARKUP = re.compile(r"([\\`*\[\]<>&|~]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")
_TICKS = re.compile("`+")
# A zero-width space after "@" keeps GitHub and GitLab from notifying whoever it names.
_MENTION = "@\u200b"


def md_text(value: object) -> str:
    """``value`` as inline Markdown text on one line: no HTML, links, code or mentions."""
    return _MARKUP.sub(r"\\\1", one_line(str(value))).replace("@", _MENTION)


def md_code(value: object) -> str:
    """``value`` as an inline code span, whatever backticks it holds."""
    text = one_line(str(value))
    ticks = "`" * (_longest_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def md_fence(text: str, info: str = "text") -> str:
    """``text`` in a fenced code block whose fence is longer than any backtick run in it."""
    fence = "`" * max(3, _longest_run(text) + 1)
    return f"{fence}{info}\n{inert(text)}\n{fence}"


def _longest_run(text: str) -> int:
    return max((len(run) for run in _TICKS.findall(text)), default=0)
