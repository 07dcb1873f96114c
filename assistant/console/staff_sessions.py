"""Server-side staff sessions, their CSRF tokens, and login throttling.

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
# One address may fail this many times more than one user name (a shared clinic NAT).
IP_FAILURE_FACTOR = 4


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


def login_throttled(
    connection: Connection,
    username: str,
    ip: str,
    now: float,
    window_s: float,
    max_failures: int,
) -> bool:
    """Too many recent failures for this user name, or from this address."""
    table = schema.login_failures
    since = now - window_s
    by_name = connection.execute(
        sa.select(sa.func.count()).where(table.c.username == username, table.c.at > since)
    ).scalar()
    by_ip = connection.execute(
        sa.select(sa.func.count()).where(table.c.ip == ip, table.c.at > since)
    ).scalar()
    return int(by_name or 0) >= max_failures or int(by_ip or 0) >= max_failures * IP_FAILURE_FACTOR


def record_login_failure(connection: Connection, username: str, ip: str, now: float) -> None:
    connection.execute(
        schema.login_failures.insert().values(username=username[:64], ip=ip[:64], at=now)
    )


def clear_login_failures(connection: Connection, username: str, before: float) -> None:
    table = schema.login_failures
    connection.execute(table.delete().where(table.c.username == username, table.c.at <= before))
