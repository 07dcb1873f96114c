"""Patients' ratings of answers over a date range, per knowledge entry: how many, how many
helpful, and the helpful rate, so staff see which entries to rewrite first.

Ratings count by the day they were given (``console_feedback.at``, local days). The entries
with enough ratings to judge come first, lowest helpful rate first; the rest follow, most
"not helpful" ratings first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import List, Tuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant.console import schema
from assistant.console.inbox import local_midnight
from assistant.dialogue_names import HELPFUL

# Fewer ratings than this say little about an entry: listed after the ones that have enough.
ENOUGH_RATINGS = 3
MAX_ENTRIES = 25


@dataclass(frozen=True)
class EntryRatings:
    entry_id: str
    ratings: int
    helpful: int

    @property
    def not_helpful(self) -> int:
        return self.ratings - self.helpful

    @property
    def helpful_rate(self) -> float:
        return self.helpful / self.ratings if self.ratings else 0.0

    @property
    def enough(self) -> bool:
        return self.ratings >= ENOUGH_RATINGS

    def rewrite_order(self) -> Tuple[bool, float, int, str]:
        """Sort key: judged entries first, worst rate first, then most "not helpful"."""
        return (not self.enough, self.helpful_rate, -self.not_helpful, self.entry_id)


@dataclass(frozen=True)
class FeedbackStats:
    entries: List[EntryRatings]  # at most MAX_ENTRIES, in rewrite order
    rated_entries: int  # every entry rated in the range
    ratings: int  # every rating, with or without an entry
    helpful: int
    enough_ratings: int = ENOUGH_RATINGS

    @property
    def not_helpful(self) -> int:
        return self.ratings - self.helpful

    @property
    def helpful_rate(self) -> float:
        return self.helpful / self.ratings if self.ratings else 0.0


def feedback_stats(
    connection: Connection,
    first_day: date,
    last_day: date,
    tz: ZoneInfo,
    max_entries: int = MAX_ENTRIES,
) -> FeedbackStats:
    table = schema.feedback
    start = local_midnight(first_day, tz)
    end = local_midnight(last_day + timedelta(days=1), tz)
    helpful = sa.func.coalesce(sa.func.sum(sa.case((table.c.rating == HELPFUL, 1), else_=0)), 0)
    per_entry = connection.execute(
        sa.select(table.c.entry_id, sa.func.count(), helpful)
        .where(table.c.at >= start, table.c.at < end)
        .group_by(table.c.entry_id)
    ).all()
    entries = [EntryRatings(str(e), int(n), int(h)) for e, n, h in per_entry if e is not None]
    entries.sort(key=EntryRatings.rewrite_order)
    return FeedbackStats(
        entries=entries[:max_entries],
        rated_entries=len(entries),
        ratings=sum(int(n) for _, n, _ in per_entry),
        helpful=sum(int(h) for _, _, h in per_entry),
    )
