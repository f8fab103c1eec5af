"""The sending types, one row each: every stage reads this table instead of testing names.

A row says what templates see (``personalized``), whether the body carries a
``from_number``, whether operators treat it as promotional (``promotional``: the
opt-out suffix is appended and the night-time send hours apply), whether
``send/calculate-price`` can estimate it, how many recipients (rows, for files) one
request takes, how rendered texts are cut into requests (``group``) and how a
request body is laid out (``body``), both from ``runner.request_layouts``, the
type-specific body fields taken from the campaign (``fields``), which type a test
send uses, whether numbers typed in the campaign file ride apart from the uploaded
file (``typed_apart``), how many outbox ids the API answers a request with
(``outbox_ids``), how an earlier send is recognized in the account's outbox
(``outbox_match``), how many requests go out at once (``concurrency``), whether
``type: file`` would carry the same send in one upload (``file_instead``), whether
the text is a verification code (``code_only``), whether the send targets IPPanel's
number bank (``targets_bank``: a sent campaign cannot be sent again) and which body
field an API refusal that names none is about (``unnamed_field``). Adding
a sending type means adding a row here (and its branch in the JSON Schema).
Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from runner.models import Batch, Campaign, Targeting
from runner.request_layouts import (
    BodyLayout,
    Grouping,
    everyone_at_once,
    file_body,
    one_per_recipient,
    one_text_body,
    one_text_chunks,
    packed,
    pattern_body,
    peer_to_peer_body,
    postal_body,
    recipients_file_body,
)

API_BATCH_CEILING = 1000
FILE_ROWS_CEILING = 10_000
FILE_RECIPIENTS_CEILING = 1_000_000
GENDER_CODES = {"all": 0, "male": 1, "female": 2}
# pattern and votp take one recipient a request: more of them in flight keep up with the API.
PER_RECIPIENT_CONCURRENCY = 16
OPERATORS = ("mci", "irancell", "other")
# The Solar Hijri birth years postal_code accepts: the range sent when a campaign names none.
BIRTH_YEARS = (1300, 1410)

# One outbox id per request, per ``params`` item (a distinct text), or per file row.
OutboxIds = Literal["request", "message", "row"]
# How a send is recognized in the account's outbox: its text and its recipients; a
# pattern's words and its recipient (IPPanel fills the template); or, when IPPanel
# picks the audience (postal_code), its text alone.
OutboxMatch = Literal["recipients", "pattern_words", "text"]


def _no_fields(campaign: Campaign) -> Mapping[str, Any]:
    return {}


def _nothing_targeted(campaign: Campaign) -> int:
    return 0


@dataclass(frozen=True)
class SendingTypeSpec:
    """Everything the stages need to know about one ``sending_type``; a row of ``SPECS``."""

    name: str
    group: Grouping
    body: BodyLayout
    personalized: bool = False  # templates see each recipient's CSV row and ``phone``
    renders: Literal["message", "params"] = "message"  # what the templates fill in
    has_sender: bool = True  # the body carries ``from_number``
    promotional: bool = True  # operators append the opt-out suffix; send hours apply
    priced: bool = True  # ``send/calculate-price`` can estimate it ahead
    batch_size: int = API_BATCH_CEILING  # default and ceiling of recipients (rows) a request
    fields: Callable[[Campaign], Mapping[str, Any]] = _no_fields
    test_as: str = "webservice"  # the sending type a test send (``--test-to``) uses
    # How many numbers a request's targeting takes from IPPanel's bank (postal_code).
    targeted: Callable[[Campaign], int] = _nothing_targeted
    typed_apart: bool = False  # numbers typed in the campaign go apart from the upload
    outbox_ids: OutboxIds = "request"  # what the API answers one outbox id for
    outbox_match: OutboxMatch = "recipients"  # how an earlier send is found in the outbox
    concurrency: int = 4  # default requests in flight (one request a recipient needs more)
    file_instead: bool = False  # one text to a list: ``type: file`` sends it in one upload
    code_only: bool = False  # the text is a verification code: digits only, fewer than 15
    targets_bank: bool = False  # IPPanel picks numbers from its bank: no second send
    unnamed_field: str = ""  # the field an API refusal (404) that names none is about


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


SPECS: dict[str, SendingTypeSpec] = {
    spec.name: spec
    for spec in (
        SendingTypeSpec("normal", group=one_text_chunks, body=one_text_body, file_instead=True),
        SendingTypeSpec("webservice", group=one_text_chunks, body=one_text_body, file_instead=True),
        SendingTypeSpec(
            "file",
            group=one_text_chunks,
            body=recipients_file_body,
            batch_size=FILE_RECIPIENTS_CEILING,
            typed_apart=True,
        ),
        SendingTypeSpec(
            "peer_to_peer",
            group=packed,
            body=peer_to_peer_body,
            personalized=True,
            outbox_ids="message",
        ),
        SendingTypeSpec(
            "peer_to_peer_file",
            group=packed,
            body=file_body,
            personalized=True,
            batch_size=FILE_ROWS_CEILING,
            outbox_ids="row",
        ),
        SendingTypeSpec(
            "postal_code",
            group=everyone_at_once,
            body=postal_body,
            fields=_postal_fields,
            targeted=_targeted_count,
            outbox_match="text",
            targets_bank=True,
        ),
        SendingTypeSpec(
            "pattern",
            group=one_per_recipient,
            body=pattern_body,
            personalized=True,
            renders="params",
            promotional=False,
            priced=False,
            fields=_pattern_fields,
            test_as="pattern",
            outbox_match="pattern_words",
            concurrency=PER_RECIPIENT_CONCURRENCY,
            unnamed_field="code",
        ),
        SendingTypeSpec(
            "votp",
            group=one_per_recipient,
            body=one_text_body,
            personalized=True,
            has_sender=False,
            promotional=False,
            priced=False,
            test_as="votp",
            concurrency=PER_RECIPIENT_CONCURRENCY,
            code_only=True,
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
