"""Send hours: the daily Tehran-time window promotional campaigns are sent in.

Every time here is fixed: the tests pass at any hour of the day.
"""

from __future__ import annotations

import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest
from helpers import NOW

from runner.campaign import load_campaign
from runner.errors import InvalidCampaign
from runner.planner import build_plan
from runner.schedule import tz
from runner.send_hours import now_problem, parse_window

UTC = timezone.utc


def _from_tehran(day: int, hour: int, minute: int) -> datetime:
    """2026-11-{day} at hour:minute Tehran time, as an aware UTC moment."""
    return datetime(2026, 11, day, hour, minute, tzinfo=tz("Asia/Tehran")).astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("08:00-22:00", ["08:00", "12:00", "21:59"], ["07:59", "22:00", "23:30", "00:00"]),
        ("09:00-21:00", ["09:00", "20:59"], ["08:59", "21:00"]),
        ("20:00-02:00", ["20:00", "23:59", "00:00", "01:59"], ["02:00", "12:00", "19:59"]),
        ("00:00-24:00", ["00:00", "12:00", "23:59"], []),
    ],
)
def test_a_window_holds_its_start_but_not_its_end(
    text: str, inside: list[str], outside: list[str]
) -> None:
    window = parse_window(text)
    assert window is not None
    for clock, expected in [*((c, True) for c in inside), *((c, False) for c in outside)]:
        hour, minute = (int(x) for x in clock.split(":"))
        assert window.contains(_from_tehran(26, hour, minute)) is expected, clock


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("25:00-26:00", "send_hours '25:00-26:00' is not a window of Tehran time"),
        ("08:60-22:00", "send_hours '08:60-22:00' is not a window of Tehran time"),
        ("08:00-24:30", "send_hours '08:00-24:30': the latest end is 24:00"),
        ("08:00-08:00", "send_hours '08:00-08:00' opens and closes at the same time"),
        ("00:00-00:00", "send_hours '00:00-00:00' opens and closes at the same time"),
    ],
)
def test_a_malformed_window_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
        parse_window(text)


def test_any_switches_the_guard_off() -> None:
    assert parse_window("any") is None


def test_the_next_opening_is_the_same_morning_after_midnight_and_tomorrow_before_it() -> None:
    window = parse_window("08:00-22:00")
    assert window is not None
    assert window.next_opening(_from_tehran(26, 23, 10)) == _from_tehran(27, 8, 0)
    assert window.next_opening(_from_tehran(27, 2, 0)) == _from_tehran(27, 8, 0)


def campaign(tmp_path: Path, body: str, *, sender: bool = True) -> Path:
    (tmp_path / "n.txt").write_text("09120000001\n", encoding="utf-8")
    path = tmp_path / "c.yaml"
    line = "sender: '+983000505'\n" if sender else "description: no sender\n"
    head = f"version: 1\nname: hours\n{line}recipients: [{{file: n.txt}}]\n"
    path.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return path


def plan_problems(path: Path) -> list[str]:
    with pytest.raises(InvalidCampaign) as caught:
        build_plan(load_campaign(path), now=NOW)
    return [str(v).replace(str(path.parent) + "/", "") for v in caught.value.violations]


def test_a_promotional_schedule_at_night_is_refused_at_its_line(tmp_path: Path) -> None:
    path = campaign(
        tmp_path,
        """
        type: webservice
        message: تخفیف
        schedule: {at: "1405-09-06 23:00", calendar: jalali}
        """,
    )
    assert plan_problems(path) == [
        "c.yaml:8:16: schedule.at 1405-09-06 23:00 is 23:00 Tehran time, outside send_hours "
        "08:00-22:00: operators do not deliver promotional SMS to MCI numbers at night, yet "
        "charge for them. Schedule it from 08:00 to 22:00 Tehran time (next: 1405-09-07 08:00 "
        "Tehran (2026-11-28)), or set send_hours: any if the line is not promotional"
    ]


def test_a_narrower_window_refuses_what_the_default_allows(tmp_path: Path) -> None:
    path = campaign(
        tmp_path,
        """
        type: peer_to_peer
        message: سلام
        send_hours: "09:00-21:00"
        schedule: {at: "2026-11-27 08:30"}
        """,
    )
    (problem,) = plan_problems(path)
    assert problem.startswith("c.yaml:9:16: schedule.at 2026-11-27 08:30 is 08:30 Tehran time")
    assert "outside send_hours 09:00-21:00" in problem


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("webservice", 'send_hours: "any"'),
        ("webservice", 'send_hours: "20:00-02:00"'),
        ("votp", ""),
    ],
)
def test_a_night_schedule_passes_when_the_guard_does_not_apply(
    tmp_path: Path, kind: str, extra: str
) -> None:
    body = f"""
        type: {kind}
        message: "12345"
        {extra}
        schedule: {{at: "1405-09-06 23:00", calendar: jalali}}
        """
    path = campaign(tmp_path, body, sender=kind != "votp")
    plan = build_plan(load_campaign(path), now=NOW)
    assert plan.send_time == _from_tehran(27, 23, 0)


def test_send_hours_on_a_pattern_is_ignored_and_the_plan_says_so(tmp_path: Path) -> None:
    path = campaign(
        tmp_path,
        """
        type: pattern
        pattern: {code: otp0077login, params: {code: "1"}}
        send_hours: "09:00-21:00"
        schedule: {at: "1405-09-06 23:00", calendar: jalali}
        """,
    )
    plan = build_plan(load_campaign(path), now=NOW)
    assert plan.notes == (
        "send_hours is ignored: pattern sends are transactional, not promotional",
    )


def test_the_plan_of_an_unscheduled_campaign_says_when_sending_now_is_refused(
    tmp_path: Path,
) -> None:
    path = campaign(tmp_path, "type: webservice\nmessage: سلام\n")
    night = _from_tehran(26, 23, 10)
    assert build_plan(load_campaign(path), now=night).notes == (
        "it is 23:10 in Tehran, outside send_hours 08:00-22:00: apply will not send this "
        "campaign now; the window opens at 1405-09-06 08:00 Tehran (2026-11-27)",
    )
    assert build_plan(load_campaign(path), now=NOW).notes == ()


def test_sending_now_at_night_says_when_the_window_opens_and_how_to_schedule(
    tmp_path: Path,
) -> None:
    path = campaign(tmp_path, "type: webservice\nmessage: سلام\n")
    problem = now_problem(load_campaign(path), _from_tehran(26, 23, 10))
    assert problem is not None
    assert (problem.line, problem.col) == (5, 7)  # type: webservice
    assert problem.message == (
        "it is 1405-09-05 23:10 Tehran (2026-11-26), outside send_hours 08:00-22:00: operators "
        "do not deliver promotional SMS to MCI numbers at night, yet charge for them. The "
        "window opens at 1405-09-06 08:00 Tehran (2026-11-27); to send then, add schedule: {at: "
        '"1405-09-06 08:00", calendar: jalali} to the campaign, or run apply again after 08:00. '
        "Set send_hours: any only if the line is not promotional"
    )


def test_just_before_the_window_opens_the_suggested_schedule_keeps_the_apis_5_minutes(
    tmp_path: Path,
) -> None:
    path = campaign(tmp_path, "type: webservice\nmessage: سلام\n")
    problem = now_problem(load_campaign(path), _from_tehran(27, 7, 58))
    assert problem is not None
    assert 'schedule: {at: "1405-09-06 08:04", calendar: jalali}' in problem.message
