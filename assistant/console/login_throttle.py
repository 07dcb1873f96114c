"""Login throttling: slows password guessing down by user name and by address, without
locking the account's owner out.

An attempt is *reserved* before its password is checked: in one transaction that first
locks the name's and the address's rows in ``console_login_locks``, the recent failures are
counted and, if the attempt may go ahead, a failure row is written for it. The password is
checked only after that commit, and a right password removes the row again. So however many
attempts arrive at once, each one sees the ones before it.

Within a streak of failures (it ends after ``window_s`` without one), the first
``free_failures`` are free. After that an attempt must wait ``delay_s`` after the last
failure, twice as long after each further failure, up to ``max_delay_s``; an attempt that
comes sooner is refused without checking its password and without counting. An address gets
``IP_FAILURE_FACTOR`` times the free failures (a clinic's staff may share one address).

A right password from an address the user has logged in from before (a *known address*) is
not held up by failures for the user name, so someone guessing at ``admin`` cannot keep the
admin out; the address's own limit still applies.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any, Dict, List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from assistant.console import schema
from assistant.console.settings import ConsoleSettings

# One address may fail this many times more than one user name (a shared clinic NAT).
IP_FAILURE_FACTOR = 4
# Failures read beyond the free ones: enough for any delay to reach its cap.
_EXTRA_FAILURES_READ = 32
# An address stops being known this long after the user last logged in from it.
KNOWN_ADDRESS_TTL_S = 90 * 86400
LIMITED_BY_NAME = "name"
LIMITED_BY_ADDRESS = "address"
MAX_NAME_CHARS = 64
MAX_ADDRESS_CHARS = 64


def streak_length(failures: Sequence[float], window_s: float, now: float) -> int:
    """How many of ``failures`` (times, newest first) belong to the current streak: the
    run of failures, ending less than ``window_s`` ago, with no gap of ``window_s``."""
    if not failures or now - failures[0] > window_s:
        return 0
    count = 1
    for newer, older in pairwise(failures):
        if newer - older > window_s:
            break
        count += 1
    return count


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int
    window_s: float
    delay_s: float
    max_delay_s: float

    @classmethod
    def from_settings(cls, settings: ConsoleSettings) -> ThrottlePolicy:
        """The policy for a user name (``for_addresses`` gives the address's)."""
        return cls(
            free_failures=settings.login_max_failures,
            window_s=settings.login_window_s,
            delay_s=settings.login_delay_s,
            max_delay_s=settings.login_max_delay_s,
        )

    def for_addresses(self) -> ThrottlePolicy:
        return replace(self, free_failures=self.free_failures * IP_FAILURE_FACTOR)

    @property
    def failures_read(self) -> int:
        return self.free_failures + _EXTRA_FAILURES_READ

    @property
    def forget_after_s(self) -> float:
        """Failure rows older than this can no longer be among those read (a streak's
        failures are less than ``window_s`` apart), for names and addresses alike."""
        return self.for_addresses().failures_read * self.window_s

    def wait_s(self, failures: Sequence[float], now: float) -> float:
        """Seconds before another attempt may go ahead, given ``failures`` (newest first)."""
        streak = streak_length(failures, self.window_s, now)
        if streak < self.free_failures:
            return 0.0
        delay = min(self.max_delay_s, self.delay_s * 2.0 ** (streak - self.free_failures))
        return max(0.0, failures[0] + delay - now)


@dataclass(frozen=True)
class LoginAttempt:
    """A reserved attempt (``attempt_id``), or a refusal: how long to wait, and whether
    the user name's or the address's failures are the reason."""

    attempt_id: Optional[int]
    wait_s: float = 0.0
    limited_by: str = ""

    @property
    def allowed(self) -> bool:
        return self.attempt_id is not None


def _upsert(
    connection: Connection, table: sa.Table, keys: Dict[str, Any], values: Dict[str, Any]
) -> None:
    """Insert a row, or update ``values`` of the row with these ``keys``, in one statement
    where the database has one (PostgreSQL, SQLite); it also locks the row."""
    dialect = connection.dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(table).values(**keys, **values)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c[k] for k in keys],
                set_={k: statement.excluded[k] for k in values},
            )
        )
        return
    match = [table.c[k] == v for k, v in keys.items()]
    if not connection.execute(table.update().where(*match).values(**values)).rowcount:
        connection.execute(table.insert().values(**keys, **values))


def _lock(connection: Connection, keys: List[str], now: float) -> None:
    """Lock the rows of ``keys``, in a fixed order (so two attempts never wait on each
    other). On SQLite this first write takes the database's write lock."""
    for key in sorted(keys):
        _upsert(connection, schema.login_locks, {"key": key[:80]}, {"used_at": now})


def _recent_failures(connection: Connection, where: Any, limit: int) -> List[float]:
    table = schema.login_failures
    query = sa.select(table.c.at).where(where).order_by(table.c.at.desc()).limit(limit)
    return [float(at) for at in connection.execute(query).scalars()]


def is_known_address(connection: Connection, username: str, ip: str, now: float) -> bool:
    table = schema.known_addresses
    query = sa.select(table.c.ip).where(
        table.c.username == username,
        table.c.ip == ip,
        table.c.last_login_at > now - KNOWN_ADDRESS_TTL_S,
    )
    return connection.execute(query).first() is not None


def begin_login_attempt(
    connection: Connection, username: str, ip: str, now: float, policy: ThrottlePolicy
) -> LoginAttempt:
    """Reserve a login attempt for ``username`` from ``ip``, or refuse it (nothing written).

    Must be the transaction's first statement on SQLite, so the write lock is taken before
    anything is read."""
    username, ip = username[:MAX_NAME_CHARS], ip[:MAX_ADDRESS_CHARS]
    _lock(connection, [f"name:{username}", f"addr:{ip}"], now)
    table = schema.login_failures
    by_address = policy.for_addresses()
    address_failures = _recent_failures(connection, table.c.ip == ip, by_address.failures_read)
    address_wait = by_address.wait_s(address_failures, now)
    if address_wait > 0:
        return LoginAttempt(None, address_wait, LIMITED_BY_ADDRESS)
    name_failures = _recent_failures(connection, table.c.username == username, policy.failures_read)
    name_wait = policy.wait_s(name_failures, now)
    if name_wait > 0 and not is_known_address(connection, username, ip, now):
        return LoginAttempt(None, name_wait, LIMITED_BY_NAME)
    result = connection.execute(table.insert().values(username=username, ip=ip, at=now))
    return LoginAttempt(int(result.inserted_primary_key[0]))


def login_succeeded(
    connection: Connection, attempt: LoginAttempt, username: str, ip: str, now: float
) -> None:
    """The password was right: drop the reserved attempt and this user's earlier failures
    from this address (a typo or two), and remember the address. Failures for the name
    from other addresses stay."""
    username, ip = username[:MAX_NAME_CHARS], ip[:MAX_ADDRESS_CHARS]
    table = schema.login_failures
    connection.execute(
        table.delete().where(
            sa.or_(
                table.c.id == attempt.attempt_id,
                sa.and_(table.c.username == username, table.c.ip == ip, table.c.at <= now),
            )
        )
    )
    _upsert(
        connection,
        schema.known_addresses,
        {"username": username, "ip": ip},
        {"last_login_at": now},
    )


def forget_known_addresses(connection: Connection, username: str) -> None:
    table = schema.known_addresses
    connection.execute(table.delete().where(table.c.username == username[:MAX_NAME_CHARS]))


def _delete_unlocked(connection: Connection, table: sa.Table, condition: Any) -> None:
    """Delete ``table``'s rows matching ``condition``, skipping (PostgreSQL) rows a login
    holds locked right now: background clean-up never waits for a login."""
    keys = list(table.primary_key.columns)
    rows = sa.select(*keys).where(condition).with_for_update(skip_locked=True)
    matched = keys[0].in_(rows) if len(keys) == 1 else sa.tuple_(*keys).in_(rows)
    connection.execute(table.delete().where(matched))


def prune_login_records(connection: Connection, now: float, policy: ThrottlePolicy) -> None:
    """Delete failures and lock rows too old to matter, and addresses no longer known."""
    horizon = now - policy.forget_after_s
    failures, locks, known = schema.login_failures, schema.login_locks, schema.known_addresses
    _delete_unlocked(connection, failures, failures.c.at < horizon)
    _delete_unlocked(connection, locks, locks.c.used_at < horizon)
    _delete_unlocked(connection, known, known.c.last_login_at < now - KNOWN_ADDRESS_TTL_S)
