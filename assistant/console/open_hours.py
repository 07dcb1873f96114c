"""How long a callback request has waited while the support line was open.

A request left at 8:55 pm, when the line closes at 9 pm and opens again at 6 am, has waited
15 open minutes at 6:10 am. The line's hours are wall-clock times in its own time zone, so a
day's opening is found on that day's calendar: a night when the clocks change is an hour
longer or shorter, and the open hours after it are not shifted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional
from zoneinfo import ZoneInfo

from assistant.knowledge.models import SupportLine

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class OpenHours:
    """Open every day from ``opens`` (inclusive) to ``closes`` (exclusive), local time."""

    opens: dt.time
    closes: dt.time
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.closes <= self.opens:
            raise ValueError(f"the line must close after it opens, got {self.opens}-{self.closes}")

    @classmethod
    def of_line(cls, line: SupportLine) -> OpenHours:
        return cls(opens=line.opens, closes=line.closes, zone=ZoneInfo(line.timezone))

    def _window(self, day: dt.date) -> tuple[float, float]:
        """The day's open hours as seconds since the epoch."""
        opens = dt.datetime.combine(day, self.opens, tzinfo=self.zone)
        closes = dt.datetime.combine(day, self.closes, tzinfo=self.zone)
        return opens.timestamp(), closes.timestamp()

    def open_seconds_between(self, start: float, end: float) -> float:
        """Seconds between the instants ``start`` and ``end`` (seconds since the epoch) during
        which the line was open; 0 when ``end`` is not after ``start``."""
        if end <= start:
            return 0.0
        day = dt.datetime.fromtimestamp(start, self.zone).date()
        last_day = dt.datetime.fromtimestamp(end, self.zone).date()
        total = 0.0
        while day <= last_day:
            opens, closes = self._window(day)
            total += max(0.0, min(end, closes) - max(start, opens))
            day += ONE_DAY
        return total


def waited_seconds(start: float, end: float, hours: Optional[OpenHours]) -> float:
    """Open-line seconds from ``start`` to ``end``; every second counts when the hours are
    not known (the knowledge could not be read)."""
    if hours is None:
        return max(0.0, end - start)
    return hours.open_seconds_between(start, end)
