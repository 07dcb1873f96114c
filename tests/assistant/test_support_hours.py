"""Support line hours in Pacific time, including the days daylight saving time changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from assistant.knowledge import KnowledgeBase
from assistant.support_hours import format_opening, line_status

PACIFIC = ZoneInfo("America/Los_Angeles")


def pacific(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PACIFIC)


@pytest.mark.parametrize(
    ("hour", "minute", "is_open"),
    [(5, 59, False), (6, 0, True), (12, 0, True), (20, 59, True), (21, 0, False), (23, 30, False)],
)
def test_open_from_six_to_nine_pacific(
    knowledge: KnowledgeBase, hour: int, minute: int, is_open: bool
) -> None:
    status = line_status(pacific(2026, 7, 1, hour, minute), knowledge.contacts.support_line)
    assert status.is_open is is_open


def test_before_opening_it_opens_the_same_morning(knowledge: KnowledgeBase) -> None:
    status = line_status(pacific(2026, 7, 1, 5, 59), knowledge.contacts.support_line)
    assert status.next_open == pacific(2026, 7, 1, 6, 0)


def test_after_closing_it_opens_the_next_morning(knowledge: KnowledgeBase) -> None:
    status = line_status(pacific(2026, 7, 1, 21, 0), knowledge.contacts.support_line)
    assert status.next_open == pacific(2026, 7, 2, 6, 0)


def test_utc_input_is_read_in_pacific_time(knowledge: KnowledgeBase) -> None:
    # 13:30 UTC on 1 July is 06:30 PDT.
    now = dt.datetime(2026, 7, 1, 13, 30, tzinfo=dt.timezone.utc)
    assert line_status(now, knowledge.contacts.support_line).is_open


def test_spring_forward_day(knowledge: KnowledgeBase) -> None:
    # 8 March 2026: clocks jump from 2:00 PST to 3:00 PDT.
    line = knowledge.contacts.support_line
    night = dt.datetime(2026, 3, 8, 10, 30, tzinfo=dt.timezone.utc)  # 03:30 PDT
    status = line_status(night, line)
    assert not status.is_open
    assert status.next_open is not None
    assert status.next_open.astimezone(dt.timezone.utc) == dt.datetime(
        2026, 3, 8, 13, 0, tzinfo=dt.timezone.utc
    )  # 06:00 PDT = 13:00 UTC
    assert line_status(dt.datetime(2026, 3, 8, 13, 0, tzinfo=dt.timezone.utc), line).is_open
    assert not line_status(dt.datetime(2026, 3, 8, 12, 59, tzinfo=dt.timezone.utc), line).is_open


def test_fall_back_day(knowledge: KnowledgeBase) -> None:
    # 1 November 2026: clocks fall back from 2:00 PDT to 1:00 PST; 6:00 PST is 14:00 UTC.
    line = knowledge.contacts.support_line
    assert not line_status(dt.datetime(2026, 11, 1, 13, 59, tzinfo=dt.timezone.utc), line).is_open
    assert line_status(dt.datetime(2026, 11, 1, 14, 0, tzinfo=dt.timezone.utc), line).is_open
    # 21:00 PST on 1 November is 05:00 UTC on 2 November.
    assert line_status(dt.datetime(2026, 11, 2, 4, 59, tzinfo=dt.timezone.utc), line).is_open
    late = line_status(dt.datetime(2026, 11, 2, 5, 0, tzinfo=dt.timezone.utc), line)
    assert not late.is_open
    assert late.next_open == pacific(2026, 11, 2, 6, 0)


def test_naive_time_is_refused(knowledge: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        line_status(dt.datetime(2026, 7, 1, 12, 0), knowledge.contacts.support_line)


def test_opening_is_formatted_for_people() -> None:
    assert format_opening(pacific(2026, 11, 30, 6, 0)) == "6:00 AM on Monday, November 30"
