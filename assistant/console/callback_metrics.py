"""The callback queue's figures for the dashboard.

For the requests made in the dashboard's date range: how long the first call took (the
median, in support-line hours), and the share called within the target. A request counts
towards the share once it is decided: called, or still waiting past the target. A request
closed without a call (a duplicate, say) is left out. The open requests are counted as they
are now, whatever their date, with how many are overdue.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from typing import List, Optional, Tuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant.console import schema
from assistant.console.callbacks import OPEN_STATUSES, STATUSES, format_duration
from assistant.console.inbox import local_midnight
from assistant.console.open_hours import OpenHours, waited_seconds


@dataclass(frozen=True)
class CallbackFigures:
    requested: int  # requests made in the range
    called: int  # of those, called at least once
    median_first_call_s: Optional[float]  # support-line seconds to the first call
    within_target: int  # called within the target
    decided: int  # called, or still waiting past the target
    statuses: List[Tuple[str, int]]  # the range's requests by status, every status listed
    open_now: int  # open requests of any date
    overdue_now: int
    target_minutes: int
    hours_known: bool  # False: waits count every hour (the support hours were not read)

    @property
    def within_target_share(self) -> Optional[float]:
        return self.within_target / self.decided if self.decided else None

    @property
    def median_first_call(self) -> Optional[str]:
        """The median as staff read it ("42 min"); None when nobody was called."""
        if self.median_first_call_s is None:
            return None
        return format_duration(self.median_first_call_s)


def callback_figures(
    connection: Connection,
    first_day: date,
    last_day: date,
    tz: ZoneInfo,
    now: float,
    hours: Optional[OpenHours],
    target_minutes: int,
) -> CallbackFigures:
    c = schema.callbacks.c
    target_s = target_minutes * 60
    start = local_midnight(first_day, tz)
    end = local_midnight(last_day + timedelta(days=1), tz)
    in_range = connection.execute(
        sa.select(c.status, c.requested_at, c.first_call_at).where(
            c.requested_at >= start, c.requested_at < end
        )
    ).all()
    first_calls: List[float] = []
    late_waiting = 0
    counts = dict.fromkeys(STATUSES, 0)
    for status, requested_at, first_call_at in in_range:
        counts[status] = counts.get(status, 0) + 1
        if first_call_at is not None:
            first_calls.append(waited_seconds(requested_at, first_call_at, hours))
        elif status in OPEN_STATUSES and waited_seconds(requested_at, now, hours) > target_s:
            late_waiting += 1
    waiting = connection.execute(
        sa.select(c.requested_at).where(c.status.in_(OPEN_STATUSES), c.first_call_at.is_(None))
    ).scalars()
    overdue_now = sum(1 for at in waiting if waited_seconds(at, now, hours) > target_s)
    open_now = connection.execute(
        sa.select(sa.func.count()).where(c.status.in_(OPEN_STATUSES))
    ).scalar_one()
    return CallbackFigures(
        requested=len(in_range),
        called=len(first_calls),
        median_first_call_s=statistics.median(first_calls) if first_calls else None,
        within_target=sum(1 for s in first_calls if s <= target_s),
        decided=len(first_calls) + late_waiting,
        statuses=list(counts.items()),
        open_now=int(open_now),
        overdue_now=overdue_now,
        target_minutes=target_minutes,
        hours_known=hours is not None,
    )
