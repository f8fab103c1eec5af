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
from typing import Any

from runner.campaign import load_campaign
from runner.client import IPPanelClient
from runner.errors import ConfirmationRefused, InputError
from runner.models import Batch, Campaign
from runner.planner import build_plan
from runner.recipients import InvalidNumber, normalize_phone


def test_bodies(campaign: Campaign, first: Batch, phones: Sequence[str]) -> list[dict[str, Any]]:
    """The requests of a test send, built from the campaign's first batch."""
    text = first.messages[0].text
    if campaign.type == "pattern":
        return [
            {
                "sending_type": "pattern",
                "from_number": campaign.sender,
                "code": campaign.pattern_code,
                "recipients": [phone],
                "params": first.fields["params"],
            }
            for phone in phones
        ]
    if campaign.type == "votp":
        return [
            {"sending_type": "votp", "message": text, "params": {"recipients": [phone]}}
            for phone in phones
        ]
    return [
        {
            "sending_type": "webservice",
            "from_number": campaign.sender,
            "message": text,
            "params": {"recipients": list(phones)},
        }
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
    for body in test_bodies(campaign, first, phones):
        to = body.get("recipients") or body["params"]["recipients"]
        ids = ", ".join(str(i) for i in client.send(body).outbox_ids)
        lines.append(
            f"TEST SEND {campaign.name} → {', '.join(to)}: outbox ids {ids} "
            "(a test: not campaign progress, not in the lockfile)"
        )
    return lines
