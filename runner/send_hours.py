"""Send hours: promotional SMS go out only inside a daily window of Tehran time.

Operators do not deliver promotional SMS to MCI numbers at night (22:00–07:00;
some operators and panels say 08:00) and still charge for them, and some cheap
lines take sends only 09:00–21:00. So a campaign of a promotional type (see
``sending_types``) has ``send_hours``, default ``"08:00-22:00"`` Tehran time:
a scheduled time outside it is an error when the campaign is checked, and an
unscheduled campaign is refused when apply would send it now. ``any`` switches
the guard off (service lines); pattern and votp are transactional and ignore it.
Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from runner.errors import Violation
from runner.models import Campaign, Location
from runner.schedule import TEHRAN, describe, tz
from runner.sending_types import spec_of

DEFAULT_SEND_HOURS = "08:00-22:00"
ANY = "any"
WHY = "operators do not deliver promotional SMS to MCI numbers at night, yet charge for them"
_WINDOW = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)")
DAY = 24 * 60
# A suggested schedule must be at least the API's 5 minutes ahead, with a minute to spare.
LEAD = timedelta(minutes=6)


@dataclass(frozen=True)
class Window:
    """A daily window of Tehran wall-clock time, in minutes after midnight.

    ``end`` is exclusive and may be 1440 (24:00); an ``end`` before ``start``
    wraps past midnight (``"20:00-02:00"``).
    """

    start: int
    end: int
    text: str

    def contains(self, moment: datetime) -> bool:
        """Whether the aware ``moment`` falls inside the window, in Tehran time."""
        local = moment.astimezone(tz(TEHRAN))
        minute = local.hour * 60 + local.minute
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def next_opening(self, moment: datetime) -> datetime:
        """The first moment after the aware ``moment`` when the window opens (aware, UTC)."""
        local = moment.astimezone(tz(TEHRAN))
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        opening = midnight + timedelta(minutes=self.start)
        if opening <= local:
            opening += timedelta(days=1)
        return opening.astimezone(timezone.utc)

    @property
    def opens(self) -> str:
        return _clock(self.start)

    @property
    def closes(self) -> str:
        return _clock(self.end)


def parse_window(text: str) -> Window | None:
    """``"HH:MM-HH:MM"`` as a ``Window``, ``"any"`` as None; ``ValueError`` says what is wrong."""
    if text == ANY:
        return None
    match = _WINDOW.fullmatch(text)
    if match is None:
        raise ValueError(
            f"send_hours {text!r} is not a window of Tehran time; "
            f"write 'HH:MM-HH:MM' such as {DEFAULT_SEND_HOURS!r}, or 'any'"
        )
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end > DAY:
        raise ValueError(f"send_hours {text!r}: the latest end is 24:00")
    if start == end:
        raise ValueError(
            f"send_hours {text!r} opens and closes at the same time; "
            "write 'any' to send at any hour"
        )
    return Window(start, end, text)


def window_of(campaign: Campaign) -> Window | None:
    """The send hours that guard ``campaign``; None when nothing does (``any``, pattern, votp)."""
    if not spec_of(campaign.type).promotional:
        return None
    return parse_window(campaign.send_hours or DEFAULT_SEND_HOURS)


def describe_window(campaign: Campaign) -> str | None:
    """The send hours as the plan shows them; None for types they do not apply to."""
    if not spec_of(campaign.type).promotional:
        return None
    window = window_of(campaign)
    if window is None:
        return "any hour (send_hours: any)"
    default = "" if campaign.send_hours else ", the default for promotional types"
    return f"{window.opens}-{window.closes} Tehran time{default}"


def plan_notes(campaign: Campaign, send_time: datetime | None, now: datetime) -> Iterator[str]:
    """What the plan should say about send hours: ignored, or closed right now."""
    if campaign.send_hours is not None and not spec_of(campaign.type).promotional:
        yield f"send_hours is ignored: {campaign.type} sends are transactional, not promotional"
    window = window_of(campaign)
    if send_time is None and window is not None and not window.contains(now):
        opening = _both(window.next_opening(now))
        yield (
            f"it is {_tehran_clock(now)} in Tehran, outside send_hours {window.text}: apply "
            f"will not send this campaign now; the window opens at {opening}"
        )


def scheduled_problem(campaign: Campaign, send_time: datetime) -> Violation | None:
    """An error when the scheduled ``send_time`` falls outside the campaign's send hours."""
    window = window_of(campaign)
    if window is None or window.contains(send_time):
        return None
    assert campaign.schedule is not None
    opening = window.next_opening(send_time)
    return campaign.schedule.where.violation(
        f"schedule.at {campaign.schedule.at} is {_tehran_clock(send_time)} Tehran time, outside "
        f"send_hours {window.text}: {WHY}. Schedule it from {window.opens} to {window.closes} "
        f"Tehran time (next: {_both(opening)}), or set send_hours: any if the line is not "
        "promotional"
    )


def now_problem(campaign: Campaign, now: datetime) -> Violation | None:
    """An error when an unscheduled campaign would be sent at ``now``, outside its send hours."""
    window = window_of(campaign)
    if window is None or window.contains(now):
        return None
    opening = window.next_opening(now)
    suggested = _jalali(max(opening, _next_minute(now + LEAD)))
    return _where_hours(campaign).violation(
        f"it is {_both(now)}, outside send_hours {window.text}: {WHY}. The window opens at "
        f'{_both(opening)}; to send then, add schedule: {{at: "{suggested}", calendar: '
        f"jalali}} to the campaign, or run apply again after {window.opens}. Set send_hours: "
        "any only if the line is not promotional"
    )


def _where_hours(campaign: Campaign) -> Location:
    # Point at send_hours when the campaign wrote it, else at the type that makes it promotional.
    return campaign.location("send_hours" if campaign.send_hours else "type")


def _both(moment: datetime) -> str:
    """``moment`` as Tehran time, Solar Hijri first: ``1405-09-06 08:00 Tehran (2026-11-27)``."""
    return describe(moment).short


def _jalali(moment: datetime) -> str:
    return describe(moment).jalali_clock


def _tehran_clock(moment: datetime) -> str:
    local = moment.astimezone(tz(TEHRAN))
    return f"{local:%H:%M}"


def _next_minute(moment: datetime) -> datetime:
    rounded = moment.replace(second=0, microsecond=0)
    return rounded if rounded == moment else rounded + timedelta(minutes=1)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
