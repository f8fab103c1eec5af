"""Diff against the lockfile: the campaign's plan, less what the lockfile says already went out.

The stage between planning and sending. Batches the lockfile records as sent are
shown as ``skip``, unsettled ones (``sending``, ``unknown``) as ``reconcile``;
recipients a recorded batch may have reached are left out of the new batches,
even when the text changed since; ``failed`` and ``cancelled`` batches are planned
again.
``plan``, ``--dry-run`` and ``apply`` all show exactly this. No network.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import cast

from runner.campaign import inputs_digest
from runner.errors import InputError
from runner.lockfile import NOT_SENT_STATES, BatchRecord, Lock, recipient_digest
from runner.models import Action, Batch, Campaign, CampaignPlan, RecipientStats, SendingType
from runner.planner import build_plan

# Unfinished batches are shown as "reconcile"; sent ones as "skip".
ACTION_OF_STATE: dict[str, Action] = {
    "sent": "skip",
    "sending": "reconcile",
    "unknown": "reconcile",
}


def finished(campaign: Campaign, lock: Lock) -> bool:
    """Everyone got the campaign and nothing changed since: there is nothing to plan.

    ``lock.inputs`` is only recorded by a run that sent every batch it planned.
    """
    if not lock.batches or not lock.inputs or lock.unresolved():
        return False
    try:
        return lock.inputs == inputs_digest(campaign)
    except OSError:
        return False


def diff(
    campaign: Campaign, lock: Lock, *, now: datetime, skip_invalid: bool = False
) -> CampaignPlan:
    """The plan against the lockfile: new batches to send, recorded ones to skip or settle."""
    recorded = tuple(
        Batch(
            r.key, cast(SendingType, r.sending_type), {}, (), ACTION_OF_STATE[r.state], r.recipients
        )
        for r in sorted(lock.batches.values(), key=_order)
        if r.state in ACTION_OF_STATE  # failed and cancelled ones are planned again as new ones
    )
    if finished(campaign, lock):
        total = sum(b.recipient_count for b in recorded)
        return CampaignPlan(
            campaign,
            None,
            recorded,
            RecipientStats(read=total, kept=total),
            samples=(),
            max_parts=0,
            total_parts=0,
            skipped_recipients=total,
            notes=("already sent, and nothing changed since the lockfile was written",),
        )
    digests = lock.covered()
    name = campaign.name
    plan = build_plan(
        campaign,
        now=now,
        skip_invalid=skip_invalid,
        covered=(lambda phone: recipient_digest(name, phone) in digests) if digests else None,
    )
    new = [
        b
        for b in plan.batches
        if b.key not in lock.batches or lock.batches[b.key].state in NOT_SENT_STATES
    ]
    if (
        campaign.type == "postal_code"
        and new
        and any(r.state not in NOT_SENT_STATES for r in lock.batches.values())
    ):
        raise InputError(
            f"{campaign.path}: this postal_code campaign was already sent; sending again would "
            "target the same number bank twice. Put new recipients in a new campaign."
        )
    notes = plan.notes
    cancelled = sum(1 for r in lock.batches.values() if r.state == "cancelled")
    if cancelled and new:
        notes += (
            f"{cancelled:,} batch(es) were cancelled (ippanel-run cancel): their recipients are "
            "planned again",
        )
    if plan.skipped_recipients:
        notes += (
            f"{plan.skipped_recipients:,} recipient(s) already got this campaign and are left "
            "out, even if the text changed since",
        )
    return replace(plan, batches=recorded + tuple(new), notes=notes)


def _order(record: BatchRecord) -> tuple[int, str]:
    return (record.attempted_at, record.key)
