"""A price estimate before sending: the account's credit and what the plan should cost.

``send/calculate-price`` is asked once per kind of text (encoding × parts), not
once per text: a million personalized texts fall into a handful of kinds. MCI
numbers are priced at ``mci_price``, every other operator at ``other_price``.
Prices are in Rials and, as the vendor warns, charged at actual send time.
"""

from __future__ import annotations

from dataclasses import dataclass

from runner.api.client import IPPanelClient
from runner.api.types import PriceQuote
from runner.models import CampaignPlan
from runner.operators import is_mci
from runner.parts import count_parts
from runner.sending_types import spec_of


@dataclass(frozen=True)
class Estimate:
    """Credit and estimated cost in Rials; ``cost`` is None when it cannot be known ahead."""

    credit: float | None
    cost: float | None
    note: str = ""


def estimate(plan: CampaignPlan, client: IPPanelClient) -> Estimate:
    """Ask the API for the credit and a quote per kind of text in the plan's sends."""
    credit = client.credit().credit
    campaign = plan.campaign
    if not spec_of(campaign.type).priced or not campaign.sender:
        return Estimate(credit, None, f"no estimate for type {campaign.type}")
    quotes: dict[tuple[str, int], PriceQuote] = {}
    cost = 0.0
    for batch in plan.batches:
        if batch.action != "send":
            continue
        for message in batch.messages:
            parts = count_parts(message.text)
            kind = (parts.encoding, parts.parts)
            if kind not in quotes:
                quotes[kind] = client.calculate_price(campaign.sender, message.text)
            quote = quotes[kind]
            mci = sum(1 for phone in message.recipients if is_mci(phone))
            cost += mci * quote.mci_price + (len(message.recipients) - mci) * quote.other_price
    return Estimate(credit, cost)
