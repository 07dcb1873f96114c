"""Open support-line time between two instants: only 6 am to 9 pm Pacific counts, and a night
when the clocks change does not shift the next morning's opening."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.console.app import support_hours
from assistant.console.open_hours import OpenHours, waited_seconds
from assistant.knowledge.loader import load_contacts
from bench.console_harness import ROOT

PACIFIC = ZoneInfo("America/Los_Angeles")
LINE = OpenHours(opens=dt.time(6), closes=dt.time(21), zone=PACIFIC)
MINUTE = 60.0


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> float:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PACIFIC).timestamp()


def open_minutes(start: float, end: float, hours: OpenHours = LINE) -> float:
    return hours.open_seconds_between(start, end) / MINUTE


def test_a_request_at_855_pm_has_waited_15_open_minutes_at_610_am() -> None:
    asked = at(2026, 11, 24, 20, 55)

    assert open_minutes(asked, at(2026, 11, 25, 6, 10)) == 15  # 5 before closing, 10 after opening
    assert open_minutes(asked, at(2026, 11, 25, 7, 0)) == 65
    assert (at(2026, 11, 25, 6, 10) - asked) / MINUTE == 555  # what a wall clock would say


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (at(2026, 11, 24, 10, 0), at(2026, 11, 24, 10, 42), 42),  # all within one day
        (at(2026, 11, 24, 22, 0), at(2026, 11, 25, 5, 59), 0),  # all while closed
        (at(2026, 11, 24, 4, 0), at(2026, 11, 24, 6, 30), 30),  # asked before opening
        (at(2026, 11, 24, 6, 0), at(2026, 11, 24, 21, 0), 15 * 60),  # the whole day, exactly
        (at(2026, 11, 24, 20, 0), at(2026, 11, 27, 7, 0), 60 + 2 * 15 * 60 + 60),  # three nights
        (at(2026, 11, 24, 12, 0), at(2026, 11, 24, 12, 0), 0),  # no time at all
        (at(2026, 11, 24, 12, 0), at(2026, 11, 24, 11, 0), 0),  # the end before the start
    ],
)
def test_only_open_hours_count(start: float, end: float, minutes: float) -> None:
    assert open_minutes(start, end) == minutes


@pytest.mark.parametrize(
    ("asked", "morning"),
    [
        # The clocks go back an hour in the night of Oct 31 to Nov 1: the night is 10 h long.
        ((2026, 10, 31, 20, 55), (2026, 11, 1)),
        # The clocks go forward an hour in the night of Mar 7 to Mar 8: the night is 8 h long.
        ((2026, 3, 7, 20, 55), (2026, 3, 8)),
    ],
)
def test_a_clock_change_in_the_night_does_not_move_the_opening(
    asked: tuple[int, int, int, int, int], morning: tuple[int, int, int]
) -> None:
    start = at(*asked)

    assert open_minutes(start, at(*morning, 6, 10)) == 15
    assert open_minutes(start, at(*morning, 6, 50)) == 55
    assert open_minutes(start, at(*morning, 7, 0)) == 65


def test_a_clock_change_during_open_hours_counts_real_time() -> None:
    """A line open around 2 am (here 1 am to 4 am) is open 2 real hours on the night the
    clocks go forward and 4 on the night they go back."""
    night_line = OpenHours(opens=dt.time(1), closes=dt.time(4), zone=PACIFIC)

    spring = night_line.open_seconds_between(at(2026, 3, 7, 12), at(2026, 3, 8, 12))
    autumn = night_line.open_seconds_between(at(2026, 10, 31, 12), at(2026, 11, 1, 12))

    assert (spring / 3600, autumn / 3600) == (2, 4)


def test_another_time_zone_counts_its_own_hours() -> None:
    eastern = OpenHours(opens=dt.time(8), closes=dt.time(17), zone=ZoneInfo("America/New_York"))

    # 8:55 pm Pacific is 11:55 pm Eastern; the Eastern line opens at 5 am Pacific.
    assert open_minutes(at(2026, 11, 24, 20, 55), at(2026, 11, 25, 5, 10), eastern) == 10


def test_without_known_hours_every_second_counts() -> None:
    asked = at(2026, 11, 24, 20, 55)
    later = at(2026, 11, 25, 6, 10)

    assert waited_seconds(asked, later, None) == later - asked
    assert waited_seconds(later, asked, None) == 0
    assert waited_seconds(asked, later, LINE) == 15 * MINUTE


def test_a_line_must_close_after_it_opens() -> None:
    with pytest.raises(ValueError, match="close after it opens"):
        OpenHours(opens=dt.time(21), closes=dt.time(6), zone=PACIFIC)


def test_the_hours_come_from_the_knowledge_contacts() -> None:
    line = load_contacts(ROOT / "data" / "knowledge").support_line

    hours = support_hours(ROOT / "data" / "knowledge")

    assert hours == OpenHours(opens=line.opens, closes=line.closes, zone=ZoneInfo(line.timezone))


def test_unreadable_knowledge_means_no_hours(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "contacts.yml").write_text("support_line: [not, a, line]\n")

    assert support_hours(tmp_path) is None
    assert support_hours(tmp_path / "missing") is None
    assert "callback ages count every hour" in caplog.text
