"""Durations as people write them in campaign files and options: ``30m``, ``24h``, ``3d``."""

from __future__ import annotations

import re

UNITS = {"m": 60, "h": 3600, "d": 86400}
DURATION = re.compile(r"^\s*([1-9][0-9]{0,5})\s*([mhd])\s*$")
LONGEST = 31 * 86400  # the outbox search window: a month at most


def parse_duration(text: str) -> int:
    """Seconds in ``text`` (a whole number of minutes, hours or days); ValueError otherwise."""
    found = DURATION.match(text)
    if found is None:
        raise ValueError(f"{text!r} is not a duration such as 30m, 24h or 3d")
    seconds = int(found.group(1)) * UNITS[found.group(2)]
    if seconds > LONGEST:
        raise ValueError(f"{text!r} is longer than 31 days")
    return seconds


def show_duration(seconds: int) -> str:
    """``86400`` → ``24h``: the largest unit that divides it."""
    for unit in ("d", "h", "m"):
        if seconds % UNITS[unit] == 0 and (unit != "d" or seconds >= 2 * 86400):
            return f"{seconds // UNITS[unit]}{unit}"
    return f"{seconds}s"
