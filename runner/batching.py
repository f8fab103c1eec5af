"""PURE: grouped texts become batches, and a batch becomes the exact request body.

``cut`` cuts the planner's rendered texts into requests as the sending type's row
says (``runner.sending_types``): at most ``batch_size`` recipients each, and for
``type: file`` the numbers typed in the campaign file set apart from the upload.
``make_batch`` keys each batch by a digest of what it sends. ``request_body`` (and
``streamed_body``, for uploads written chunk by chunk) is what ``POST /api/send``
receives; dry-run, apply and test sends all use it. ``file_suggestion`` is the
plan's note when many one-text requests would be better sent as one file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from runner.models import Batch, Campaign, InlineNumber, Message
from runner.phones import InvalidNumber, normalize_phone
from runner.request_layouts import Groups
from runner.sending_types import API_BATCH_CEILING, FILE_RECIPIENTS_CEILING, spec_of


def cut(campaign: Campaign, fields: Mapping[str, Any], groups: Groups) -> list[Batch]:
    """Cut grouped texts into requests as the sending type does (``batch_size`` at most)."""
    spec = spec_of(campaign.type)
    cuts = spec.group(groups, campaign.batch_size)
    if spec.typed_apart:
        typed = _typed_numbers(campaign)
        cuts = (_set_apart(messages, typed) for messages in cuts)
    targeted = spec.targeted(campaign)
    return [make_batch(campaign, fields, messages, targeted) for messages in cuts]


def _typed_numbers(campaign: Campaign) -> frozenset[str]:
    """The numbers written in the campaign file itself (not read from a data file)."""
    typed = set()
    for source in campaign.recipients:
        if isinstance(source, InlineNumber):
            try:
                typed.add(normalize_phone(source.value))
            except InvalidNumber:
                continue  # already reported (or skipped) by the recipients stage
    return frozenset(typed)


def _set_apart(messages: tuple[Message, ...], typed: frozenset[str]) -> tuple[Message, ...]:
    """``(upload, typed)``: one text's recipients, those typed in the campaign second."""
    (message,) = messages
    if not typed:
        return messages
    uploaded = tuple(p for p in message.recipients if p not in typed)
    others = tuple(p for p in message.recipients if p in typed)
    if not others:
        return messages
    return Message(message.text, uploaded), Message(message.text, others)


def make_batch(
    campaign: Campaign, fields: Mapping[str, Any], messages: tuple[Message, ...], targeted: int = 0
) -> Batch:
    """A batch of ``messages``; its key is a digest of the campaign, the fields and them."""
    digest = hashlib.sha256()
    head = [campaign.name, dict(fields)]
    digest.update(json.dumps(head, sort_keys=True, ensure_ascii=False).encode())
    for message in messages:
        digest.update(b"\x1e" + message.text.encode() + b"\x1f")
        digest.update("\x1f".join(message.recipients).encode())
    return Batch(digest.hexdigest()[:16], campaign.type, dict(fields), messages, targeted=targeted)


def request_body(batch: Batch, *, file_name: str = "recipients.csv") -> dict[str, Any]:
    """The exact body apply sends for ``batch`` (multipart: ``{"form", "files"}``).

    Uploaded files' ``content`` is the whole text; ``streamed_body`` leaves it a
    ``LazyText`` (for a million-row upload, written or sent chunk by chunk).
    """
    body = streamed_body(batch, file_name=file_name)
    for upload in body.get("files", ()):
        upload["content"] = str(upload["content"])
    return body


def streamed_body(batch: Batch, *, file_name: str = "recipients.csv") -> dict[str, Any]:
    """``request_body`` with every uploaded file's ``content`` a ``LazyText``."""
    return spec_of(batch.sending_type).body(batch.fields, batch.messages, file_name)


def file_suggestion(campaign: Campaign, batches: int, recipients: int) -> tuple[str, ...]:
    """Many one-text requests mean as many separate reviews; ``type: file`` needs one."""
    if not spec_of(campaign.type).file_instead or recipients <= API_BATCH_CEILING:
        return ()
    return (
        f"{recipients:,} recipients go out as {batches:,} separate {campaign.type} requests, "
        f"each reviewed on its own by IPPanel ({batches:,} reviews: one can be approved while "
        f"another is rejected, leaving the campaign half sent). type: file sends up to "
        f"{FILE_RECIPIENTS_CEILING:,} recipients as one upload: one review, one outbox.",
    )
