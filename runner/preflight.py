"""Online checks before anything is sent: the account has the campaign's sender and pattern.

``AccountCheck(client).check(plan)`` asks the API (``GET /api/number/numbers``, all
pages; ``GET /api/patterns/{code}``) and returns ``Findings``:

- errors, as ``path:line:col`` violations: the sender is not one of the account's
  lines; the pattern does not exist or is not active; ``pattern.params`` lacks a
  variable of the pattern or has one the pattern does not know; an ``integer``
  variable renders to something other than digits for some recipient;
- warnings: an endpoint the server lacks (404/405: the API document the project
  started from has neither), so that check could not be made.

``plan --online`` prints both; apply refuses to send on any error. The account's
lines and patterns are fetched once per ``AccountCheck`` however many campaigns ask.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from runner.api.client import IPPanelClient
from runner.api.envelope import missing_endpoint
from runner.api.lookups import Pattern, all_sender_lines, line_key
from runner.errors import ApiError, InvalidCampaign, Violation
from runner.loader import load_document
from runner.models import Campaign, CampaignPlan, Location
from runner.sending_types import spec_of

SHOWN = 5
# What a variable's rendered value must look like, by the pattern's variable type.
VALUE_SHAPES = {
    "integer": (re.compile(r"[0-9]+"), "digits (0-9)"),
    "number": (re.compile(r"[0-9]+(\.[0-9]+)?"), "a number written in 0-9"),
}


@dataclass(frozen=True)
class Findings:
    """What the online checks found for one campaign."""

    errors: tuple[Violation, ...] = ()
    warnings: tuple[str, ...] = ()

    def raise_errors(self) -> None:
        if self.errors:
            raise InvalidCampaign(self.errors)


@dataclass(frozen=True)
class PatternLookup:
    """A pattern found, or why not: ``error`` (no such pattern), ``warning`` (no endpoint)."""

    pattern: Pattern | None
    error: str = ""
    warning: str = ""


@dataclass
class AccountCheck:
    """Checks campaigns against one account, asking for its lines and patterns once."""

    client: IPPanelClient
    _lines: list[str] | None = None
    _lines_missing: str = ""
    _patterns: dict[str, PatternLookup] = field(default_factory=dict)

    def check(self, plan: CampaignPlan) -> Findings:
        """Errors and warnings for ``plan``'s campaign (its batches to send, for values)."""
        campaign = plan.campaign
        errors: list[Violation] = []
        warnings: list[str] = []
        if campaign.sender and spec_of(campaign.type).has_sender:
            self._check_sender(campaign, errors, warnings)
        if campaign.pattern_code:
            self._check_pattern(plan, errors, warnings)
        return Findings(tuple(errors), tuple(warnings))

    def _check_sender(
        self, campaign: Campaign, errors: list[Violation], warnings: list[str]
    ) -> None:
        lines = self._account_lines()
        if lines is None:
            warnings.append(
                f"{campaign.path}: could not check that sender {campaign.sender} is one of the "
                f"account's lines: {self._lines_missing}"
            )
            return
        sender = campaign.sender or ""
        if line_key(sender) in {line_key(n) for n in lines}:
            return
        shown = ", ".join(lines[:SHOWN]) + (
            f" and {len(lines) - SHOWN} more" if len(lines) > SHOWN else ""
        )
        errors.append(
            _where(campaign, ("sender",)).violation(
                f"sender {sender} is not one of the account's lines "
                f"({shown or 'the account has none'}); use one of them, or add the line in "
                "the IPPanel panel (Numbers)"
            )
        )

    def _account_lines(self) -> list[str] | None:
        if self._lines is None and not self._lines_missing:
            try:
                self._lines = [line.number for line in all_sender_lines(self.client)]
            except ApiError as err:
                if not missing_endpoint(err):
                    raise
                self._lines_missing = f"the API has no numbers endpoint ({err})"
        return self._lines

    def _pattern(self, code: str) -> PatternLookup:
        if code not in self._patterns:
            self._patterns[code] = _look_up(self.client, code)
        return self._patterns[code]

    def _check_pattern(
        self, plan: CampaignPlan, errors: list[Violation], warnings: list[str]
    ) -> None:
        campaign = plan.campaign
        code = campaign.pattern_code or ""
        lookup = self._pattern(code)
        if lookup.warning:
            warnings.append(f"{campaign.path}: could not check pattern {code}: {lookup.warning}")
        if lookup.error:
            errors.append(_where(campaign, ("pattern", "code")).violation(lookup.error))
        found = lookup.pattern
        if found is None:
            return
        if not found.active:
            errors.append(_where(campaign, ("pattern", "code")).violation(_inactive(found)))
        errors.extend(_params_problems(plan, found))


def _look_up(client: IPPanelClient, code: str) -> PatternLookup:
    """``GET /api/patterns/{code}``; on a 404 the list tells a missing pattern from a
    missing endpoint (the unknown-pattern answer is a 404 too)."""
    try:
        return PatternLookup(client.pattern(code))
    except ApiError as err:
        if not missing_endpoint(err):
            raise
        first = err
    try:
        listed = client.find_patterns(code)
    except ApiError as err:
        if not missing_endpoint(err):
            raise
        return PatternLookup(None, warning=f"the API has no pattern endpoints ({first}; {err})")
    for pattern in listed:
        if pattern.code == code:
            return PatternLookup(pattern)
    return PatternLookup(
        None,
        error=f"pattern {code} does not exist in this account ({first}); check the code in "
        "the IPPanel panel (Patterns)",
    )


def _inactive(pattern: Pattern) -> str:
    state = pattern.status or "unknown"
    why = pattern.status_fa or ("waiting for IPPanel's approval" if state == "pending" else "")
    shown = f"{state} ({why})" if why else state
    comment = (
        f"; the reviewer wrote: {pattern.admin_comment[:200]}" if pattern.admin_comment else ""
    )
    return (
        f"pattern {pattern.code} is {shown}{comment}; a send with it fails: use an active pattern"
    )


def _params_problems(plan: CampaignPlan, pattern: Pattern) -> Iterator[Violation]:
    campaign = plan.campaign
    given = dict(campaign.pattern_params)
    wanted = {v.name: v.type for v in pattern.variables}
    listed = ", ".join(f"{n} ({t})" for n, t in wanted.items()) or "none"
    here = _where(campaign, ("pattern", "params"))
    for name in wanted:
        if name not in given:
            yield here.violation(
                f"pattern.params lacks {name}, a variable of pattern {pattern.code} "
                f"(its variables: {listed})"
            )
    for name, template in given.items():
        if name not in wanted:
            yield template.where.violation(
                f"pattern.params.{name} is not a variable of pattern {pattern.code} "
                f"(its variables: {listed})"
            )
        elif wanted[name] in VALUE_SHAPES:
            yield from _values_problems(plan, pattern, name, wanted[name])


def _values_problems(
    plan: CampaignPlan, pattern: Pattern, name: str, kind: str
) -> Iterator[Violation]:
    shape, words = VALUE_SHAPES[kind]
    bad = [
        (phone, str(batch.fields.get("params", {}).get(name, "")))
        for batch in plan.batches
        if batch.action == "send"
        for phone in (p for m in batch.messages for p in m.recipients)
        if not shape.fullmatch(str(batch.fields.get("params", {}).get(name, "")))
    ]
    if not bad:
        return
    template = dict(plan.campaign.pattern_params)[name]
    shown = ", ".join(f"{value[:20]!r} for {phone}" for phone, value in bad[:3])
    more = f" (and {len(bad) - 3} more recipients)" if len(bad) > 3 else ""
    yield template.where.violation(
        f"pattern.params.{name} renders to {shown}{more}, but {name} is an {kind} variable of "
        f"pattern {pattern.code}: it must be {words}"
    )


def _where(campaign: Campaign, path: tuple[str, ...]) -> Location:
    return load_document(campaign.path).location(path, key=True)
