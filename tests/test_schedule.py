"""Schedules: calendars, time zones from tzdata, the API's 5-minute / 3-month window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Literal

import pytest

from runner.errors import InvalidCampaign
from runner.models import Location, Schedule
from runner.schedule import api_time, describe, resolve_schedule, tz

UTC = timezone.utc
NOW = datetime(2026, 11, 26, 18, 33, tzinfo=UTC)  # 1405-09-05 22:03 in Tehran
WHERE = Location("campaigns/nowruz.yaml", 21, 7)


def schedule(
    at: str,
    calendar: Literal["gregorian", "jalali"] = "gregorian",
    timezone: str = "Asia/Tehran",
) -> Schedule:
    return Schedule(at=at, calendar=calendar, timezone=timezone, where=WHERE)


def error(sched: Schedule, now: datetime = NOW) -> str:
    with pytest.raises(InvalidCampaign) as caught:
        resolve_schedule(sched, now)
    (violation,) = caught.value.violations
    assert (violation.file, violation.line, violation.col) == ("campaigns/nowruz.yaml", 21, 7)
    return violation.message


def test_nowruz_1406_at_nine_in_tehran_is_0530_utc() -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    moment = resolve_schedule(schedule("1406-01-01 09:00", "jalali"), now)
    assert moment == datetime(2027, 3, 21, 5, 30, tzinfo=UTC)
    assert api_time(moment) == "2027-03-21 05:30:00"


@pytest.mark.parametrize(
    ("jalali", "gregorian"),
    [
        ("1404-01-01", "2025-03-21"),  # Nowruz 1404
        ("1403-12-30", "2025-03-20"),  # Esfand 30 exists in the leap year 1403
        ("1408-12-30", "2030-03-20"),  # and in the next one, 1408
        ("1405-09-06", "2026-11-27"),
    ],
)
def test_jalali_dates_convert_to_gregorian(jalali: str, gregorian: str) -> None:
    now = datetime.fromisoformat(f"{gregorian}T00:00+00:00") - timedelta(days=30)
    moment = resolve_schedule(schedule(f"{jalali} 12:00", "jalali", "UTC"), now)
    assert f"{moment:%Y-%m-%d %H:%M}" == f"{gregorian} 12:00"


@pytest.mark.parametrize("day", ["2025-06-21", "2025-09-01", "2026-07-15", "2026-01-15"])
def test_tehran_is_utc_plus_0330_all_year_with_no_daylight_saving(day: str) -> None:
    now = datetime.fromisoformat(f"{day}T00:00+00:00") - timedelta(days=1)
    moment = resolve_schedule(schedule(f"{day} 09:00"), now)
    assert f"{moment:%H:%M}" == "05:30"
    assert tz("Asia/Tehran").utcoffset(datetime.fromisoformat(f"{day}T12:00")) == timedelta(
        hours=3, minutes=30
    )


def test_time_zones_are_read_from_the_tzdata_package() -> None:
    zone = tz("Asia/Tehran")
    assert zone is tz("Asia/Tehran")  # cached
    assert str(zone) == "Asia/Tehran"
    assert type(zone).__module__ == "zoneinfo"


def test_other_zones_follow_their_daylight_saving() -> None:
    winter = resolve_schedule(schedule("2027-01-10 09:00", timezone="Europe/Berlin"), NOW)
    summer_now = datetime(2027, 6, 1, tzinfo=UTC)
    summer = resolve_schedule(schedule("2027-07-10 09:00", timezone="Europe/Berlin"), summer_now)
    assert f"{winter:%H:%M}" == "08:00"
    assert f"{summer:%H:%M}" == "07:00"


def test_persian_digits_and_t_separator_and_seconds_are_accepted() -> None:
    moment = resolve_schedule(schedule("۱۴۰۵-۱۰-۰۱T۰۹:۰۰:۳۰", "jalali"), NOW)
    assert api_time(moment) == "2026-12-22 05:30:30"
    arabic = resolve_schedule(schedule("٢٠٢٦-١٢-٢٢ ٠٩:٠٠"), NOW)
    assert api_time(arabic) == "2026-12-22 05:30:00"


def test_exactly_five_minutes_ahead_is_allowed_and_one_second_less_is_not() -> None:
    at_five = resolve_schedule(schedule("2026-11-26 18:38", timezone="UTC"), NOW)
    assert at_five == NOW + timedelta(minutes=5)
    assert error(schedule("2026-11-26 18:37:59", timezone="UTC")) == (
        "schedule.at 2026-11-26 18:37:59 (2026-11-26 18:37:59 UTC) is only 4 minutes ahead; "
        "the API needs at least 5 minutes (now: 2026-11-26 18:33 UTC)"
    )


def test_a_past_schedule_names_local_and_utc_time() -> None:
    assert error(schedule("1405-09-05 10:00", "jalali")) == (
        "schedule.at 1405-09-05 10:00 (2026-11-26 06:30 UTC) is in the past; "
        "the API needs at least 5 minutes (now: 2026-11-26 18:33 UTC)"
    )


def test_three_calendar_months_ahead_is_the_limit() -> None:
    latest = resolve_schedule(schedule("2027-02-26 18:33", timezone="UTC"), NOW)
    assert latest == datetime(2027, 2, 26, 18, 33, tzinfo=UTC)
    assert error(schedule("1405-12-07 22:04", "jalali")) == (
        "schedule.at 1405-12-07 22:04 (2027-02-26 18:34 UTC) is more than 3 months ahead; "
        "the latest allowed is 1405-12-07 22:03 Asia/Tehran (2027-02-26 18:33 UTC)"
    )


def test_three_months_from_the_end_of_a_month_clamps_to_the_last_day() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert resolve_schedule(schedule("2027-02-28 12:00", timezone="UTC"), now)
    assert "the latest allowed is 2027-02-28 12:00 UTC" in error(
        schedule("2027-03-01 00:00", timezone="UTC"), now
    )


@pytest.mark.parametrize(
    ("sched", "message"),
    [
        (
            schedule("1406-12-30 09:00", "jalali"),
            "schedule.at 1406-12-30 09:00: 1406-12-30 is not a Solar Hijri (jalali) date: "
            "Esfand 1406 has 29 days",
        ),
        (
            schedule("1405-13-01 09:00", "jalali"),
            "schedule.at 1405-13-01 09:00: "
            "1405-13-01 is not a jalali date (month 13 does not exist)",
        ),
        (
            schedule("2027-02-29 09:00"),
            "schedule.at 2027-02-29 09:00: 2027-02-29 is not a date: February 2027 has 28 days",
        ),
        (
            schedule("2027-01-01 24:00"),
            "schedule.at 2027-01-01 24:00: 24:00 is not a time of day",
        ),
        (
            schedule("next friday"),
            "schedule.at 'next friday' is not a date and time; "
            "write 'YYYY-MM-DD HH:MM', e.g. '1406-01-01 09:00'",
        ),
        (
            schedule("2027-01-01 09:00", timezone="Asia/Teheran"),
            "unknown time zone 'Asia/Teheran'; use an IANA name like Asia/Tehran",
        ),
        (
            schedule("2027-03-28 02:30", timezone="Europe/Berlin"),
            "schedule.at 2027-03-28 02:30 does not exist in Europe/Berlin: the clocks jump "
            "forward over it; it could mean 2027-03-28 00:30 UTC (01:30 local) or "
            "2027-03-28 01:30 UTC (03:30 local). Pick a time outside the change, or write it "
            "in timezone: UTC",
        ),
        (
            schedule("2027-10-31 02:30", timezone="Europe/Berlin"),
            "schedule.at 2027-10-31 02:30 happens twice in Europe/Berlin: the clocks go back "
            "over it; it could mean 2027-10-31 00:30 UTC (02:30 local) or 2027-10-31 01:30 UTC "
            "(02:30 local). Pick a time outside the change, or write it in timezone: UTC",
        ),
        (
            schedule("0000-01-01 09:00"),
            "schedule.at 0000-01-01 09:00: year 0 is out of range; a send time is 5 minutes "
            "to 3 months ahead",
        ),
        (
            schedule("0001-01-01 00:00"),
            "schedule.at 0001-01-01 00:00: year 1 is out of range; a send time is 5 minutes "
            "to 3 months ahead",
        ),
        (
            schedule("9999-12-31 23:59", calendar="jalali"),
            "schedule.at 9999-12-31 23:59: year 9999 is out of range; a send time is 5 minutes "
            "to 3 months ahead",
        ),
        (
            schedule("1405-10-11 09:00"),
            "schedule.at 1405-10-11 09:00: 1405 looks like a Solar Hijri year; add calendar: "
            "jalali",
        ),
        (
            schedule("2027-01-11 09:00", calendar="jalali"),
            "schedule.at 2027-01-11 09:00: year 2027 is out of range (a Gregorian year? remove "
            "calendar: jalali); a send time is 5 minutes to 3 months ahead",
        ),
    ],
)
def test_invalid_schedules_are_reported_at_schedule_at(sched: Schedule, message: str) -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    assert error(sched, now) == message


@pytest.mark.parametrize("name", ["Nowhere/City", "../../etc/passwd", "", "Asia", "/etc/localtime"])
def test_unknown_or_unsafe_zone_names_raise_value_error(name: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        tz(name)


def test_describe_shows_utc_tehran_and_jalali() -> None:
    view = describe(datetime(2027, 3, 21, 5, 30, tzinfo=UTC))
    assert view.utc == "2027-03-21 05:30 UTC"
    assert view.tehran == "2027-03-21 09:00 (Asia/Tehran)"
    assert view.jalali == "1406-01-01 09:00 (Asia/Tehran)"
    assert view.persian == "یک\u200cشنبه ۱ فروردین ۱۴۰۶، ساعت ۰۹:۰۰"


def test_api_time_converts_to_utc_and_refuses_naive_datetimes() -> None:
    tehran = datetime(2027, 3, 21, 9, 0, tzinfo=tz("Asia/Tehran"))
    assert api_time(tehran) == "2027-03-21 05:30:00"
    with pytest.raises(ValueError):
        api_time(datetime(2027, 3, 21, 9, 0))
