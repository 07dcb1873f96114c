"""PostgreSQL advisory locks that die with the process holding them.

A session-level advisory lock belongs to one database connection: PostgreSQL releases it
when that connection ends, and a process killed with SIGKILL ends its connections at once
(the kernel closes the sockets). So "is the lock held?" tells another replica, within
milliseconds, whether the process that took it is still alive, with no heartbeat that a
busy event loop could miss.

The two-key form ``pg_advisory_lock(int4, int4)`` is used: the first key names what is
locked (``Namespace``), the second is a 31-bit number within it. The one-key form, which
``assistant.ops.db_roles`` uses for its setup, is a separate key space (``objsubid`` 1 in
``pg_locks``, 2 here), so the two never collide.
"""

from __future__ import annotations

import hashlib
from enum import IntEnum
from typing import Any, Tuple

import sqlalchemy as sa

KEY_BITS = 31  # both keys are int4 and read back from pg_locks as non-negative oids

# For the connections that hold these locks (psycopg2's connect arguments). A peer that
# vanishes without closing its socket: first probe after 5 s idle, then every 2 s, given up
# after 3 unanswered probes (5 + 3 * 2 = 11 s), and the lock is released.
CONNECT_ARGS = {
    "connect_timeout": 3,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
}


class Namespace(IntEnum):
    CONVERSATION = 0x41535401  # one Rasa conversation, while a replica handles a message
    REPLICA = 0x41535402  # one running Rasa replica, for as long as it runs


def key_of(name: str) -> int:
    """A stable 31-bit key for ``name`` (two names sharing a key only wait for each other)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") & ((1 << KEY_BITS) - 1)


def lock_args(namespace: Namespace, key: int) -> Tuple[int, int]:
    if not 0 <= key < (1 << KEY_BITS):
        raise ValueError(f"an advisory lock key must be within 0..2^{KEY_BITS}-1, not {key}")
    return int(namespace), key


TRY_LOCK = sa.text("SELECT pg_try_advisory_lock(:namespace, :key)")
UNLOCK = sa.text("SELECT pg_advisory_unlock(:namespace, :key)")
IS_HELD = sa.text(
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_locks WHERE locktype = 'advisory' "
    "AND objsubid = 2 AND classid = :namespace AND objid = :key AND granted "
    "AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))"
)


def _params(namespace: Namespace, key: int) -> dict[str, Any]:
    first, second = lock_args(namespace, key)
    return {"namespace": first, "key": second}


def try_lock(connection: sa.engine.Connection, namespace: Namespace, key: int) -> bool:
    """Take the lock on ``connection`` if nobody holds it; True if taken."""
    return bool(connection.execute(TRY_LOCK, _params(namespace, key)).scalar())


def unlock(connection: sa.engine.Connection, namespace: Namespace, key: int) -> bool:
    """Give back a lock ``connection`` holds; False if it did not hold it."""
    return bool(connection.execute(UNLOCK, _params(namespace, key)).scalar())


def is_held(connection: sa.engine.Connection, namespace: Namespace, key: int) -> bool:
    """Whether any session of this database holds the lock (read from ``pg_locks``, which
    every role may read)."""
    return bool(connection.execute(IS_HELD, _params(namespace, key)).scalar())
