"""PyYAML's syntax errors in plain words: what is misaligned with what, at which line.

``expected <block end>, but found '<block mapping start>'`` tells a newcomer nothing;
nearly always a line is indented differently from the key or list item it belongs
with. ``syntax_violation`` looks at the offending line and the lines above it and
says so (``'timezone' (line 8) is indented more than 'at' on line 7 …``); other
errors keep PyYAML's own words, with its line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from runner.errors import Violation
from runner.safe_text import printable

_KEY = re.compile(r"""(?:"[^"]*"|'[^']*'|[^\s#'"][^:#]*?)\s*:(?:\s|$)""")


@dataclass(frozen=True)
class _Anchor:
    """Where something starts on a line: a list item's dash, or a key."""

    indent: int
    label: str


def syntax_violation(path: Path, err: yaml.MarkedYAMLError, text: str) -> Violation:
    """``err`` as a violation at its line, in plain words where the cause is indentation."""
    mark = err.problem_mark or err.context_mark
    message = err.problem or err.context or "invalid YAML"
    if err.context and err.problem and err.context_mark is not None:
        message = f"{err.problem} ({err.context} at line {err.context_mark.line + 1})"
    if "'\\t'" in message:
        message += "; indent with spaces, not tabs"
    if mark is None:
        return Violation(str(path), 0, 0, message)
    problem = err.problem or ""
    if "expected <block end>" in problem or "mapping values are not allowed" in problem:
        message = _misaligned(text.splitlines(), mark.line) or _colon_in_value(message)
    return Violation(str(path), mark.line + 1, mark.column + 1, message)


def _colon_in_value(message: str) -> str:
    if "mapping values are not allowed" not in message:
        return message
    return 'a ": " inside a value makes YAML read a key; put the value in quotes'


def _anchors(line: str) -> list[_Anchor]:
    """A line's list-item dashes and key, by indentation: ``  - file: x`` → item 2, key 4."""
    anchors = []
    indent = len(line) - len(line.lstrip(" "))
    rest = line[indent:]
    while rest.startswith("- ") or rest == "-":
        anchors.append(_Anchor(indent, "the list item"))
        skipped = len(rest[1:]) - len(rest[1:].lstrip(" ")) + 1
        indent, rest = indent + skipped, rest[skipped:]
    key = _KEY.match(rest)
    if key is not None:
        name = key.group().rstrip().removesuffix(":").strip("'\"")
        anchors.append(_Anchor(indent, f"'{printable(name, 40)}'"))
    elif rest and not anchors:
        anchors.append(_Anchor(indent, "this value"))
    return anchors


def _content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _misaligned(lines: list[str], row: int) -> str:
    """Which line ``lines[row]`` fails to line up with, and how to fix it ("" if unsure)."""
    if row >= len(lines) or not _content(lines[row]):
        return ""
    anchors = _anchors(lines[row])
    if not anchors:
        return ""
    here = anchors[0]
    above = next((r for r in range(row - 1, -1, -1) if _content(lines[r])), None)
    if above is None:
        return ""
    prior = _anchors(lines[above])
    if not prior:
        return ""
    if here.indent in {a.indent for a in prior}:
        return ""  # it lines up: the trouble is elsewhere on the line
    what, where = here.label, f"line {row + 1}"
    last = prior[-1]
    if here.indent > last.indent:
        return (
            f"{what} ({where}) is indented more than {last.label} on line {above + 1}, so YAML "
            f"reads it as part of the value of {last.label}; line {_it(what)} up with "
            f"{last.label}"
        )
    kind = _kind(here)
    nearest = min(prior, key=lambda a: (abs(a.indent - here.indent), _kind(a) != kind))
    parent = _parent(lines, above, here.indent)
    choices = f"{nearest.indent} to line up with {nearest.label} (line {above + 1})"
    if parent is not None and parent[1].indent != nearest.indent:
        choices += f", or {parent[1].indent} to line up with {parent[1].label} (line {parent[0]})"
    return (
        f"{what} ({where}) is indented by {_spaces(here.indent)}, which lines up with nothing "
        f"above it: indent it by {choices}"
    )


def _parent(lines: list[str], start: int, indent: int) -> tuple[int, _Anchor] | None:
    """The nearest line at or above ``start`` whose first anchor is indented less."""
    for row in range(start, -1, -1):
        if _content(lines[row]):
            anchors = _anchors(lines[row])
            if anchors and anchors[0].indent < indent:
                return row + 1, anchors[0]
    return None


def _kind(anchor: _Anchor) -> str:
    return "item" if anchor.label == "the list item" else "key"


def _it(what: str) -> str:
    return "it" if what.startswith(("the ", "this ")) else what


def _spaces(count: int) -> str:
    return "1 space" if count == 1 else f"{count} spaces"
