"""Read a campaign YAML file into plain values, keeping where each value was written.

PyYAML only composes the node tree; the values are built by ``runner.yaml_values``
so that YAML 1.1's surprises never reach a campaign: ``no`` and ``on`` stay
strings, dates stay strings, and phone-like numbers with a ``+`` or a leading zero
stay strings. Duplicate keys, non-string keys and unknown tags are errors,
reported with the line and column they were written at.

A campaign file may come from an untrusted pull request, so everything is bounded
before it reaches validation: the file's size, how deep values nest, how many values
YAML aliases expand it to (a 1 KB "billion laughs" file would otherwise become
billions of values for the schema validator to walk), and how long a number may be.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from runner.errors import InvalidCampaign, Violation
from runner.models import Location
from runner.yaml_values import MAX_VALUES, PLAIN, STD, TOO_MANY, Builder, JsonPath, TooMany
from runner.yaml_words import syntax_violation

# A campaign is a few KB; these leave room for any real one and stop a hostile one early
# (``runner.yaml_values`` bounds how many values and how long a number may be).
MAX_BYTES = 512 * 1024
MAX_DEPTH = 20
_TOO_DEEP = f"values nest more than {MAX_DEPTH} levels deep; a campaign needs a few"


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: its values and the 1-based (line, col) of each one.

    Paths are JSON paths: ``("recipients", 2, "file")``. ``marks`` locate values,
    ``key_marks`` the keys of mapping entries, ``styles`` each scalar's style
    (``""`` plain, ``"|"`` literal, ``">"`` folded, ``"'"`` or ``'"'`` quoted).
    """

    path: Path
    data: Any
    marks: Mapping[JsonPath, tuple[int, int]]
    key_marks: Mapping[JsonPath, tuple[int, int]]
    styles: Mapping[JsonPath, str]

    def location(self, path: Sequence[str | int], *, key: bool = False) -> Location:
        """Where ``path`` was written; its nearest written ancestor when it is absent."""
        path = tuple(path)
        if key and path in self.key_marks:
            return Location(str(self.path), *self.key_marks[path])
        for end in range(len(path), -1, -1):
            mark = self.marks.get(path[:end])
            if mark is not None:
                return Location(str(self.path), *mark)
        return Location(str(self.path), 0, 0)


class _TooBig(yaml.composer.ComposerError):
    """Values nest deeper than ``MAX_DEPTH``, or there are more than ``MAX_VALUES`` of them.

    Both are refused before they cost anything: depth before Python's recursion limit is
    reached, the count before the values take time and memory.
    """


class _Loader(yaml.SafeLoader):
    """Composes nodes only; untagged plain scalars get a private tag resolved by us."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if not self.check_event(yaml.AliasEvent):
                self._nodes += 1
            if self._depth > MAX_DEPTH or self._nodes > MAX_VALUES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                problem = TOO_MANY if self._nodes > MAX_VALUES else _TOO_DEEP
                raise _TooBig(None, None, problem, mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            return PLAIN if implicit[0] else STD + "str"
        return STD + ("seq" if kind is yaml.SequenceNode else "map")


def load_document(path: Path) -> Document:
    """Read and parse ``path``; raise ``InvalidCampaign`` listing every problem found."""
    text = _read_text(path)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        raise InvalidCampaign([syntax_violation(path, err, text)]) from err
    except yaml.reader.ReaderError as err:
        line, col = _position(text, err.position)
        message = f"character #x{err.character:04x} is not allowed in YAML; remove it"
        raise InvalidCampaign([Violation(str(path), line, col, message)]) from err
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == PLAIN and not root.value):
        raise InvalidCampaign([Violation(str(path), 0, 0, "the file is empty")])
    builder = Builder(str(path))
    try:
        data = builder.build(root, ())
    except TooMany as err:
        raise InvalidCampaign([err.violation]) from None
    if builder.violations:
        raise InvalidCampaign(sorted(builder.violations, key=lambda v: (v.line, v.col)))
    return Document(
        path=path,
        data=data,
        marks=MappingProxyType(builder.marks),
        key_marks=MappingProxyType(builder.key_marks),
        styles=MappingProxyType(builder.styles),
    )


def _read_text(path: Path) -> str:
    raw = read_bounded(path, MAX_BYTES, "a campaign file is a few KB: put numbers in a data file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        line_start = raw.rfind(b"\n", 0, err.start) + 1
        col = len(raw[line_start : err.start].decode("utf-8", errors="replace")) + 1
        message = f"the file is not valid UTF-8 (byte 0x{raw[err.start]:02x}); save it as UTF-8"
        raise InvalidCampaign([Violation(str(path), line, col, message)]) from err


def read_bounded(path: Path, limit: int, advice: str) -> bytes:
    """The bytes of the regular file ``path``, if it holds at most ``limit`` of them.

    A device, a FIFO or a folder is refused before it is read (``/dev/zero`` never
    ends), and a larger file after ``limit + 1`` bytes, with ``advice``.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        message = f"cannot read the file: {err.strerror or err}"
        raise InvalidCampaign([Violation(str(path), 0, 0, message)]) from err
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            message = "not a regular file (a device, pipe or folder); give a campaign file"
            raise InvalidCampaign([Violation(str(path), 0, 0, message)])
        raw = handle.read(limit + 1)
    if len(raw) > limit:
        message = f"the file is larger than {limit // 1024:,} KB; {advice}"
        raise InvalidCampaign([Violation(str(path), 0, 0, message)])
    return raw


def _position(text: str, index: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1
