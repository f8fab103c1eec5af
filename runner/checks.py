"""The checks before anything is sent, cheapest first: those that need no API call
(the recipient limit, the send hours when sending now), then the account (the sender
is one of its lines, the pattern exists). A failed check is a ``Violation`` located in
the campaign file: exit 2, nothing sent.
"""

from __future__ import annotations

from typing import Literal

from runner.errors import InvalidCampaign, Violation
from runner.limits import recipient_problems
from runner.models import CampaignPlan
from runner.preflight import AccountCheck
from runner.send_hours import now_problem
from runner.send_seams import SendSeams


def check_before_send(
    plan: CampaignPlan,
    seams: SendSeams,
    allow_over_limit: bool,
    outside_hours: Literal["refuse", "warn"],
) -> None:
    """What needs no API call: the recipient limit, and the send hours when sending now.

    ``outside_hours``: refuse, or only warn (the sandbox, where nothing real is sent).
    """
    if not allow_over_limit:
        refuse(recipient_problems(plan))
    hours = now_problem(plan.campaign, seams.now()) if plan.send_time is None else None
    if hours is not None:
        if outside_hours == "refuse":
            refuse([hours])
        seams.note(f"warning: {hours.message} (the sandbox sends anyway; nothing real is sent)")


def check_account(plan: CampaignPlan, seams: SendSeams) -> None:
    """The sender and pattern exist in the account: refuse (exit 2) before anything is sent."""
    findings = AccountCheck(seams.client).check(plan)
    for warning in findings.warnings:
        seams.note(f"warning: {warning}")
    findings.raise_errors()


def refuse(problems: list[Violation]) -> None:
    """Stop with every problem found (exit 2), if there is any."""
    if problems:
        raise InvalidCampaign(problems)
