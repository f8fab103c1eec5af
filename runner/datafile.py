"""Reading recipient files defensively: regular files only, bounded lines, strict CSV quoting.

``recipients`` streams numbers out of ``.csv`` and ``.txt`` files; this module gives
it handles and lines it can trust. A line longer than ``MAX_LINE`` stops the file
(a recipient row is short; an 8 MB "line" is not a CSV of customers), a quote that
is never closed or that swallows the next rows is an error naming its line, and a
header naming a column twice is an error: the row's values would be ambiguous.
"""

from __future__ import annotations

import csv
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from runner.safe_text import excerpt

MAX_LINE = 10_000


class DataFileError(ValueError):
    """A problem at ``line`` of a data file (0: the whole file); ``str()`` says what to do."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def open_text(path: Path) -> TextIO:
    """``path`` opened for reading UTF-8 text, if it is a regular file (never a FIFO or device)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise DataFileError(0, "is not a regular file (a folder, device or pipe)")
    return open(fd, encoding="utf-8-sig", newline="")


def bounded_lines(handle: TextIO, *, first: int = 1) -> Iterator[str]:
    """The lines of ``handle``; ``DataFileError`` at the first longer than ``MAX_LINE``."""
    line = first
    readline = handle.readline
    while text := readline(MAX_LINE + 1):
        if len(text) > MAX_LINE and not text.endswith("\n"):
            raise DataFileError(
                line,
                f"line {line} is longer than {MAX_LINE:,} characters; a recipient file holds "
                "one short row a line",
            )
        yield text
        line += 1


def read_header(handle: TextIO) -> tuple[list[str], str, Iterator[str]]:
    """The header's column names, the delimiter, and the lines that follow the header.

    Sniffing the header line alone is cheap and enough: the header names the columns.
    """
    lines = bounded_lines(handle)
    first = next(lines, "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = [name.strip() for name in next(csv.reader([first], delimiter=delimiter), [])]
    seen: dict[str, int] = {}
    for index, name in enumerate(header, start=1):
        if name in seen:
            raise DataFileError(
                1,
                f"the header names column {excerpt(name)} twice (columns {seen[name]} and "
                f"{index}); rename one so each value has one name",
            )
        seen[name] = index
    return header, delimiter, lines


def quote_problem(err: csv.Error, started: int, line: int) -> DataFileError:
    """A CSV parse error as a message naming the line where the bad record started."""
    if "unexpected end of data" in str(err):
        return DataFileError(
            started,
            f'a quote (") opened on line {started} is never closed; close it or remove it',
        )
    return DataFileError(line, f"malformed quoting on line {line} ({err}); check the quotes")


def spans_lines(started: int, line: int) -> DataFileError:
    """A record that ran over several lines: a stray quote merged rows."""
    return DataFileError(
        started,
        f'a quoted value runs from line {started} to line {line}: a stray quote (") merged '
        "rows; keep each recipient on one line",
    )
