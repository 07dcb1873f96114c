"""The outbox's state changes: claim due rows under a lease, mark them delivered or failed.

Every state lives in ``console_alerts``, so delivery survives a restart of any process. A
worker claims rows with one conditional UPDATE (pending, due, lease free or expired) under a
lease token of its own: two workers never both hold a row, and a worker that died leaves its
rows to be claimed again when the lease runs out.

The functions take a connection (``Database.call``/``run`` opens the transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant.console import schema
from assistant.console.alerts.kinds import DELIVERED, FAILED, PENDING

BACKOFF_BASE_S = 30.0
BACKOFF_CAP_S = 30 * 60.0
ERROR_CHARS = 120


@dataclass(frozen=True)
class OutboxRow:
    id: int
    kind: str
    subject: str
    conversation_id: int
    callback_id: Optional[int]
    channel: str
    happened_at: float
    destination: str
    digest: bool
    attempts: int
    created_at: float


@dataclass(frozen=True)
class AlertRecord:
    """An outbox row as the console's pages show it."""

    id: int
    kind: str
    subject: str
    conversation_id: int
    callback_id: Optional[int]
    channel: str
    happened_at: float
    destination: str
    digest: bool
    due_at: float
    status: str
    attempts: int
    next_attempt_at: float
    last_error: Optional[str]
    delivered_at: Optional[float]

    @property
    def link(self) -> str:
        return (
            "/callbacks"
            if self.callback_id is not None
            else f"/conversations/{self.conversation_id}"
        )


def backoff_s(attempts: int) -> float:
    """The wait after the ``attempts``-th failed try: 30 s, 1 min, 2 min, ... up to 30 min."""
    return float(min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_CAP_S))


def _claimable(now: float, destinations: Sequence[str]) -> sa.sql.ColumnElement:
    table = schema.alerts
    return sa.and_(
        table.c.status == PENDING,
        table.c.next_attempt_at <= now,
        table.c.destination.in_(list(destinations)),
        sa.or_(table.c.lease_until.is_(None), table.c.lease_until < now),
    )


def claim(
    connection: Connection,
    owner: str,
    now: float,
    lease_s: float,
    destinations: Sequence[str],
    limit: int = 100,
) -> List[OutboxRow]:
    """Lease up to ``limit`` due rows to ``owner`` (a token unique to this claim) and return
    them. The UPDATE repeats the conditions, so a row another worker leased in between is
    not taken."""
    table = schema.alerts
    candidates = list(
        connection.execute(
            sa.select(table.c.id)
            .where(_claimable(now, destinations))
            .order_by(table.c.next_attempt_at, table.c.id)
            .limit(limit)
        ).scalars()
    )
    if not candidates:
        return []
    connection.execute(
        table.update()
        .where(table.c.id.in_(candidates), _claimable(now, destinations))
        .values(lease_owner=owner, lease_until=now + lease_s)
    )
    rows = connection.execute(
        sa.select(table)
        .where(table.c.id.in_(candidates), table.c.lease_owner == owner)
        .order_by(table.c.id)
    ).mappings()
    return [
        OutboxRow(**{name: row[name] for name in OutboxRow.__dataclass_fields__}) for row in rows
    ]


def mark_delivered(
    connection: Connection, ids: Sequence[int], owner: str, delivery_id: str, now: float
) -> int:
    """Rows ``owner`` still holds become delivered; returns how many."""
    table = schema.alerts
    return int(
        connection.execute(
            table.update()
            .where(table.c.id.in_(list(ids)), table.c.lease_owner == owner)
            .values(
                status=DELIVERED,
                delivered_at=now,
                delivery_id=delivery_id[:64],
                attempts=table.c.attempts + 1,
                last_error=None,
                lease_owner=None,
                lease_until=None,
            )
        ).rowcount
    )


def mark_failed(
    connection: Connection,
    rows: Sequence[OutboxRow],
    owner: str,
    error: str,
    now: float,
    max_attempts: int,
) -> int:
    """A failed try: the next one after a backoff, or status ``failed`` after
    ``max_attempts``. ``error`` is the error's type and status code, never its text."""
    table = schema.alerts
    marked = 0
    for row in rows:
        attempts = row.attempts + 1
        done = attempts >= max_attempts
        marked += connection.execute(
            table.update()
            .where(table.c.id == row.id, table.c.lease_owner == owner)
            .values(
                attempts=attempts,
                status=FAILED if done else PENDING,
                next_attempt_at=now if done else now + backoff_s(attempts),
                last_error=error[:ERROR_CHARS],
                lease_owner=None,
                lease_until=None,
            )
        ).rowcount
    return marked


def release(connection: Connection, ids: Sequence[int], owner: str) -> None:
    """Give rows back unsent (the worker is stopping), without counting a try."""
    table = schema.alerts
    connection.execute(
        table.update()
        .where(table.c.id.in_(list(ids)), table.c.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )


def retry(connection: Connection, alert_id: int, now: float) -> bool:
    """A failed row goes back to pending with its tries reset (an admin's "Retry")."""
    table = schema.alerts
    return bool(
        connection.execute(
            table.update()
            .where(table.c.id == alert_id, table.c.status == FAILED)
            .values(status=PENDING, attempts=0, next_attempt_at=now, last_error=None)
        ).rowcount
    )


def _records(connection: Connection, query: sa.sql.Select) -> List[AlertRecord]:
    names = list(AlertRecord.__dataclass_fields__)
    return [
        AlertRecord(**{n: row[n] for n in names}) for row in connection.execute(query).mappings()
    ]


def recent(connection: Connection, limit: int = 100) -> List[AlertRecord]:
    table = schema.alerts
    return _records(connection, sa.select(table).order_by(table.c.id.desc()).limit(limit))


def undelivered(connection: Connection, since: float, limit: int = 20) -> List[AlertRecord]:
    """Alerts that failed for good, made since ``since``: newest first."""
    table = schema.alerts
    query = (
        sa.select(table)
        .where(table.c.status == FAILED, table.c.created_at >= since)
        .order_by(table.c.happened_at.desc(), table.c.id.desc())
        .limit(limit)
    )
    return _records(connection, query)
