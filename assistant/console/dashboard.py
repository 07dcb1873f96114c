"""Dashboard figures for a date range: conversations per day, top intents, fallback and
handoff rates and emergencies. The questions the bot could not answer are grouped by topic
in ``topics``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import List, Tuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant.console import schema
from assistant.console.inbox import local_midnight

TOP = 10


@dataclass(frozen=True)
class Dashboard:
    first_day: date
    last_day: date
    per_day: List[Tuple[str, int, int]]  # (day, conversations, emergencies); every day listed
    top_intents: List[Tuple[str, int]]
    conversations: int
    messages: int
    missed_messages: int
    handoffs: int
    emergencies: int
    callbacks: int

    @property
    def fallback_rate(self) -> float:
        return self.missed_messages / self.messages if self.messages else 0.0

    @property
    def handoff_rate(self) -> float:
        return self.handoffs / self.conversations if self.conversations else 0.0


def dashboard(connection: Connection, first_day: date, last_day: date, tz: ZoneInfo) -> Dashboard:
    c = schema.conversations.c
    start = local_midnight(first_day, tz)
    end = local_midnight(last_day + timedelta(days=1), tz)
    in_range = (c.started_at >= start, c.started_at < end)
    totals = connection.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(c.turns), 0),
            sa.func.coalesce(sa.func.sum(c.missed), 0),
            sa.func.coalesce(sa.func.sum(sa.case((c.handoff, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((c.emergency, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((c.callback, 1), else_=0)), 0),
        ).where(*in_range)
    ).one()
    counts = {
        day: (n, e)
        for day, n, e in connection.execute(
            sa.select(
                c.started_day,
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(sa.case((c.emergency, 1), else_=0)), 0),
            )
            .where(*in_range)
            .group_by(c.started_day)
        )
    }
    per_day = []
    day = first_day
    while day <= last_day:
        n, e = counts.get(day.isoformat(), (0, 0))
        per_day.append((day.isoformat(), int(n), int(e)))
        day += timedelta(days=1)
    intents = schema.conversation_intents
    top_intents = connection.execute(
        sa.select(intents.c.intent, sa.func.sum(intents.c.count).label("n"))
        .select_from(intents.join(schema.conversations, intents.c.conversation_id == c.id))
        .where(*in_range)
        .group_by(intents.c.intent)
        .order_by(sa.desc("n"), intents.c.intent)
        .limit(TOP)
    ).all()
    return Dashboard(
        first_day=first_day,
        last_day=last_day,
        per_day=per_day,
        top_intents=[(str(i), int(n)) for i, n in top_intents],
        conversations=int(totals[0]),
        messages=int(totals[1]),
        missed_messages=int(totals[2]),
        handoffs=int(totals[3]),
        emergencies=int(totals[4]),
        callbacks=int(totals[5]),
    )
