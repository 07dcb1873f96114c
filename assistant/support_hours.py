"""Whether the support line is open at a given moment, and when it opens next (DST-safe)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional
from zoneinfo import ZoneInfo

from assistant.knowledge.models import SpanishDates, SupportLine


@dataclass(frozen=True)
class LineStatus:
    is_open: bool
    # The next opening, in the line's own time zone (None while it is open).
    next_open: dt.datetime | None


def line_status(now: dt.datetime, line: SupportLine) -> LineStatus:
    """Open from ``line.opens`` (inclusive) to ``line.closes`` (exclusive), local time, daily."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(line.timezone)
    local = now.astimezone(zone)
    opens_today = dt.datetime.combine(local.date(), line.opens, tzinfo=zone)
    closes_today = dt.datetime.combine(local.date(), line.closes, tzinfo=zone)
    if opens_today <= local < closes_today:
        return LineStatus(is_open=True, next_open=None)
    if local < opens_today:
        return LineStatus(is_open=False, next_open=opens_today)
    tomorrow = local.date() + dt.timedelta(days=1)
    return LineStatus(
        is_open=False, next_open=dt.datetime.combine(tomorrow, line.opens, tzinfo=zone)
    )


def format_opening(next_open: dt.datetime, spanish: Optional[SpanishDates] = None) -> str:
    """E.g. "6:00 AM on Monday, November 30", or with ``spanish`` (from contacts.yml) "el lunes
    30 de noviembre a las 6:00 AM" (the knowledge text adds the time zone)."""
    hour = next_open.strftime("%I").lstrip("0")
    time = f"{hour}:{next_open:%M %p}"
    if spanish is not None:
        return spanish.opening.format(
            weekday=spanish.weekdays[next_open.weekday()],
            day=next_open.day,
            month=spanish.months[next_open.month - 1],
            time=time,
        )
    return f"{time} on {next_open:%A, %B} {next_open.day}"
