"""Before a plan is sent: what the account's outbox already holds of it is adopted, not sent.

``find_sent`` looks for the plan's texts already sent to its recipients from its sender
since the window's start (``Outbox.already_sent``). When the newest such send is younger
than the client's deadline plus the commit margin, a run cut off moments ago (a CI runner
killed mid-send, say) may still have sends in the API's hands: it waits that long and looks
again, so those land before anything is planned around them. ``with_note`` says in the
plan what was adopted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from runner.models import CampaignPlan
from runner.outbox import Adoption, Outbox
from runner.stopping import Stop, pause


@dataclass(frozen=True)
class Landing:
    """How to wait for sends still in the API's hands: seams, and how long they may take."""

    now: Callable[[], datetime]
    sleep: Callable[[float], None]
    stop: Stop
    note: Callable[[str], None]
    span: float  # the client's deadline + the commit margin


def find_sent(plan: CampaignPlan, outbox: Outbox, since: int, landing: Landing) -> Adoption:
    """The outbox's sends of ``plan``'s batches to send, since ``since`` (unix time)."""
    batches = [b for b in plan.batches if b.action == "send"]
    sender = plan.campaign.sender or ""
    found = outbox.already_sent(batches, sender, since)
    if not found.rows:
        return found
    now = landing.now().timestamp()
    ready = min(found.newest + landing.span, now + landing.span)
    if ready <= now:
        return found
    landing.note(
        f"{plan.campaign.name}: this campaign was being sent {now - found.newest:.0f} s ago; "
        f"waiting {ready - now:.0f} s for sends still in the API's hands, then checking the "
        "account's outbox again"
    )
    pause(ready - now, landing.sleep, landing.stop)
    return outbox.already_sent(batches, sender, since, fresh_after=ready)


def with_note(plan: CampaignPlan, found: Adoption) -> CampaignPlan:
    """``plan``, saying how many recipients the outbox already had and in which outboxes."""
    ids = found.ids
    shown = ", ".join(str(i) for i in ids[:5]) + (f" … {len(ids)} in all" if len(ids) > 5 else "")
    note = (
        f"{len(found.phones):,} recipient(s) already got this text from "
        f"{plan.campaign.sender or 'this account'} (the account's outbox, outboxes {shown}): "
        "adopted into the lockfile, not sent again"
    )
    return dataclasses.replace(plan, notes=(*plan.notes, note))
