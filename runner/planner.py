"""PURE: a campaign becomes batches holding the exact API request bodies.

``build_plan`` streams the recipients once, renders each template, groups
identical texts, and cuts batches per sending type (``runner.batching``, where
``request_body`` turns a batch into the body ``POST /api/send`` receives).
Dry-run and apply both call these; nothing here touches the network or the lockfile.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from runner.batching import cut, file_suggestion, make_batch
from runner.errors import InvalidCampaign, Violation
from runner.models import (
    Batch,
    Campaign,
    CampaignPlan,
    Message,
    Recipient,
    RecipientStats,
    Sample,
)
from runner.parts import OPT_OUT, billed, count_parts, parts_problem
from runner.postal import audience_problems
from runner.postal import notes as targeting_notes
from runner.recipients import iter_recipients
from runner.render import CompiledTemplate, compile_template, did_you_mean
from runner.safe_text import excerpt
from runner.schedule import api_time, resolve_schedule
from runner.send_hours import plan_notes, scheduled_problem
from runner.sending_types import spec_of

VOTP_CODE = re.compile(r"^[0-9]{1,14}$")
MAX_REPORTED_ERRORS = 10
SAMPLES = 3


@dataclass
class _Collector:
    """Rendered texts grouped in first-appearance order, plus what the plan reports."""

    groups: dict[str, list[str]] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    parts: dict[str, int] = field(default_factory=dict)  # per distinct text, counted once
    skipped: int = 0
    more_errors: int = 0
    promotional: bool = False  # the operator appends the opt-out suffix to every text
    # Told the text each recipient left out (already sent) would get now, if asked for.
    on_covered: Callable[[str], None] | None = None

    def add(self, text: str, phone: str) -> None:
        self.groups.setdefault(text, []).append(phone)
        if len(self.samples) < SAMPLES:
            parts = count_parts(billed(text, self.promotional))
            appended = OPT_OUT if self.promotional else ""
            self.samples.append(Sample(phone, text, parts.parts, parts.encoding, appended))

    def fail(self, problems: Iterable[Violation]) -> None:
        for problem in problems:
            if len(self.violations) < MAX_REPORTED_ERRORS:
                self.violations.append(problem)
            else:
                self.more_errors += 1


def build_plan(
    campaign: Campaign,
    *,
    now: datetime,
    skip_invalid: bool = False,
    covered: Callable[[str], bool] | None = None,
    on_covered: Callable[[str], None] | None = None,
) -> CampaignPlan:
    """Plan ``campaign``: every batch with its request, plus stats and samples.

    ``covered(phone)`` says whether a recipient already got this campaign (from the
    lockfile); those are left out and counted, and ``on_covered`` is told the text
    each of them would get now (to show whether the text changed since). Raises
    ``InvalidCampaign`` with every problem found (the first few per kind for
    per-recipient errors).
    """
    send_time = _send_time(campaign, now)
    stats = RecipientStats()
    recipients = iter_recipients(
        campaign.recipients, campaign.exclude, stats, skip_invalid=skip_invalid
    )
    collector = _Collector(promotional=spec_of(campaign.type).promotional, on_covered=on_covered)
    fields = _common_fields(campaign, send_time)
    batches = _rendered_batches(campaign, fields, recipients, covered, collector)
    collector.fail(audience_problems(campaign, batches))
    if collector.violations:
        raise InvalidCampaign(_with_overflow(collector))
    max_parts, total_parts, audience = _parts_of(batches, collector)
    return CampaignPlan(
        campaign=campaign,
        send_time=send_time,
        batches=tuple(batches),
        stats=stats,
        samples=tuple(collector.samples),
        max_parts=max_parts,
        total_parts=total_parts,
        skipped_recipients=collector.skipped,
        notes=(
            *file_suggestion(campaign, len(batches), audience),
            *targeting_notes(campaign),
            *plan_notes(campaign, send_time, now),
        ),
    )


def _send_time(campaign: Campaign, now: datetime) -> datetime | None:
    """When the schedule sends (None: at once); ``InvalidCampaign`` outside its sending hours."""
    send_time = resolve_schedule(campaign.schedule, now) if campaign.schedule else None
    hours = scheduled_problem(campaign, send_time) if send_time else None
    if hours is not None:
        raise InvalidCampaign([hours])
    return send_time


def _rendered_batches(
    campaign: Campaign,
    fields: Mapping[str, Any],
    recipients: Iterator[Recipient],
    covered: Callable[[str], bool] | None,
    collector: _Collector,
) -> list[Batch]:
    """Render every recipient's text (or pattern params) and cut the requests."""
    spec = spec_of(campaign.type)
    if spec.renders == "params":
        return _pattern_batches(campaign, fields, recipients, covered, collector)
    assert campaign.message is not None  # the schema requires it for every other type
    template = compile_template(campaign.message)
    render = _render_each if spec.personalized else _render_once
    render(campaign, template, recipients, covered, collector)
    return [] if collector.violations else cut(campaign, fields, collector.groups)


def _parts_of(batches: Sequence[Batch], c: _Collector) -> tuple[int, int, int]:
    """(most parts of one message, parts in all, recipients) of the batches.

    Parts are billed parts (a promotional text with the operator's opt-out suffix); a
    postal send's bank numbers get the text of its first message.
    """
    distinct = [(m.text, len(m.recipients)) for b in batches for m in b.messages]
    distinct += [(m.text, b.targeted) for b in batches if b.targeted for m in b.messages[:1]]
    part_counts = [
        (c.parts.get(t) or count_parts(billed(t, c.promotional)).parts, n) for t, n in distinct if t
    ]
    max_parts = max((p for p, _ in part_counts), default=1 if distinct else 0)
    total = sum(p * n for p, n in part_counts) or sum(n for _, n in distinct)
    return max_parts, total, sum(n for _, n in distinct)


def _with_overflow(collector: _Collector) -> list[Violation]:
    problems = list(collector.violations)
    if collector.more_errors:
        last = problems[-1]
        problems.append(
            Violation(last.file, last.line, last.col, f"… and {collector.more_errors} more")
        )
    return problems


def _common_fields(campaign: Campaign, send_time: datetime | None) -> dict[str, Any]:
    spec = spec_of(campaign.type)
    fields: dict[str, Any] = {"sending_type": campaign.type}
    if spec.has_sender:
        fields["from_number"] = campaign.sender
    fields.update(spec.fields(campaign))
    if send_time is not None:
        fields["send_time"] = api_time(send_time)
    return fields


def _fresh(
    recipients: Iterator[Recipient],
    covered: Callable[[str], bool] | None,
    c: _Collector,
    text_of: Callable[[Recipient], str | None] | None = None,
) -> Iterator[Recipient]:
    """The recipients not covered yet; those covered are counted (and their text told)."""
    told = c.on_covered if text_of is not None else None
    for recipient in recipients:
        if covered is not None and covered(recipient.phone):
            c.skipped += 1
            if told is not None and text_of is not None:
                text = text_of(recipient)
                if text is not None:
                    told(text)
        else:
            yield recipient


def _render_once(
    campaign: Campaign,
    template: CompiledTemplate,
    recipients: Iterator[Recipient],
    covered: Callable[[str], bool] | None,
    c: _Collector,
) -> None:
    outside = sorted(template.names - set(campaign.vars))
    if outside:
        c.fail(
            template.violation(
                f"'{name}' is not in vars{did_you_mean(name, campaign.vars)}: type "
                f"{campaign.type} sends one text to everyone, so its template may use vars only; "
                "for per-recipient fields (CSV columns, phone) use type peer_to_peer",
                template.line_of(name),
            )
            for name in outside
        )
        return
    text = template.render(campaign.vars)
    _check_text(campaign, template, text, "", c)
    c.groups[text] = []  # the one text exists even before (or without) any recipient
    for recipient in _fresh(recipients, covered, c, lambda _recipient: text):
        c.add(text, recipient.phone)


def _render_each(
    campaign: Campaign,
    template: CompiledTemplate,
    recipients: Iterator[Recipient],
    covered: Callable[[str], bool] | None,
    c: _Collector,
) -> None:
    def text_now(recipient: Recipient) -> str | None:
        context = {**campaign.vars, **recipient.fields, "phone": recipient.phone}
        try:
            return template.render(context)
        except InvalidCampaign:
            return None  # not sent again either way; its problem is not this plan's

    for recipient in _fresh(recipients, covered, c, text_now):
        context = {**campaign.vars, **recipient.fields, "phone": recipient.phone}
        try:
            text = template.render(context, who=f"{recipient.phone} ({recipient.origin})")
        except InvalidCampaign as err:
            c.fail(err.violations)
            continue
        if text not in c.parts:
            _check_text(campaign, template, text, recipient.phone, c)
        c.add(text, recipient.phone)


def _check_text(
    campaign: Campaign, template: CompiledTemplate, text: str, phone: str, c: _Collector
) -> None:
    who = f" for recipient {phone}" if phone else ""
    parts = count_parts(billed(text, c.promotional))
    c.parts[text] = parts.parts
    if spec_of(campaign.type).code_only:
        if not VOTP_CODE.match(text):
            c.fail(
                [
                    template.violation(
                        f"votp needs digits only, fewer than 15; got {excerpt(text)}{who}", 1
                    )
                ]
            )
        return
    if not text:
        c.fail([template.violation(f"the message renders to an empty text{who}", 1)])
        return
    problem = parts_problem(parts)
    if problem:
        suffix = f", counting the {OPT_OUT} the operator appends" if c.promotional else ""
        c.fail([template.violation(f"{problem}{suffix}{who}", 1)])


def _pattern_batches(
    campaign: Campaign,
    fields: Mapping[str, Any],
    recipients: Iterator[Recipient],
    covered: Callable[[str], bool] | None,
    c: _Collector,
) -> list[Batch]:
    compiled = [(name, compile_template(t)) for name, t in campaign.pattern_params]
    batches: list[Batch] = []
    for recipient in _fresh(recipients, covered, c):
        context = {**campaign.vars, **recipient.fields, "phone": recipient.phone}
        who = f"{recipient.phone} ({recipient.origin})"
        try:
            params = {name: template.render(context, who=who) for name, template in compiled}
        except InvalidCampaign as err:
            c.fail(err.violations)
            continue
        if len(c.samples) < SAMPLES:
            shown = ", ".join(f"{k}={v}" for k, v in params.items())
            c.samples.append(Sample(recipient.phone, shown, 0, "pattern"))
        body = {**fields, "params": params}
        batches.append(make_batch(campaign, body, (Message("", (recipient.phone,)),)))
    return batches
