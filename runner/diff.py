"""Diff against the lockfile: the campaign's plan, less what the lockfile says already went out.

The stage between planning and sending. Batches the lockfile records as sent are
shown as ``skip``, unsettled ones (``sending``, ``unknown``) as ``reconcile``;
recipients a recorded batch may have reached are left out of the new batches,
even when the text changed since; ``failed`` and ``cancelled`` batches are planned
again. What changed since the sends (the text, recipients added or removed) is
listed as ``CampaignPlan.changes``, the way ``terraform plan`` shows a diff.
``plan``, ``--dry-run`` and ``apply`` all show exactly this. No network.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import cast

from runner.campaign import inputs_digest
from runner.errors import InputError
from runner.lockfile import (
    NOT_SENT_STATES,
    BatchRecord,
    Lock,
    recipient_digest,
    text_digest,
    unpack_digests,
)
from runner.models import (
    Action,
    Batch,
    Campaign,
    CampaignPlan,
    Change,
    RecipientStats,
    SendingType,
)
from runner.planner import build_plan
from runner.sending_types import spec_of

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
    campaign: Campaign,
    lock: Lock,
    *,
    now: datetime,
    skip_invalid: bool = False,
    adopted: frozenset[str] = frozenset(),
) -> CampaignPlan:
    """The plan against the lockfile: new batches to send, recorded ones to skip or settle.

    ``adopted`` are keys of records this run found in the account's outbox (shown as such).
    """
    recorded = _recorded(lock, adopted)
    if finished(campaign, lock):
        return _unchanged(campaign, recorded)
    digests = lock.covered()
    texts = _TextTally(_sent_texts(lock))
    name = campaign.name
    plan = build_plan(
        campaign,
        now=now,
        skip_invalid=skip_invalid,
        covered=(lambda phone: recipient_digest(name, phone) in digests) if digests else None,
        on_covered=texts.see if texts.sent else None,
    )
    new = [
        b
        for b in plan.batches
        if b.key not in lock.batches or lock.batches[b.key].state in NOT_SENT_STATES
    ]
    new = _refuse_postal_resend(campaign, lock, new)
    notes = (plan.notes + _cancelled_note(lock)) if new else plan.notes
    changes = _changes(campaign, lock, plan, new, len(digests), texts) if digests else ()
    return replace(plan, batches=recorded + tuple(new), notes=notes, changes=changes)


def _recorded(lock: Lock, adopted: frozenset[str]) -> tuple[Batch, ...]:
    """The lockfile's batches as the plan shows them: to skip, settle or adopt."""
    return tuple(
        Batch(
            r.key,
            cast(SendingType, r.sending_type),
            {},
            (),
            "adopt" if r.key in adopted else ACTION_OF_STATE[r.state],
            r.recipients,
        )
        for r in sorted(lock.batches.values(), key=_order)
        if r.state in ACTION_OF_STATE  # failed and cancelled ones are planned again as new ones
    )


def _cancelled_note(lock: Lock) -> tuple[str, ...]:
    """Why recipients of cancelled batches are in the plan again (none: no note)."""
    cancelled = sum(1 for r in lock.batches.values() if r.state == "cancelled")
    if not cancelled:
        return ()
    return (
        f"{cancelled:,} batch(es) were cancelled (ippanel-run cancel): their recipients are "
        "planned again",
    )


def _unchanged(campaign: Campaign, recorded: tuple[Batch, ...]) -> CampaignPlan:
    """The plan of a finished campaign whose files did not change: nothing to do."""
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
        unchanged=True,
    )


def _refuse_postal_resend(campaign: Campaign, lock: Lock, new: list[Batch]) -> list[Batch]:
    """A sent postal_code campaign: nothing left, or an error (the bank was targeted)."""
    if not spec_of(campaign.type).targets_bank or all(
        r.state in NOT_SENT_STATES for r in lock.batches.values()
    ):
        return new
    # The number bank was targeted already: only new inline recipients could be left.
    new = [b for b in new if any(m.recipients for m in b.messages)]
    if new:
        raise InputError(
            f"{campaign.path}: this postal_code campaign was already sent; sending again would "
            "target the same number bank twice. Put new recipients in a new campaign."
        )
    return new


class _TextTally:
    """Counts recipients left out (already sent) whose text would now be different."""

    def __init__(self, sent: set[bytes]) -> None:
        self.sent = sent
        self.changed = 0

    def see(self, text: str) -> None:
        if text_digest(text) not in self.sent:
            self.changed += 1


def _sent_texts(lock: Lock) -> set[bytes]:
    """Digests of every text the lockfile's sent (or maybe sent) batches carried."""
    found: set[bytes] = set()
    for record in lock.batches.values():
        if record.state not in NOT_SENT_STATES and record.texts:
            found |= unpack_digests(record.texts)
    return found


def _changes(
    campaign: Campaign,
    lock: Lock,
    plan: CampaignPlan,
    new: list[Batch],
    covered: int,
    texts: _TextTally,
) -> tuple[Change, ...]:
    """What changed since the campaign was sent, as terraform plan shows it."""
    again: set[bytes] = set()
    for record in lock.batches.values():
        if record.state in NOT_SENT_STATES:
            again |= unpack_digests(record.digests)
    retried = sum(
        recipient_digest(campaign.name, phone) in again
        for batch in new
        for message in batch.messages
        for phone in message.recipients
    )
    added = sum(len(m.recipients) for b in new for m in b.messages) - retried
    left_out = plan.skipped_recipients
    found = [
        Change("~", "text", "changed: {} recipient(s) who got the earlier text are left out, "
               "not sent this one", texts.changed, "text_changed"),
        Change("+", "recipients", "{} new: they get this campaign", added, "added"),
        Change("+", "recipients", "{} planned again: their earlier batch failed or was "
               "cancelled", retried, "planned_again"),
        Change("-", "recipients", "{} no longer in the campaign: they already got it (nothing "
               "is taken back)", max(covered - left_out, 0), "removed"),
        Change("=", "recipients", "{} already got it and are left out",
               left_out - texts.changed, "left_out"),
    ]  # fmt: skip
    return tuple(
        replace(change, detail=change.detail.format(f"{change.count:,}"))
        for change in found
        if change.count > 0
    )


def _order(record: BatchRecord) -> tuple[int, str]:
    return (record.attempted_at, record.key)
