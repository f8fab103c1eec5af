"""YAML nodes into plain values, keeping where each was written and what went wrong.

``Builder`` walks the node tree PyYAML composed (``runner.loader``) and builds the
values itself, so YAML 1.1's surprises never reach a campaign: ``no`` and ``on``
stay strings, dates stay strings, and phone-like numbers with a ``+`` or a leading
zero stay strings. Duplicate keys, non-string keys and unknown tags become
violations at their line and column; merge keys (``<<``) work as in YAML. Aliases
are built once and shared, but every use counts towards ``MAX_VALUES``, and a
number may have at most ``MAX_DIGITS`` digits: a hostile file stops here.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from runner.errors import Violation
from runner.safe_text import excerpt

JsonPath = tuple[str | int, ...]

# Untagged plain scalars get this private tag from the loader: their type is decided here.
PLAIN = "tag:ippanel-run,2025:plain"
STD = "tag:yaml.org,2002:"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"-?(0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(0|[1-9][0-9]*)\.[0-9]+([eE][-+]?[0-9]+)?")
_STYLES = {None: "", "|": "|", ">": ">", "'": "'", '"': '"'}

MAX_VALUES = 20_000
MAX_DIGITS = 18
TOO_MANY = (
    f"more than {MAX_VALUES:,} values (a YAML alias counts each time it is used); "
    "put long lists of numbers in a .csv or .txt file"
)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(STD) :] if tag.startswith(STD) else tag


class TooMany(Exception):
    """The values, with aliases expanded, passed ``MAX_VALUES``; building stops at once."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.message)
        self.violation = violation


class Builder:
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
            raise TooMany(Violation(self.file, line, col, TOO_MANY))

    def _sequence(self, node: yaml.SequenceNode, path: JsonPath) -> list[Any]:
        if node.tag not in (STD + "seq", PLAIN):
            self.error(node, f"unsupported tag {excerpt(_short_tag(node.tag))} on a list")
        return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]

    def _mapping(self, node: yaml.MappingNode, path: JsonPath) -> dict[str, Any]:
        if node.tag not in (STD + "map", PLAIN):
            self.error(node, f"unsupported tag {excerpt(_short_tag(node.tag))} on a mapping")
        result: dict[str, Any] = {}
        first_lines: dict[str, int] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == STD + "merge" or (key_node.tag == PLAIN and key_node.value == "<<"):
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
        if tag != STD + "str" and _too_large(text):
            limit = f" (more than {MAX_DIGITS} digits)" if _INT.fullmatch(text) else ""
            self.error(
                node, f"the number {excerpt(text, 24)} is too large{limit}; quote it if it is text"
            )
            return text
        if tag == PLAIN:
            return _plain_value(text)
        if tag == STD + "str":
            return text
        value = _plain_value(text)
        wanted = {STD + "int": int, STD + "float": float, STD + "bool": bool}.get(tag)
        if tag == STD + "null" and value is None:
            return None
        if tag == STD + "float" and type(value) is int:
            return float(value)
        if wanted is not None and type(value) is wanted:
            return value
        if tag.startswith(STD) and tag[len(STD) :] in ("int", "float", "bool", "null"):
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
