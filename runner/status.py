"""Every campaign's state at a glance, from its files: campaign, lockfile, last report.

``campaign_status(path, now)`` reads one campaign file, its lockfile and its
``<stem>.report.json`` (if any) and says which state it is in:

- ``invalid``: the campaign file (or its plan) has a problem; ``validate`` says which;
- ``not sent``: nothing went out yet (maybe a failed attempt, which apply retries);
- ``scheduled``: everything was accepted and goes out at a later time;
- ``sending``: sent, and the last report shows outboxes not final yet;
- ``sent``: every recipient's batch went out (the report, if any, is final);
- ``partly sent``: some batches went out and some recipients are left;
- ``cancelled``: every batch that went out was cancelled (``ippanel-run cancel``);
- ``needs attention``: a batch may or may not have gone out, the lockfile is
  unreadable, or the last report found a rejected / unpaid / failed outbox.

No network: ``--online`` in the CLI refreshes the report first. Nothing here prints.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from runner import lockfile
from runner.campaign import load_campaign
from runner.diff import diff, finished
from runner.errors import InputError, InvalidCampaign, LockfileError
from runner.lockfile import Lock
from runner.models import Campaign
from runner.schedule import describe, schedule_moment
from runner.show import shown_path

State = Literal[
    "invalid",
    "not sent",
    "scheduled",
    "sending",
    "sent",
    "partly sent",
    "cancelled",
    "needs attention",
]
# A report file larger than this is not read (a hostile or broken file must not eat memory).
MAX_REPORT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ReportFacts:
    """What ``status`` takes from the last ``<stem>.report.json``."""

    generated_at: datetime
    recipients: int
    delivered: int
    cost: float
    complete: bool
    needs_attention: bool
    outbox_ids: frozenset[int]
    send_times: tuple[datetime, ...]


@dataclass(frozen=True)
class CampaignStatus:
    """One row of ``ippanel-run status``."""

    file: Path
    name: str
    type: str | None
    state: State
    recipients: int | None = None
    sent: int = 0
    scheduled_for: datetime | None = None
    report: ReportFacts | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def state_text(self) -> str:
        """The state as the table shows it (``scheduled for 1405-09-30 18:00 Tehran (…)``)."""
        if self.state == "scheduled" and self.scheduled_for is not None:
            return f"scheduled for {describe(self.scheduled_for).short}"
        return self.state

    @property
    def delivered_percent(self) -> float | None:
        if self.report is None or not self.report.recipients:
            return None
        return round(100 * self.report.delivered / self.report.recipients, 1)

    def to_json(self) -> dict[str, Any]:
        report = self.report
        when = describe(self.scheduled_for) if self.scheduled_for else None
        return {
            "file": str(self.file),
            "name": self.name,
            "type": self.type,
            "state": self.state,
            "state_text": self.state_text,
            "scheduled_for": None
            if when is None
            else {"utc": when.utc, "tehran": when.tehran, "jalali": when.jalali},
            "recipients": self.recipients,
            "sent": self.sent,
            "delivered": None if report is None else report.delivered,
            "delivered_percent": self.delivered_percent,
            "cost": None if report is None else report.cost,
            "last_report": None if report is None else _iso(report.generated_at),
            "notes": list(self.notes),
        }


def campaign_status(path: Path, now: datetime, sandbox: Path | None = None) -> CampaignStatus:
    """The state of the campaign in ``path`` as of ``now``, from its files alone.

    ``sandbox``: the sandbox's folder, where ``--sandbox`` runs keep lockfiles and reports.
    """
    try:
        campaign = dataclasses.replace(load_campaign(path), sandbox=sandbox)
    except InputError as err:
        return CampaignStatus(path, path.stem, None, "invalid", notes=(_first_problem(err),))
    base = CampaignStatus(path, campaign.name, campaign.type, "not sent")
    try:
        lock = lockfile.load(campaign.lockfile_path, campaign.name)
    except LockfileError as err:
        return _with(base, "needs attention", str(err))
    report = read_report(campaign.state_file(".report.json"))
    return _status(base, campaign, lock, report, now)


def _status(
    base: CampaignStatus, campaign: Campaign, lock: Lock, report: ReportFacts | None, now: datetime
) -> CampaignStatus:
    sent = [r for r in lock.batches.values() if r.state == "sent"]
    left, recipients, problem = _left_to_send(campaign, lock, now)
    row = CampaignStatus(
        base.file,
        base.name,
        base.type,
        "not sent",
        recipients=recipients,
        sent=sum(r.recipients for r in sent),
        report=report,
        notes=(problem,) if problem else (),
    )
    trouble = _trouble(lock, report)
    if trouble:
        return _with(row, "needs attention", trouble)
    if not sent:
        return _not_sent(row, lock, problem)
    if report is not None and not report.outbox_ids >= lock.outbox_ids() - _cancelled_ids(lock):
        row = _with(
            row,
            row.state,
            "the last report is older than the last send: run "
            "`ippanel-run report` (or `status --online`)",
        )
    if left:
        return _with(row, "partly sent", f"{left:,} recipient(s) left: apply the campaign again")
    return _sent(row, campaign, report, now)


def _trouble(lock: Lock, report: ReportFacts | None) -> str:
    """Why the campaign needs a person, or ""."""
    if lock.unresolved():
        return (
            f"{len(lock.unresolved())} batch(es) may or may not have gone out: apply the "
            "campaign again to look them up"
        )
    if report is not None and report.needs_attention:
        return (
            "the last report found a rejected, unpaid or failed batch: read it, or run "
            "`ippanel-run report` again"
        )
    return ""


def _not_sent(row: CampaignStatus, lock: Lock, problem: str) -> CampaignStatus:
    cancelled = [r for r in lock.batches.values() if r.state == "cancelled"]
    failed = [r for r in lock.batches.values() if r.state == "failed"]
    if problem and not cancelled:
        return _with(row, "invalid")
    if cancelled:
        return _with(
            row,
            "cancelled",
            f"{len(cancelled)} batch(es) cancelled: fix the campaign "
            "and apply it again to send to their recipients",
        )
    if failed:
        return _with(
            row,
            "not sent",
            f"{len(failed)} batch(es) failed (nothing went out): apply the campaign again",
        )
    return row


def _sent(
    row: CampaignStatus, campaign: Campaign, report: ReportFacts | None, now: datetime
) -> CampaignStatus:
    moment = _send_time(campaign, report)
    if moment is not None and moment > now:
        return _with(replace(row, scheduled_for=moment), "scheduled")
    if report is None:
        return _with(row, "sent", "no report yet: ippanel-run report " + shown_path(campaign.path))
    return _with(row, "sent" if report.complete else "sending")


def _left_to_send(campaign: Campaign, lock: Lock, now: datetime) -> tuple[int, int | None, str]:
    """(recipients left, recipients in all, why planning failed): a plan against the lockfile."""
    sent = sum(r.recipients for r in lock.batches.values() if r.state == "sent")
    if finished(campaign, lock):
        return 0, sent, ""
    try:
        plan = diff(campaign, lock, now=now)
    except InputError as err:
        return 0, sent or None, "cannot plan: " + _first_problem(err)
    left = sum(b.recipient_count for b in plan.batches if b.action == "send")
    return left, plan.recipients, ""


def _send_time(campaign: Campaign, report: ReportFacts | None) -> datetime | None:
    """When the campaign goes (went) out: the API's send times, else its ``schedule``."""
    if report is not None and report.send_times:
        return max(report.send_times)
    if campaign.schedule is None:
        return None
    try:
        return schedule_moment(campaign.schedule)
    except (InvalidCampaign, ValueError):
        return None


def _cancelled_ids(lock: Lock) -> set[int]:
    return {i for r in lock.batches.values() if r.state == "cancelled" for i in r.outbox_ids}


def _with(row: CampaignStatus, state: State, note: str = "") -> CampaignStatus:
    return replace(row, state=state, notes=(*row.notes, note) if note else row.notes)


def _first_problem(err: InputError) -> str:
    if isinstance(err, InvalidCampaign) and err.violations:
        more = len(err.violations) - 1
        return str(err.violations[0]) + (f" (and {more} more)" if more else "")
    return str(err).splitlines()[0]


def read_report(path: Path) -> ReportFacts | None:
    """The facts of a report file; None when there is none or it cannot be read."""
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        totals = data["totals"]
        outboxes = [o for b in data["batches"] for o in b.get("outboxes", ())]
        return ReportFacts(
            generated_at=_parse_iso(data["generated_at"]),
            recipients=int(totals["recipients"]),
            delivered=int(totals["delivered"]),
            cost=float(totals["cost"]),
            complete=bool(data["complete"]),
            needs_attention=bool(data["needs_attention"]),
            outbox_ids=frozenset(int(o["outbox_id"]) for o in outboxes),
            send_times=tuple(_parse_iso(o["send_at"]) for o in outboxes if o.get("send_at")),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
