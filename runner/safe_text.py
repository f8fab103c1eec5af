"""Text from files and answers made safe for where it is shown: terminals and CSV cells.

Replies are typed by strangers and campaign files may come from a pull request: a
control character could move a terminal's cursor or recolour it, a bidirectional
override could make it show something other than what is there, and a cell starting
with ``=`` (``+``, ``-``, ``@``) is a formula to a spreadsheet.
"""

from __future__ import annotations

import unicodedata

# Bidirectional overrides and isolates: a terminal would show text other than what it is.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str, limit: int = 60) -> str:
    """``text`` without control characters or bidi overrides, clipped to ``limit``.

    Line breaks become spaces; joiners such as the Persian ZWNJ stay (words need them).
    """
    shown = "".join(" " if c in "\n\r\t" else "?" if _hidden(c) else c for c in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _hidden(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS


def csv_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: a leading formula character gets a ``'``."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
