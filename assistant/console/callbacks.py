"""The callback queue: requests recorded by the bot's callback form, with a status that staff
move from new to called to closed. Every change is kept with who made it."""

from __future__ import annotations

import time
from typing import List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant.console import schema

STATUSES = ("new", "called", "closed")
OPEN_STATUSES = ("new", "called")
NEXT_STATUS = {"new": "called", "called": "closed"}


class CallbackError(ValueError):
    """A status change that is not allowed (the message says why)."""


def list_callbacks(
    connection: Connection, status: str = "open", limit: int = 500
) -> List[sa.engine.Row]:
    table = schema.callbacks
    query = sa.select(table).order_by(table.c.requested_at.asc()).limit(limit)
    if status == "open":
        query = query.where(table.c.status.in_(OPEN_STATUSES))
    elif status in STATUSES:
        query = query.where(table.c.status == status)
    return list(connection.execute(query))


def get_callback(connection: Connection, callback_id: int) -> Optional[sa.engine.Row]:
    table = schema.callbacks
    return connection.execute(sa.select(table).where(table.c.id == callback_id)).first()


def change_status(
    connection: Connection, callback_id: int, to_status: str, by: str
) -> sa.engine.Row:
    """Move a request forward one step (new -> called -> closed), or reopen a closed one."""
    row = get_callback(connection, callback_id)
    if row is None:
        raise CallbackError("no such callback request")
    allowed = {NEXT_STATUS.get(row.status), "new" if row.status == "closed" else None}
    if to_status not in STATUSES or to_status not in allowed:
        raise CallbackError(f"a {row.status} request cannot become {to_status}")
    now = time.time()
    table = schema.callbacks
    connection.execute(
        table.update()
        .where(table.c.id == callback_id)
        .values(status=to_status, updated_by=by, updated_at=now)
    )
    connection.execute(
        schema.callback_changes.insert().values(
            callback_id=callback_id,
            from_status=row.status,
            to_status=to_status,
            changed_by=by,
            changed_at=now,
        )
    )
    return row


def history(connection: Connection, callback_ids: List[int]) -> dict:
    table = schema.callback_changes
    found: dict = {i: [] for i in callback_ids}
    if callback_ids:
        query = sa.select(table).where(table.c.callback_id.in_(callback_ids)).order_by(table.c.id)
        for row in connection.execute(query):
            found[row.callback_id].append(row)
    return found
