"""Schedules: a local time as written (Gregorian or Solar Hijri) → the UTC moment the API takes.

Time zones come from the ``tzdata`` package, never the system database: an old
system zoneinfo still applies Tehran's daylight saving time, abolished in 2022,
and would move every summer send by an hour.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from importlib.resources import files
from typing import NoReturn
from zoneinfo import ZoneInfo

import jdatetime

from runner.errors import InvalidCampaign
from runner.models import Schedule
from runner.safe_text import excerpt

MIN_AHEAD = timedelta(minutes=5)
MAX_MONTHS_AHEAD = 3
TEHRAN = "Asia/Tehran"
# Plausible years for a send (the API takes 5 minutes to 3 months ahead): the rest are typos.
GREGORIAN_YEARS = (1900, 2200)
JALALI_YEARS = (1300, 1500)
_AHEAD = "; a send time is 5 minutes to 3 months ahead"

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "0123456789" * 2)
_AT = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?", re.ASCII)
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*")


@functools.cache
def tz(name: str) -> tzinfo:
    """The IANA time zone ``name`` from the ``tzdata`` package; ``ValueError`` if unknown."""
    if not _ZONE_NAME.fullmatch(name):
        raise ValueError(f"unknown time zone {name!r}")
    entry = files("tzdata.zoneinfo").joinpath(*name.split("/"))
    if not entry.is_file():
        raise ValueError(f"unknown time zone {name!r}")
    with entry.open("rb") as handle:
        return ZoneInfo.from_file(handle, key=name)


def resolve_schedule(schedule: Schedule, now: datetime) -> datetime:
    """The UTC moment ``schedule`` names; ``InvalidCampaign`` if it is malformed or out of range.

    ``now`` is the current time (aware); the API wants sends at least 5 minutes
    and at most 3 calendar months ahead.
    """
    at = schedule.at.strip()
    try:
        zone = tz(schedule.timezone)
    except ValueError:
        _fail(
            schedule,
            f"unknown time zone {excerpt(schedule.timezone)}; use an IANA name like Asia/Tehran",
        )
    utc = _instant(schedule, at, _local_time(schedule, at), zone)
    shown = f"schedule.at {at} ({_utc(utc)})"
    ahead = utc - now
    if ahead < MIN_AHEAD:
        when = "is in the past" if ahead <= timedelta(0) else f"is only {_minutes(ahead)} ahead"
        _fail(schedule, f"{shown} {when}; the API needs at least 5 minutes (now: {_utc(now)})")
    latest = _add_months(now.astimezone(timezone.utc), MAX_MONTHS_AHEAD)
    if utc > latest:
        allowed = f"{_written(latest, schedule)} ({_utc(latest)})"
        _fail(schedule, f"{shown} is more than 3 months ahead; the latest allowed is {allowed}")
    return utc


def schedule_moment(schedule: Schedule) -> datetime:
    """The UTC moment ``schedule`` names, in range or not (``status`` of a sent campaign).

    ``InvalidCampaign`` if it is malformed, ``ValueError`` for an unknown time zone.
    """
    local = _local_time(schedule, schedule.at.strip())
    return local.replace(tzinfo=tz(schedule.timezone)).astimezone(timezone.utc)


def api_time(moment: datetime) -> str:
    """``moment`` as the API's ``send_time``: ``YYYY-MM-DD HH:MM:SS`` in UTC."""
    if moment.tzinfo is None:
        raise ValueError("api_time needs an aware datetime")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class ScheduleView:
    """One moment for people: UTC, Tehran time, and Tehran time in the Solar Hijri calendar.

    ``persian`` is the Solar Hijri date and time in Persian words and digits; ``short``
    fits a table cell (``1405-09-30 18:00 Tehran (2026-12-21)``).
    """

    utc: str
    tehran: str
    jalali: str
    persian: str
    short: str = ""
    jalali_clock: str = ""  # ``1405-09-30 18:00``: Tehran time in the Solar Hijri calendar

    @property
    def line(self) -> str:
        """All three on one line, as plans, apply, cancel and reports show a send time."""
        return f"{self.utc} · {self.tehran} · Solar Hijri {self.jalali}"


def cancel_deadline(send_time: datetime) -> datetime:
    """The last moment a scheduled send can be cancelled: 5 minutes before it goes out."""
    return send_time - MIN_AHEAD


def cancel_command(campaign: str, *, sandbox: bool) -> str:
    """The command that cancels ``campaign`` (as the user types its path); with
    ``--sandbox`` when its sends went to the built-in sandbox."""
    return f"ippanel-run cancel {'--sandbox ' if sandbox else ''}{campaign}"


def describe(moment: datetime) -> ScheduleView:
    """How to show ``moment`` (aware) in plans and reports."""
    tehran = moment.astimezone(tz(TEHRAN))
    jalali = jdatetime.datetime.fromgregorian(datetime=tehran.replace(tzinfo=None))
    clock = _clock(tehran)
    weekday = jdatetime.date.j_weekdays_fa[jalali.weekday()]
    month = jdatetime.date.j_months_fa[jalali.month - 1]
    persian = f"{weekday} {jalali.day} {month} {jalali.year}، ساعت {clock}"
    jalali_date = f"{jalali.year:04d}-{jalali.month:02d}-{jalali.day:02d}"
    return ScheduleView(
        utc=_utc(moment),
        tehran=f"{tehran:%Y-%m-%d} {clock} ({TEHRAN})",
        jalali=f"{jalali_date} {clock} ({TEHRAN})",
        persian=persian.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")),
        short=f"{jalali_date} {clock} Tehran ({tehran:%Y-%m-%d})",
        jalali_clock=f"{jalali_date} {clock}",
    )


def _local_time(schedule: Schedule, at: str) -> datetime:
    """The naive wall-clock time ``at`` names, converted to the Gregorian calendar."""
    parsed = _AT.fullmatch(at.translate(_DIGITS))
    if parsed is None:
        _fail(
            schedule,
            f"schedule.at {excerpt(schedule.at)} is not a date and time; "
            "write 'YYYY-MM-DD HH:MM', e.g. '1406-01-01 09:00'",
        )
    year, month, day, hour, minute = (int(part) for part in parsed.groups()[:5])
    second = int(parsed[6] or 0)
    _check_year(schedule, at, year)
    if not (hour < 24 and minute < 60 and second < 60):
        _fail(schedule, f"schedule.at {at}: {parsed[4]}:{parsed[5]} is not a time of day")
    if schedule.calendar == "jalali":
        days = _jalali_days(year, month)
        if not 1 <= day <= days:
            _fail(schedule, f"schedule.at {at}: {_no_such_day(year, month, day, days, 'jalali')}")
        gregorian = jdatetime.date(year, month, day).togregorian()
        return datetime(gregorian.year, gregorian.month, gregorian.day, hour, minute, second)
    days = calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 0
    if not 1 <= day <= days:
        _fail(schedule, f"schedule.at {at}: {_no_such_day(year, month, day, days, 'gregorian')}")
    return datetime(year, month, day, hour, minute, second)


def _instant(schedule: Schedule, at: str, naive: datetime, zone: tzinfo) -> datetime:
    """The one UTC instant a wall-clock time names; an error when a DST change makes it two."""
    earlier, later = (naive.replace(tzinfo=zone, fold=fold) for fold in (0, 1))
    utc = earlier.astimezone(timezone.utc)
    if utc == later.astimezone(timezone.utc):
        return utc
    candidates = sorted({earlier.astimezone(timezone.utc), later.astimezone(timezone.utc)})
    shown = " or ".join(f"{_utc(c)} ({_clock(c.astimezone(zone))} local)" for c in candidates)
    if utc.astimezone(zone).replace(tzinfo=None) == naive:
        what = "happens twice in {}: the clocks go back over it"
    else:
        what = "does not exist in {}: the clocks jump forward over it"
    _fail(
        schedule,
        f"schedule.at {at} {what.format(schedule.timezone)}; it could mean {shown}. "
        "Pick a time outside the change, or write it in timezone: UTC",
    )


def _check_year(schedule: Schedule, at: str, year: int) -> None:
    """Years far from now are mistakes (the API sends 5 minutes to 3 months ahead)."""
    if schedule.calendar == "jalali":
        if not JALALI_YEARS[0] <= year <= JALALI_YEARS[1]:
            hint = " (a Gregorian year? remove calendar: jalali)" if _gregorian(year) else ""
            _fail(schedule, f"schedule.at {at}: year {year} is out of range{hint}{_AHEAD}")
    elif not _gregorian(year):
        if JALALI_YEARS[0] <= year <= JALALI_YEARS[1]:
            _fail(
                schedule,
                f"schedule.at {at}: {year} looks like a Solar Hijri year; add calendar: jalali",
            )
        _fail(schedule, f"schedule.at {at}: year {year} is out of range{_AHEAD}")


def _gregorian(year: int) -> bool:
    return GREGORIAN_YEARS[0] <= year <= GREGORIAN_YEARS[1]


def _jalali_days(year: int, month: int) -> int:
    """Days in a Solar Hijri month (0 when there is no such month)."""
    if not (1 <= month <= 12 and jdatetime.MINYEAR <= year <= jdatetime.MAXYEAR):
        return 0
    if month <= 6:
        return 31
    if month <= 11:
        return 30
    return 30 if jdatetime.date(year, 1, 1).isleap() else 29


def _no_such_day(year: int, month: int, day: int, days: int, kind: str) -> str:
    date = f"{year:04d}-{month:02d}-{day:02d}"
    if not days:
        return f"{date} is not a {kind} date (month {month} does not exist)"
    if kind == "jalali":
        name = jdatetime.date.j_months_en[month - 1]
        return f"{date} is not a Solar Hijri (jalali) date: {name} {year} has {days} days"
    return f"{date} is not a date: {calendar.month_name[month]} {year} has {days} days"


def _add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months, clamping the day (Nov 30 + 3 months = Feb 28)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _written(moment: datetime, schedule: Schedule) -> str:
    """``moment`` the way the schedule is written: its zone and calendar."""
    local = moment.astimezone(tz(schedule.timezone))
    if schedule.calendar == "jalali":
        date = jdatetime.date.fromgregorian(date=local.date())
        day = f"{date.year:04d}-{date.month:02d}-{date.day:02d}"
    else:
        day = f"{local:%Y-%m-%d}"
    return f"{day} {_clock(local)} {schedule.timezone}"


def _clock(moment: datetime) -> str:
    return f"{moment:%H:%M:%S}" if moment.second else f"{moment:%H:%M}"


def _utc(moment: datetime) -> str:
    utc = moment.astimezone(timezone.utc)
    return f"{utc:%Y-%m-%d} {_clock(utc)} UTC"


def _minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return f"{int(span.total_seconds())} seconds"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _fail(schedule: Schedule, message: str) -> NoReturn:
    raise InvalidCampaign([schedule.where.violation(message)])
