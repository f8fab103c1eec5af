"""The sending types, one row each: every stage reads this table instead of testing names.

A row says what templates see (``personalized``), whether the body carries a
``from_number``, whether operators treat it as promotional (``promotional``: the
opt-out suffix is appended and the night-time send hours apply), whether
``send/calculate-price`` can estimate it, how many recipients (rows, for files) one
request takes, how rendered texts are cut into requests (``group``), how a request
body is laid out (``body``), the type-specific body fields taken from the campaign
(``fields``), which type a test send uses, whether numbers typed in the campaign
file ride apart from the uploaded file (``typed_apart``), how many outbox ids the
API answers a request with (``outbox_ids``), how an earlier send is recognized in
the account's outbox (``outbox_match``) and how many requests go out at once
(``concurrency``). Adding a sending type means adding a row here (and its branch in
the JSON Schema). Multipart bodies are ``{"form": {...}, "files": [{"name",
"content"}]}`` with a ``runner.uploads.LazyText`` content. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from runner.models import Batch, Campaign, Message, Targeting
from runner.uploads import personal_csv, recipients_csv

API_BATCH_CEILING = 1000
FILE_ROWS_CEILING = 10_000
FILE_RECIPIENTS_CEILING = 1_000_000
GENDER_CODES = {"all": 0, "male": 1, "female": 2}
# pattern and votp take one recipient a request: more of them in flight keep up with the API.
PER_RECIPIENT_CONCURRENCY = 16
OPERATORS = ("mci", "irancell", "other")
# The Solar Hijri birth years postal_code accepts: the range sent when a campaign names none.
BIRTH_YEARS = (1300, 1410)

Groups = Mapping[str, Sequence[str]]
# Rendered texts (each with its recipients, in first-seen order) → the messages of each request.
Grouping = Callable[[Groups, int], Iterator[tuple[Message, ...]]]
# (small body fields, the request's messages, the upload's file name) → the exact body.
# With ``typed_apart``, a request's first message is the upload's and a second one, if
# any, holds the numbers typed in the campaign file (same text).
BodyLayout = Callable[[Mapping[str, Any], Sequence[Message], str], dict[str, Any]]
# One outbox id per request, per ``params`` item (a distinct text), or per file row.
OutboxIds = Literal["request", "message", "row"]
# How a send is recognized in the account's outbox: its text and its recipients; a
# pattern's words and its recipient (IPPanel fills the template); or, when IPPanel
# picks the audience (postal_code), its text alone.
OutboxMatch = Literal["recipients", "pattern_words", "text"]


@dataclass(frozen=True)
class SendingTypeSpec:
    """Everything the stages need to know about one ``sending_type``."""

    name: str
    personalized: bool  # templates see each recipient's CSV row and ``phone``
    renders: Literal["message", "params"]  # what the templates fill in
    has_sender: bool  # the body carries ``from_number``
    promotional: bool  # operators append the opt-out suffix; send hours apply
    priced: bool  # ``send/calculate-price`` can estimate it ahead
    batch_size: int  # default, and the API's ceiling, of recipients (rows) a request
    group: Grouping
    body: BodyLayout
    fields: Callable[[Campaign], Mapping[str, Any]]
    test_as: str  # the sending type a test send (``--test-to``) uses
    # How many numbers a request's targeting takes from IPPanel's bank (postal_code).
    targeted: Callable[[Campaign], int]
    typed_apart: bool = False  # numbers typed in the campaign go apart from the upload
    outbox_ids: OutboxIds = "request"  # what the API answers one outbox id for
    outbox_match: OutboxMatch = "recipients"  # how an earlier send is found in the outbox
    concurrency: int = 4  # default requests in flight (one request a recipient needs more)


def _one_text_chunks(groups: Groups, size: int) -> Iterator[tuple[Message, ...]]:
    """One text a request: each text's recipients in requests of at most ``size``."""
    for text, phones in groups.items():
        for start in range(0, len(phones), size):
            yield (Message(text, tuple(phones[start : start + size])),)


def _everyone_at_once(groups: Groups, size: int) -> Iterator[tuple[Message, ...]]:
    """One request whatever the count (the targeting picks the rest of the audience)."""
    for text, phones in groups.items():
        yield (Message(text, tuple(phones)),)


def _one_per_recipient(groups: Groups, size: int) -> Iterator[tuple[Message, ...]]:
    for text, phones in groups.items():
        for phone in phones:
            yield (Message(text, (phone,)),)


def _packed(groups: Groups, size: int) -> Iterator[tuple[Message, ...]]:
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


def _one_text_body(
    fields: Mapping[str, Any], messages: Sequence[Message], file_name: str
) -> dict[str, Any]:
    f, send_time = _split_send_time(fields)
    (m,) = messages
    return {**f, "message": m.text, "params": {"recipients": list(m.recipients)}, **send_time}


def _peer_to_peer_body(
    fields: Mapping[str, Any], messages: Sequence[Message], file_name: str
) -> dict[str, Any]:
    f, send_time = _split_send_time(fields)
    items = [{"recipients": list(m.recipients), "message": m.text} for m in messages]
    return {**f, "params": items, **send_time}


def _file_body(
    fields: Mapping[str, Any], messages: Sequence[Message], file_name: str
) -> dict[str, Any]:
    f, send_time = _split_send_time(fields)
    upload = {"name": file_name, "content": personal_csv(messages)}
    return {"form": {**f, **send_time}, "files": [upload]}


def _recipients_file_body(
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


def _postal_body(
    fields: Mapping[str, Any], messages: Sequence[Message], file_name: str
) -> dict[str, Any]:
    f, params, m, send_time = _single_message(fields, messages)
    recipients = list(m.recipients)
    return {**f, "message": m.text, "params": params, "other_recipients": recipients, **send_time}


def _pattern_body(
    fields: Mapping[str, Any], messages: Sequence[Message], file_name: str
) -> dict[str, Any]:
    # ``recipients`` sits at the top level for patterns, and holds exactly one number.
    f, params, m, send_time = _single_message(fields, messages)
    return {**f, "recipients": list(m.recipients), "params": params, **send_time}


def _no_fields(campaign: Campaign) -> Mapping[str, Any]:
    return {}


def _pattern_fields(campaign: Campaign) -> Mapping[str, Any]:
    return {"code": campaign.pattern_code}


def _postal_fields(campaign: Campaign) -> Mapping[str, Any]:
    return {"params": [targeting_params(t) for t in campaign.targeting]}


def targeting_params(target: Targeting) -> dict[str, Any]:
    """One ``postal_code`` targeting entry as the API's ``params`` item.

    Every operator object and the age range are always sent: the Persian docs say
    that an operator left out (or no operator at all) sends to *every* number of
    the area, so an operator the campaign does not name is sent as size 0, and
    missing birth years as the widest range the API accepts.
    """
    low, high = birth_years(target)
    params: dict[str, Any] = {
        "bank": target.bank,
        "postal_code": target.postal_code,
        "gender": GENDER_CODES[target.gender],
        "age_from": low,
        "age_to": high,
    }
    for operator in OPERATORS:
        piece = target.operators.get(operator)
        start, size = (piece.start, piece.size) if piece else (0, 0)
        params[operator] = {"start": start, "size": size}
    return params


def birth_years(target: Targeting) -> tuple[int, int]:
    """The Solar Hijri birth years sent for ``target``: its own, else the widest range."""
    low, high = BIRTH_YEARS
    return (
        low if target.birth_year_from is None else target.birth_year_from,
        high if target.birth_year_to is None else target.birth_year_to,
    )


def _targeted_count(campaign: Campaign) -> int:
    """How many numbers the campaign's ``postal_code`` targeting takes from the bank."""
    return sum(piece.size for t in campaign.targeting for piece in t.operators.values())


def _nothing_targeted(campaign: Campaign) -> int:
    return 0


def _row(
    name: str,
    *,
    group: Grouping,
    body: BodyLayout,
    personalized: bool = False,
    renders: Literal["message", "params"] = "message",
    has_sender: bool = True,
    promotional: bool = True,
    priced: bool = True,
    batch_size: int = API_BATCH_CEILING,
    fields: Callable[[Campaign], Mapping[str, Any]] = _no_fields,
    test_as: str = "webservice",
    targeted: Callable[[Campaign], int] = _nothing_targeted,
    typed_apart: bool = False,
    outbox_ids: OutboxIds = "request",
    outbox_match: OutboxMatch = "recipients",
    concurrency: int = 4,
) -> SendingTypeSpec:
    return SendingTypeSpec(
        name,
        personalized,
        renders,
        has_sender,
        promotional,
        priced,
        batch_size,
        group,
        body,
        fields,
        test_as,
        targeted,
        typed_apart,
        outbox_ids,
        outbox_match,
        concurrency,
    )


SPECS: dict[str, SendingTypeSpec] = {
    spec.name: spec
    for spec in (
        _row("normal", group=_one_text_chunks, body=_one_text_body),
        _row("webservice", group=_one_text_chunks, body=_one_text_body),
        _row(
            "file",
            group=_one_text_chunks,
            body=_recipients_file_body,
            batch_size=FILE_RECIPIENTS_CEILING,
            typed_apart=True,
        ),
        _row(
            "peer_to_peer",
            group=_packed,
            body=_peer_to_peer_body,
            personalized=True,
            outbox_ids="message",
        ),
        _row(
            "peer_to_peer_file",
            group=_packed,
            body=_file_body,
            personalized=True,
            batch_size=FILE_ROWS_CEILING,
            outbox_ids="row",
        ),
        _row(
            "postal_code",
            group=_everyone_at_once,
            body=_postal_body,
            fields=_postal_fields,
            targeted=_targeted_count,
            outbox_match="text",
        ),
        _row(
            "pattern",
            group=_one_per_recipient,
            body=_pattern_body,
            personalized=True,
            renders="params",
            promotional=False,
            priced=False,
            fields=_pattern_fields,
            test_as="pattern",
            outbox_match="pattern_words",
            concurrency=PER_RECIPIENT_CONCURRENCY,
        ),
        _row(
            "votp",
            group=_one_per_recipient,
            body=_one_text_body,
            personalized=True,
            has_sender=False,
            promotional=False,
            priced=False,
            test_as="votp",
            concurrency=PER_RECIPIENT_CONCURRENCY,
        ),
    )
}
SENDING_TYPES: tuple[str, ...] = tuple(SPECS)


def spec_of(sending_type: str) -> SendingTypeSpec:
    """The row of ``sending_type`` (a type the schema accepted)."""
    return SPECS[sending_type]


def expected_outbox_ids(batch: Batch) -> int:
    """How many outbox ids a successful send of ``batch`` answers with."""
    per = spec_of(batch.sending_type).outbox_ids
    if per == "message":
        return len(batch.messages)
    if per == "row":
        return batch.recipient_count
    return 1
