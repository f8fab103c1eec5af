"""postal_code audiences: how many numbers a campaign takes from IPPanel's bank, and its limits.

A postal_code request selects, per targeting entry, a slice of each operator's
numbers (``size`` from ``start``), plus the explicit ``recipients`` sent as
``other_recipients``. Its recipient count is the sum of the slices' sizes plus
those recipients, and the API takes at most 1,000,000 of them in one request.
The planner reads this module; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from runner.errors import Violation
from runner.models import Batch, Campaign, Targeting
from runner.sending_types import OPERATORS, birth_years

MAX_RECIPIENTS = 1_000_000


def audience_problems(campaign: Campaign, batches: Sequence[Batch]) -> list[Violation]:
    """Errors for a postal_code request over the API's cap, or targeting that selects nothing."""
    problems = [
        campaign.location(f"targeting.{index}").violation(
            f"targeting[{index}] (postal code {target.postal_code}) selects no numbers from "
            "the bank: give operators a size, e.g. operators: {mci: {size: 1000}}; an operator "
            "left out is sent as size 0 (the API itself would send to every number of the area)"
        )
        for index, target in enumerate(campaign.targeting)
        if not _size(target)
    ]
    for batch in batches:
        total = batch.recipient_count
        if batch.targeted and total > MAX_RECIPIENTS:
            listed = total - batch.targeted
            problems.append(
                campaign.location("targeting").violation(
                    f"this postal_code send reaches {total:,} recipients (operator sizes "
                    f"{batch.targeted:,} + {listed:,} recipients); the API takes at most "
                    f"{MAX_RECIPIENTS:,} in one request: lower the operator sizes"
                )
            )
    return problems


def describe_targeting(campaign: Campaign) -> str:
    """The targeting as the plan shows it: per entry its area, operator sizes and filters."""
    return "; ".join(_describe(target) for target in campaign.targeting)


def notes(campaign: Campaign) -> Iterator[str]:
    """What the plan should point out about the targeting the campaign did not spell out."""
    for index, target in enumerate(campaign.targeting):
        low, high = birth_years(target)
        entry = f"targeting[{index}] (postal code {target.postal_code})"
        if target.birth_year_from is None and target.birth_year_to is None:
            widest = f"the widest range the API accepts, {low}–{high}"
            yield f"{entry} sets no birth_year: {widest}, is sent"
        elif target.birth_year_from is None or target.birth_year_to is None:
            yield f"{entry} sets one end of birth_year: {low}–{high} is sent"


def _size(target: Targeting) -> int:
    return sum(piece.size for piece in target.operators.values())


def _describe(target: Targeting) -> str:
    sizes = " + ".join(
        f"{name} {target.operators[name].size if name in target.operators else 0:,}"
        for name in OPERATORS
    )
    low, high = birth_years(target)
    filters = [f"born {low}–{high}"]
    if target.gender != "all":
        filters.append(target.gender)
    if target.bank != "all":
        filters.append(f"{target.bank} bank")
    return (
        f"postal code {target.postal_code}: {sizes} = {_size(target):,} numbers "
        f"({', '.join(filters)})"
    )
