"""How a sending type's requests are laid out: texts cut into requests, and the exact body.

A row of ``runner.sending_types`` names one grouping and one body layout from here.
A grouping turns the rendered texts (each with its recipients, in first-seen order)
into the messages of each request; a body layout turns a request's small fields and
messages into the exact body ``POST /api/send`` receives. Multipart bodies are
``{"form": {...}, "files": [{"name", "content"}]}`` with a ``runner.uploads.LazyText``
content. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from runner.models import Message
from runner.uploads import personal_csv, recipients_csv

Groups = Mapping[str, Sequence[str]]
# Rendered texts (each with its recipients, in first-seen order) → the messages of each request.
Grouping = Callable[[Groups, int], Iterator[tuple[Message, ...]]]
# (small body fields, the request's messages, the upload's file name) → the exact body.
# With ``typed_apart``, a request's first message is the upload's and a second one, if
# any, holds the numbers typed in the campaign file (same text).
BodyLayout = Callable[[Mapping[str, Any], Sequence[Message], str], dict[str, Any]]


def one_text_chunks(groups: Groups, size: int) -> Iterator[tuple[Message, ...]]:
    """One text a request: each text's recipients in requests of at most ``size``."""
    for text, phones in groups.items():
        for start in range(0, len(phones), size):
            yield (Message(text, tuple(phones[start : start + size])),)


def everyone_at_once(groups: Groups, size: int) -> Iterator[tuple[Message, ...]]:
    """One request whatever the count (the targeting picks the rest of the audience)."""
    for text, phones in groups.items():
        yield (Message(text, tuple(phones)),)


def one_per_recipient(groups: Groups, size: int) -> Iterator[tuple[Message, ...]]:
    for text, phones in groups.items():
        for phone in phones:
            yield (Message(text, (phone,)),)


def packed(groups: Groups, size: int) -> Iterator[tuple[Message, ...]]:
    """Texts packed into requests of at most ``size`` recipients; a text may span two."""
    current: list[Message] = []
    room = size
    for text, phones in groups.items():
        start = 0
        while start < len(phones):
            take = phones[start : start + room]
            current.append(Message(text, tuple(take)))
            start += len(take)
            room -= len(take)
            if room == 0:
                yield tuple(current)
                current, room = [], size
    if current:
        yield tuple(current)


def _split_send_time(fields: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    # ``send_time`` goes last in every JSON body, as in the vendor's examples.
    rest = dict(fields)
    return rest, ({"send_time": rest.pop("send_time")} if "send_time" in rest else {})


def one_text_body(
    fields: Mapping[str, Any], messages: Sequence[Message], file_name: str
) -> dict[str, Any]:
    f, send_time = _split_send_time(fields)
    (m,) = messages
    return {**f, "message": m.text, "params": {"recipients": list(m.recipients)}, **send_time}


def peer_to_peer_body(
    fields: Mapping[str, Any], messages: Sequence[Message], file_name: str
) -> dict[str, Any]:
    f, send_time = _split_send_time(fields)
    items = [{"recipients": list(m.recipients), "message": m.text} for m in messages]
    return {**f, "params": items, **send_time}


def file_body(
    fields: Mapping[str, Any], messages: Sequence[Message], file_name: str
) -> dict[str, Any]:
    f, send_time = _split_send_time(fields)
    upload = {"name": file_name, "content": personal_csv(messages)}
    return {"form": {**f, **send_time}, "files": [upload]}


def recipients_file_body(
    fields: Mapping[str, Any], messages: Sequence[Message], file_name: str
) -> dict[str, Any]:
    """One text; the numbers in a ``phone_number`` CSV, typed ones as ``other_recipients[]``."""
    f, send_time = _split_send_time(fields)
    uploaded, *typed = messages
    form: dict[str, Any] = {**f, "message": uploaded.text}
    others = [phone for message in typed for phone in message.recipients]
    if others:
        # Repeated form fields on the wire, one a number, as PHP reads ``name[]``.
        form["other_recipients[]"] = others
    upload = {"name": file_name, "content": recipients_csv(uploaded.recipients)}
    return {"form": {**form, **send_time}, "files": [upload]}


def _single_message(
    fields: Mapping[str, Any], messages: Sequence[Message]
) -> tuple[dict[str, Any], Any, Message, dict[str, Any]]:
    """(other fields, ``params``, the one message, ``send_time``) of a one-message body."""
    f, send_time = _split_send_time(fields)
    (m,) = messages
    return f, f.pop("params"), m, send_time


def postal_body(
    fields: Mapping[str, Any], messages: Sequence[Message], file_name: str
) -> dict[str, Any]:
    f, params, m, send_time = _single_message(fields, messages)
    recipients = list(m.recipients)
    return {**f, "message": m.text, "params": params, "other_recipients": recipients, **send_time}


def pattern_body(
    fields: Mapping[str, Any], messages: Sequence[Message], file_name: str
) -> dict[str, Any]:
    # ``recipients`` sits at the top level for patterns, and holds exactly one number.
    f, params, m, send_time = _single_message(fields, messages)
    return {**f, "recipients": list(m.recipients), "params": params, **send_time}
