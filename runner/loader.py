"""Read a campaign YAML file into plain values, keeping where each value was written.

PyYAML only composes the node tree; the values are built here so that YAML 1.1's
surprises never reach a campaign: ``no`` and ``on`` stay strings, dates stay
strings, and phone-like numbers with a ``+`` or a leading zero stay strings.
Duplicate keys, non-string keys and unknown tags are errors, reported with the
line and column they were written at.

A campaign file may come from an untrusted pull request, so everything is bounded
before it reaches validation: the file's size, how deep values nest, how many values
YAML aliases expand it to (a 1 KB "billion laughs" file would otherwise become
billions of values for the schema validator to walk), and how long a number may be.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from runner.errors import InvalidCampaign, Violation
from runner.models import Location
from runner.safe_text import excerpt
from runner.yaml_words import syntax_violation

JsonPath = tuple[str | int, ...]

_PLAIN = "tag:ippanel-run,2025:plain"
_STD = "tag:yaml.org,2002:"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"-?(0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(0|[1-9][0-9]*)\.[0-9]+([eE][-+]?[0-9]+)?")
_STYLES = {None: "", "|": "|", ">": ">", "'": "'", '"': '"'}

# A campaign is a few KB; these leave room for any real one and stop a hostile one early.
MAX_BYTES = 512 * 1024
MAX_DEPTH = 20
MAX_VALUES = 20_000
MAX_DIGITS = 18
_TOO_DEEP = f"values nest more than {MAX_DEPTH} levels deep; a campaign needs a few"
_TOO_MANY = (
    f"more than {MAX_VALUES:,} values (a YAML alias counts each time it is used); "
    "put long lists of numbers in a .csv or .txt file"
)


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
    """Values nest deeper than ``MAX_DEPTH`` (refused before Python's recursion limit is),
    or there are more than ``MAX_VALUES`` of them (refused before they take time and memory)."""


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
                problem = _TOO_MANY if self._nodes > MAX_VALUES else _TOO_DEEP
                raise _TooBig(None, None, problem, mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            return _PLAIN if implicit[0] else _STD + "str"
        return _STD + ("seq" if kind is yaml.SequenceNode else "map")


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
    if root is None or (
        isinstance(root, yaml.ScalarNode) and root.tag == _PLAIN and not root.value
    ):
        raise InvalidCampaign([Violation(str(path), 0, 0, "the file is empty")])
    builder = _Builder(str(path))
    try:
        data = builder.build(root, ())
    except _TooMany as err:
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


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_STD) :] if tag.startswith(_STD) else tag


class _TooMany(Exception):
    """The values, with aliases expanded, passed ``MAX_VALUES``; building stops at once."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.message)
        self.violation = violation


class _Builder:
    """Turns a node tree into plain values, recording marks and problems on the way."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.marks: dict[JsonPath, tuple[int, int]] = {}
        self.key_marks: dict[JsonPath, tuple[int, int]] = {}
        self.styles: dict[JsonPath, str] = {}
        self.violations: list[Violation] = []
        # Aliased nodes are built once and shared; what they expand to is counted, though:
        # the schema validator walks every shared copy.
        self._built: dict[int, Any] = {}
        self._sizes: dict[int, int] = {}
        self._building: set[int] = set()
        self._values = 0

    def error(self, node: yaml.Node, message: str) -> None:
        self.violations.append(Violation(self.file, *_mark(node), message))

    def build(self, node: yaml.Node, path: JsonPath) -> Any:
        self.marks[path] = _mark(node)
        if id(node) in self._built:
            self._count(self._sizes[id(node)], path)
            return self._built[id(node)]
        if id(node) in self._building:
            self.error(node, "an alias refers to the value that contains it")
            return None
        self._building.add(id(node))
        before = self._values
        value: Any = None
        if isinstance(node, yaml.MappingNode):
            value = self._mapping(node, path)
        elif isinstance(node, yaml.SequenceNode):
            value = self._sequence(node, path)
        elif isinstance(node, yaml.ScalarNode):
            self.styles[path] = _STYLES.get(node.style, "")
            value = self._scalar(node)
        self._count(1, path)
        self._building.discard(id(node))
        self._built[id(node)] = value
        self._sizes[id(node)] = self._values - before
        return value

    def _count(self, values: int, path: JsonPath) -> None:
        self._values += values
        if self._values > MAX_VALUES:
            # An alias's own position is not kept: name the written key that holds it.
            keyed = [path[:end] for end in range(len(path), 0, -1) if path[:end] in self.key_marks]
            line, col = self.key_marks[keyed[0]] if keyed else self.marks[path]
            raise _TooMany(Violation(self.file, line, col, _TOO_MANY))

    def _sequence(self, node: yaml.SequenceNode, path: JsonPath) -> list[Any]:
        if node.tag not in (_STD + "seq", _PLAIN):
            self.error(node, f"unsupported tag {excerpt(_short_tag(node.tag))} on a list")
        return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]

    def _mapping(self, node: yaml.MappingNode, path: JsonPath) -> dict[str, Any]:
        if node.tag not in (_STD + "map", _PLAIN):
            self.error(node, f"unsupported tag {excerpt(_short_tag(node.tag))} on a mapping")
        result: dict[str, Any] = {}
        first_lines: dict[str, int] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _STD + "merge" or (
                key_node.tag == _PLAIN and key_node.value == "<<"
            ):
                merged = {**self._merge(value_node, path), **merged}
                continue
            key = self._key(key_node)
            if key is None:
                continue
            if key in first_lines:
                self.error(
                    key_node,
                    f"duplicate key {excerpt(key)} (first defined at line {first_lines[key]})",
                )
                continue
            first_lines[key] = key_node.start_mark.line + 1
            child: JsonPath = (*path, key)
            self.key_marks[child] = _mark(key_node)
            result[key] = self.build(value_node, child)
        # Keys written in the mapping itself win over merged ones, as in YAML's merge key.
        return {**merged, **result}

    def _merge(self, node: yaml.Node, path: JsonPath) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        own_mark = self.marks[path]
        merged: dict[str, Any] = {}
        for source in reversed(sources):
            value = self.build(source, path)
            if not isinstance(value, dict):
                self.error(source, "'<<' merges mappings only; give it an alias of a mapping")
                continue
            merged.update(value)
        self.marks[path] = own_mark
        return merged

    def _key(self, node: yaml.Node) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, "a key must be a plain name, not a list or mapping")
            return None
        key = self._scalar(node)
        if not isinstance(key, str):
            shown = "null" if key is None else excerpt(node.value)
            self.error(node, f"key {shown} must be a name; quote it to use it as text")
            return None
        return key

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        text: str = node.value
        tag: str = node.tag
        if tag != _STD + "str" and _too_large(text):
            limit = f" (more than {MAX_DIGITS} digits)" if _INT.fullmatch(text) else ""
            self.error(
                node, f"the number {excerpt(text, 24)} is too large{limit}; quote it if it is text"
            )
            return text
        if tag == _PLAIN:
            return _plain_value(text)
        if tag == _STD + "str":
            return text
        value = _plain_value(text)
        wanted = {_STD + "int": int, _STD + "float": float, _STD + "bool": bool}.get(tag)
        if tag == _STD + "null" and value is None:
            return None
        if tag == _STD + "float" and type(value) is int:
            return float(value)
        if wanted is not None and type(value) is wanted:
            return value
        if tag.startswith(_STD) and tag[len(_STD) :] in ("int", "float", "bool", "null"):
            self.error(node, f"{excerpt(text)} is not a valid {_short_tag(tag)}")
        else:
            self.error(node, f"unsupported tag {excerpt(_short_tag(tag))}; remove it")
        return text


def _too_large(text: str) -> bool:
    """An integer of more than ``MAX_DIGITS`` digits, or a decimal beyond a float's range."""
    if _INT.fullmatch(text):
        return len(text.lstrip("-")) > MAX_DIGITS
    return bool(_FLOAT.fullmatch(text)) and math.isinf(float(text))


def _plain_value(text: str) -> Any:
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    return text
