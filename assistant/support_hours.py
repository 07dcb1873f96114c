"""Whether the support line is open at a given moment, and when it opens next (DST-safe)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from assistant.knowledge.models import SupportLine


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


def format_opening(next_open: dt.datetime) -> str:
    """E.g. "6:00 AM on Monday, November 30" (the knowledge text adds the time zone)."""
    hour = next_open.strftime("%I").lstrip("0")
    return f"{hour}:{next_open:%M %p} on {next_open:%A, %B} {next_open.day}"
