"""Test sends: the first rendered message of a campaign, to your own numbers only.

``apply --test-to +98912…`` shows how a message really arrives before the
campaign goes out. It sends now (no schedule), never touches the lockfile and is
never counted as campaign progress. Text types go out as one ``webservice``
request; ``pattern`` and ``votp`` take one request per number, as the API requires.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from runner.api.client import IPPanelClient
from runner.batching import request_body
from runner.campaign import load_campaign
from runner.errors import ConfirmationRefused, InputError
from runner.models import Batch, Campaign, SendingType
from runner.phones import InvalidNumber, normalize_phone
from runner.planner import build_plan
from runner.send_hours import window_of
from runner.sending_types import spec_of


def trial_bodies(campaign: Campaign, first: Batch, phones: Sequence[str]) -> list[dict[str, Any]]:
    """The requests of a test send, built from the campaign's first batch.

    The test goes out as the type's ``test_as``: one text to every number in one
    request (``webservice``), or one request per number for pattern and votp.
    """
    test_as = spec_of(spec_of(campaign.type).test_as)
    if test_as.name == campaign.type:
        # A pattern's code and the first recipient's params; a test always sends now.
        fields = {k: v for k, v in first.fields.items() if k != "send_time"}
    else:
        fields = {"sending_type": test_as.name, "from_number": campaign.sender}
    groups = {first.messages[0].text: list(phones)}
    kind = cast(SendingType, test_as.name)
    return [
        request_body(Batch(first.key, kind, fields, messages))
        for messages in test_as.group(groups, len(phones))
    ]


def run_test_send(
    path: Path,
    numbers: Sequence[str],
    client: IPPanelClient,
    *,
    now: datetime,
    confirm: Callable[[str], bool],
) -> list[str]:
    """Send the first rendered message of ``path`` to ``numbers``; lines to print."""
    campaign = load_campaign(path)
    phones = []
    for number in numbers:
        try:
            phones.append(normalize_phone(number))
        except InvalidNumber as err:
            raise InputError(f"--test-to {number}: {err}") from err
    plan = build_plan(campaign, now=now)
    first = next((b for b in plan.batches if b.messages), None)
    if first is None:
        raise InputError(f"{path}: the campaign has no recipients, so there is no message to test")
    question = f"TEST: send the first message of {campaign.name} to {', '.join(phones)} now?"
    if not confirm(question):
        raise ConfirmationRefused(f"{path}: test send not confirmed; nothing was sent")
    lines = []
    window = window_of(campaign)
    if window is not None and not window.contains(now):
        # One message, so no refusal; but the user should not wait for it at night.
        lines.append(
            f"note: this test goes out outside send_hours {window.text} (Tehran time): an MCI "
            "number may not get a promotional SMS now, and it is still charged"
        )
    for body in trial_bodies(campaign, first, phones):
        to = body.get("recipients") or body["params"]["recipients"]
        ids = ", ".join(str(i) for i in client.send(body).outbox_ids)
        lines.append(
            f"TEST SEND {campaign.name} → {', '.join(to)}: outbox ids {ids} "
            "(a test: not campaign progress, not in the lockfile)"
        )
        lines.extend(f"  │ {line}" for line in _sent_text(body).splitlines())
    return lines


def _sent_text(body: dict[str, Any]) -> str:
    """What the test sent, as the recipient reads it (a pattern's parameters otherwise)."""
    if isinstance(body.get("message"), str):
        return str(body["message"])
    params = body.get("params")
    if isinstance(params, dict):
        return ", ".join(f"{k}={v}" for k, v in params.items() if k != "recipients")
    return ""
