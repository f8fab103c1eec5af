"""A price estimate before sending: the account's credit and what the plan should cost.

``send/calculate-price`` is asked once per kind of text (encoding × parts), not
once per text: a million personalized texts fall into a handful of kinds. Promotional
texts are quoted with the opt-out suffix the operator appends (IPPanel's quote
leaves it out otherwise). MCI numbers are priced at ``mci_price``, every other
operator at ``other_price``; a postal_code send's bank slices by their operator.
Prices are in Rials and, as the vendor warns, charged at actual send time.

Credit and price quote are endpoints the original API document lacks: when the
API answers 404/405 for one, the estimate goes without it and says so in
``warnings`` (``runner.limits`` then refuses a campaign whose ``max_cost`` depends on it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from runner.api.client import IPPanelClient
from runner.api.envelope import missing_endpoint
from runner.api.types import PriceQuote
from runner.errors import ApiError, InvalidCampaign
from runner.models import Batch, CampaignPlan
from runner.operators import is_mci
from runner.parts import billed, count_parts
from runner.rejections import explain, refused
from runner.sending_types import spec_of

T = TypeVar("T")

CREDIT = "payment/credit/mine"
PRICE = "send/calculate-price"


@dataclass(frozen=True)
class Estimate:
    """Credit and estimated cost in Rials; ``cost`` is None when it cannot be known ahead.

    ``note`` says why the cost is unknown; ``warnings`` name what could not be checked.
    """

    credit: float | None
    cost: float | None
    note: str = ""
    warnings: tuple[str, ...] = ()


def estimate(plan: CampaignPlan, client: IPPanelClient) -> Estimate:
    """Ask the API for the credit and a quote per kind of text in the plan's sends.

    The API refusing the quote's fields (the sender is not the account's line, say)
    is the campaign's mistake: ``InvalidCampaign``, located in the campaign.
    """
    try:
        return _estimate(plan, client)
    except ApiError as err:
        if refused(err):
            raise InvalidCampaign(explain(err, plan.campaign, {})) from err
        raise


def _estimate(plan: CampaignPlan, client: IPPanelClient) -> Estimate:
    warnings: list[str] = []
    credit = _optional(lambda: client.credit().credit, CREDIT, "the credit", warnings)
    campaign = plan.campaign
    if not spec_of(campaign.type).priced or not campaign.sender:
        note = f"IPPanel has no price quote for type {campaign.type}"
        return Estimate(credit, None, note, tuple(warnings))
    cost = _cost(plan, client, warnings)
    if cost is None:
        return Estimate(credit, None, f"the API has no {PRICE}", tuple(warnings))
    return Estimate(credit, cost, warnings=tuple(warnings))


def _cost(plan: CampaignPlan, client: IPPanelClient, warnings: list[str]) -> float | None:
    campaign = plan.campaign
    sender = campaign.sender or ""
    promotional = spec_of(campaign.type).promotional
    bank_mci = sum(t.operators["mci"].size for t in campaign.targeting if "mci" in t.operators)
    quotes: dict[tuple[str, int], PriceQuote] = {}
    cost = 0.0
    for batch in plan.batches:
        if batch.action != "send":
            continue
        for index, message in enumerate(batch.messages):
            text = billed(message.text, promotional)
            parts = count_parts(text)
            kind = (parts.encoding, parts.parts)
            if kind not in quotes:
                quote = partial(client.calculate_price, sender, text)
                answer = _optional(quote, PRICE, "the cost", warnings)
                if not isinstance(answer, PriceQuote):
                    return None
                quotes[kind] = answer
            mci, others = _split(batch, index, bank_mci)
            cost += mci * quotes[kind].mci_price + others * quotes[kind].other_price
    return cost


def _split(batch: Batch, index: int, bank_mci: int) -> tuple[int, int]:
    """(MCI, other) recipients of message ``index``; a postal send's bank slices count too.

    ``bank_mci`` is how many of the batch's ``targeted`` numbers are MCI's slices.
    """
    recipients = batch.messages[index].recipients
    mci = sum(1 for phone in recipients if is_mci(phone))
    others = len(recipients) - mci
    if index == 0 and batch.targeted:
        mci, others = mci + bank_mci, others + batch.targeted - bank_mci
    return mci, others


def _optional(call: Callable[[], T], endpoint: str, what: str, warnings: list[str]) -> T | None:
    """``call()``, or None with a warning when the API does not have ``endpoint``."""
    try:
        return call()
    except ApiError as err:
        if not missing_endpoint(err):
            raise
        warnings.append(
            f"the API has no {endpoint} (HTTP {err.status}; an older API version), "
            f"so {what} was not checked"
        )
        return None
