"""The CSV files multipart sends upload, produced on demand in chunks.

A ``file`` send uploads up to a million numbers in one CSV. Its text is never
built as one string unless asked for (``str()``): the JSON plan writes it chunk
by chunk and apply uploads it from the same chunks, so what the plan shows and
what is sent are the same text by construction. Nothing here does I/O.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from runner.models import Message

# Rows a chunk: big enough that writing a million rows is a hundred writes, small
# enough that a chunk is a few hundred kilobytes at most.
CHUNK_ROWS = 10_000
RECIPIENTS_HEADER = "phone_number"
PERSONAL_HEADER = ("recipient", "message")


@dataclass(frozen=True)
class LazyText:
    """Text produced on demand: ``chunks()`` streams it, ``str()`` joins it."""

    produce: Callable[[], Iterator[str]]

    def chunks(self) -> Iterator[str]:
        return self.produce()

    def __str__(self) -> str:
        return "".join(self.produce())


def recipients_csv(phones: Sequence[str]) -> LazyText:
    """The ``file`` type's upload: the single column ``phone_number``, one number a row."""

    def produce() -> Iterator[str]:
        yield RECIPIENTS_HEADER + "\n"
        for start in range(0, len(phones), CHUNK_ROWS):
            # Normalized numbers are ``+`` and digits: nothing in them needs CSV quoting.
            yield "".join(phone + "\n" for phone in phones[start : start + CHUNK_ROWS])

    return LazyText(produce)


def personal_csv(messages: Sequence[Message]) -> LazyText:
    """The ``peer_to_peer_file`` upload: ``recipient,message`` rows, quoted where needed."""

    def produce() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(PERSONAL_HEADER)
        rows = 1
        for message in messages:
            for phone in message.recipients:
                writer.writerow((phone, message.text))
                rows += 1
                if rows >= CHUNK_ROWS:
                    yield out.getvalue()
                    out.seek(0)
                    out.truncate()
                    rows = 0
        yield out.getvalue()

    return LazyText(produce)
