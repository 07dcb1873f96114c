"""Retention: delete conversations whose last activity is older than N days, from Rasa's
``events`` table and from every console table. The audit trail is kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from assistant.console import schema

BATCH = 500
DAY_S = 86400


@dataclass(frozen=True)
class PurgeResult:
    conversations: int
    events: int


def purge_older_than(
    engine: Engine,
    days: int,
    now: float,
    progress: Optional[Callable[[int], None]] = None,
) -> PurgeResult:
    """Purge in batches (each its own transaction), so the bot is never blocked for long."""
    if days < 1:
        raise ValueError("the retention period is at least 1 day")
    cutoff = now - days * DAY_S
    conv = schema.conversations
    purged = events = 0
    while True:
        with engine.begin() as connection:
            rows = connection.execute(
                sa.select(conv.c.id, conv.c.sender_id, conv.c.first_event_id, conv.c.last_event_id)
                .where(conv.c.last_at < cutoff)
                .order_by(conv.c.id)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            for row in rows:
                events += connection.execute(
                    schema.events.delete().where(
                        schema.events.c.sender_id == row.sender_id,
                        schema.events.c.id.between(row.first_event_id, row.last_event_id),
                    )
                ).rowcount
            ids = [row.id for row in rows]
            callback_ids = sa.select(schema.callbacks.c.id).where(
                schema.callbacks.c.conversation_id.in_(ids)
            )
            connection.execute(
                schema.callback_changes.delete().where(
                    schema.callback_changes.c.callback_id.in_(callback_ids)
                )
            )
            for table in (
                schema.callbacks,
                schema.conversation_intents,
                schema.unanswered,
                schema.tags,
                schema.notes,
                schema.corrections,
            ):
                connection.execute(table.delete().where(table.c.conversation_id.in_(ids)))
            connection.execute(conv.delete().where(conv.c.id.in_(ids)))
            purged += len(rows)
        if progress is not None:
            progress(purged)
    return PurgeResult(purged, events)
