"""Server-side staff sessions and their CSRF tokens (login throttling: ``login_throttle``).

The cookie holds 256 random bits; the table keeps only their SHA-256, so a copy of the
database does not let anyone log in. A session ends after ``idle_timeout_s`` without a request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant.console import schema
from assistant.console.accounts import User, get_user

# Sessions seen less than this long ago are not rewritten on every request.
TOUCH_EVERY_S = 10.0


@dataclass(frozen=True)
class StaffSession:
    user: User
    csrf_token: str
    token_hash: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(connection: Connection, user: User, now: float) -> Tuple[str, str]:
    """A new session for ``user``: (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    connection.execute(
        schema.sessions.insert().values(
            token_hash=token_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
        )
    )
    return token, csrf


def load_session(
    connection: Connection, token: Optional[str], now: float, idle_timeout_s: float
) -> Optional[StaffSession]:
    """The live session for a cookie token, or None (missing, unknown, idle or disabled)."""
    if not token or len(token) > 128:
        return None
    table = schema.sessions
    digest = token_hash(token)
    row = connection.execute(sa.select(table).where(table.c.token_hash == digest)).first()
    if row is None:
        return None
    user = get_user(connection, row.user_id)
    if now - row.last_seen_at > idle_timeout_s or user is None or not user.active:
        connection.execute(table.delete().where(table.c.token_hash == digest))
        return None
    if now - row.last_seen_at > TOUCH_EVERY_S:
        connection.execute(
            table.update().where(table.c.token_hash == digest).values(last_seen_at=now)
        )
    return StaffSession(user, row.csrf_token, digest)


def end_session(connection: Connection, digest: str) -> None:
    connection.execute(schema.sessions.delete().where(schema.sessions.c.token_hash == digest))


def drop_idle_sessions(connection: Connection, now: float, idle_timeout_s: float) -> int:
    table = schema.sessions
    return int(
        connection.execute(
            table.delete().where(table.c.last_seen_at < now - idle_timeout_s)
        ).rowcount
    )
