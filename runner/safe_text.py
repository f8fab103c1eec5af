"""Text from files and answers made safe for where it is shown: messages, terminals, CSV cells.

Replies are typed by strangers, campaign files may come from a pull request, and API
answers are not ours: a control character could move a terminal's cursor or recolour
it, a bidirectional override could make it show something other than what is there,
a newline in a one-line field could forge a line of a plan, a cell starting with
``=`` is a formula to a spreadsheet, and an 8 MB "line" quoted whole is a flood (or a
leaked secret). Whatever of them is shown goes through here: control characters and
bidi overrides become ``?``, one-line fields stay on one line, values are quoted as
short excerpts, CSV cells never start a formula.
"""

from __future__ import annotations

import re
import unicodedata

# Bidirectional overrides and isolates: a terminal would show text other than what it is.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXCERPT = 40
_BREAKS = "\n\r\t\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# A plain number (+989120000000, -3) is not a formula: it runs nothing.
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def printable(text: str, limit: int = 60) -> str:
    """``text`` on one line without control characters or bidi overrides, clipped to ``limit``.

    Line breaks become spaces; joiners such as the Persian ZWNJ stay (words need them).
    """
    shown = one_line(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def one_line(text: str) -> str:
    """``text`` on one line (breaks become spaces), hidden characters shown as ``?``; unclipped.

    For one-line fields (a description, an error from the API): a newline in them
    cannot start a line of its own, so it cannot forge one.
    """
    return "".join(" " if c in _BREAKS else "?" if _hidden(c) else c for c in text)


def inert(text: str) -> str:
    """``text`` with its line breaks, every other control character or bidi override a ``?``.

    For text shown as lines (a message sample): ANSI escapes (``\\x1b[2J``), bells and
    carriage returns reach the terminal as ``?``, never as what they would do.
    """
    return "".join(c if c in "\n\t" else "?" if _hidden(c) else c for c in text)


def _hidden(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS


def excerpt(value: object, limit: int = EXCERPT) -> str:
    """``value`` quoted like ``repr``, clipped to ``limit`` characters, with its length if clipped.

    ``'0912345'``; ``'xxxxxxxx…' (8,912,345 characters)``. ``repr`` escapes control
    characters, so an excerpt is always one safe line.
    """
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return repr(text)
    quoted = repr(text[:limit])
    return f"{quoted[:-1]}…{quoted[-1]} ({len(text):,} characters)"


def csv_cell(text: object) -> str:
    """A CSV cell a spreadsheet shows as text: a leading formula character gets a ``'``.

    Plain numbers (``+989120000000``, ``-3``) stay as they are: they run nothing.
    """
    cell = "" if text is None else str(text)
    if cell.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def mask_phone(phone: str) -> str:
    """``+989121234567`` → ``+98912•••••67``: enough to tell numbers apart in a shared file."""
    if len(phone) <= 8:
        return "•" * len(phone)
    return phone[:6] + "•" * (len(phone) - 8) + phone[-2:]
