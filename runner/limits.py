"""Safety limits: a campaign's ``limits`` and the account's credit, checked before sending.

``max_recipients`` needs no network, so ``validate`` and ``plan`` check it as well
as apply: a pull request's plan fails when the merge would. ``max_cost`` and the
credit need the API's price quote; when the cost cannot be estimated (a type
IPPanel cannot quote, or an API without ``send/calculate-price``) a campaign that
sets ``max_cost`` is refused rather than sent unchecked. ``--allow-over-limit``
waives all of these. Nothing here does I/O.
"""

from __future__ import annotations

from runner.errors import Violation
from runner.models import CampaignPlan
from runner.pricing import Estimate

WAIVE = "raise the limit in the campaign, or pass --allow-over-limit"


def recipient_problems(plan: CampaignPlan) -> list[Violation]:
    """``limits.max_recipients`` against the recipients the plan would send to."""
    campaign = plan.campaign
    limit = campaign.limits.max_recipients
    recipients = sum(b.recipient_count for b in plan.batches if b.action == "send")
    if limit is None or recipients <= limit:
        return []
    return [
        campaign.location("limits.max_recipients").violation(
            f"{recipients:,} recipients to send to is over limits.max_recipients ({limit:,}); "
            + WAIVE
        )
    ]


def cost_problems(plan: CampaignPlan, quote: Estimate) -> list[Violation]:
    """``limits.max_cost`` and the account's credit against the price estimate."""
    campaign = plan.campaign
    limit = campaign.limits.max_cost
    where = campaign.location("limits.max_cost")
    if quote.cost is None:
        if limit is None:
            return []
        return [
            where.violation(
                f"limits.max_cost is set, but the cost cannot be estimated ({quote.note}), so "
                "the limit cannot be checked; remove max_cost, or pass --allow-over-limit"
            )
        ]
    cost = f"the estimated cost {quote.cost:,.0f} Rials"
    problems = []
    if limit is not None and quote.cost > limit:
        problems.append(where.violation(f"{cost} is over limits.max_cost ({limit:,.0f}); {WAIVE}"))
    if quote.credit is not None and quote.cost > quote.credit:
        problems.append(
            campaign.location("").violation(
                f"{cost} is over the account's credit ({quote.credit:,.0f} Rials); top up the "
                "account, or pass --allow-over-limit"
            )
        )
    return problems
