"""Retention: delete conversations whose last activity is older than N days, from Rasa's
``events`` table and from every console table, and the web chat's retry records
(``web_client_messages``) older than the same cutoff. The audit trail is kept.

On PostgreSQL the console's role may not delete from ``events`` or ``web_client_messages``:
it calls the owner's ``SECURITY DEFINER`` functions instead (``assistant.ops.db_roles``),
which delete one conversation's events in an id range, or the retry records older than a
cutoff, and never anything less than a day old. On SQLite (development, no roles) it deletes
directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from assistant.console import schema
from assistant.stores.replica_tables import web_client_messages

BATCH = 500
DAY_S = 86400


# The owner's functions (assistant.ops.db_roles), in schema public.
PURGE_EVENTS_FUNCTION = sa.func.public.retention_purge_events
PURGE_WEB_MESSAGES_FUNCTION = sa.func.public.retention_purge_web_messages


@dataclass(frozen=True)
class PurgeResult:
    conversations: int
    events: int
    web_messages: int = 0


def _purge_events(connection: Connection, sender_id: str, first_id: int, last_id: int) -> int:
    if connection.dialect.name == "postgresql":
        return int(
            connection.execute(
                sa.select(PURGE_EVENTS_FUNCTION(sender_id, first_id, last_id))
            ).scalar_one()
        )
    return int(
        connection.execute(
            schema.events.delete().where(
                schema.events.c.sender_id == sender_id,
                schema.events.c.id.between(first_id, last_id),
            )
        ).rowcount
    )


def _purge_web_messages(engine: Engine, cutoff: float) -> int:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            return int(
                connection.execute(sa.select(PURGE_WEB_MESSAGES_FUNCTION(cutoff))).scalar_one()
            )
        table = web_client_messages
        if not sa.inspect(connection).has_table(table.name):
            return 0  # development: the web chat keeps them in another database
        return int(connection.execute(table.delete().where(table.c.at < cutoff)).rowcount)


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
                events += _purge_events(
                    connection, row.sender_id, row.first_event_id, row.last_event_id
                )
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
                schema.feedback,
                schema.alerts,
            ):
                connection.execute(table.delete().where(table.c.conversation_id.in_(ids)))
            connection.execute(conv.delete().where(conv.c.id.in_(ids)))
            purged += len(rows)
        if progress is not None:
            progress(purged)
    return PurgeResult(purged, events, _purge_web_messages(engine, cutoff))
