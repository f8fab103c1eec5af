"""How many SMS parts a text takes, by the GSM-7 / UCS-2 rules operators bill by.

Any character outside the GSM-7 alphabet (every Persian letter, for one) makes the
whole message UCS-2: 70 UTF-16 units fit a single part, 67 a part of a split
message. A GSM-7 message fits 160 septets, 153 a part; the extension characters
(``^{}\\[~]|€`` and form feed) take two septets each.

Operators append the opt-out text ``لغو11`` ("reply 11 to unsubscribe") to every
promotional message, on a line of its own; it is billed like the rest of the
text, and being Persian it makes an English message UCS-2. ``billed`` gives the
text as the operator sends it, so parts, the length limits and the price quote
count the suffix (IPPanel's own quote does not unless it is part of the text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
# Regexes run at C speed: parts are counted for every distinct text of a million-row campaign.
_NOT_GSM7 = re.compile("[^" + re.escape("".join(sorted(GSM7_BASIC | GSM7_EXTENSION))) + "]")
_GSM7_EXT = re.compile("[" + re.escape("".join(sorted(GSM7_EXTENSION))) + "]")

MAX_CHARACTERS = 1400
MAX_PARTS = 20
OPT_OUT = "لغو11"
OPT_OUT_SUFFIX = "\n" + OPT_OUT  # 6 characters, as IPPanel's price page counts it


def billed(text: str, promotional: bool) -> str:
    """``text`` as operators deliver and bill it: promotional texts get the opt-out suffix."""
    return text + OPT_OUT_SUFFIX if promotional else text


@dataclass(frozen=True)
class Parts:
    """The encoding, length in billing units, and part count of one text."""

    encoding: str
    units: int
    characters: int
    parts: int


def count_parts(text: str) -> Parts:
    """Count the SMS parts of ``text``; an empty text still takes one part."""
    if _NOT_GSM7.search(text) is None:
        units = len(text) + len(_GSM7_EXT.findall(text))
        return Parts("GSM-7", units, len(text), _parts(units, 160, 153))
    # UCS-2 counts UTF-16 code units: a character outside the BMP (an emoji) takes two.
    units = len(text.encode("utf-16-le")) // 2
    return Parts("UCS-2", units, len(text), _parts(units, 70, 67))


def _parts(units: int, single: int, per_part: int) -> int:
    if units <= single:
        return 1
    return -(-units // per_part)


def length_problem(text: str) -> str | None:
    """Say why ``text`` is too long for the API (over 1400 characters or 20 parts), or None."""
    return parts_problem(count_parts(text))


def parts_problem(parts: Parts) -> str | None:
    """``length_problem`` for a text whose parts are already counted."""
    if parts.characters > MAX_CHARACTERS:
        return (
            f"the message is {parts.characters} characters long; "
            f"the API accepts at most {MAX_CHARACTERS}"
        )
    if parts.parts > MAX_PARTS:
        return (
            f"the message takes {parts.parts} SMS parts ({parts.encoding}); "
            f"the API accepts at most {MAX_PARTS}"
        )
    return None
