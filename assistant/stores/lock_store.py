"""``PostgresLockStore``: Rasa's conversation lock as a PostgreSQL advisory lock.

Rasa handles one message of a conversation at a time: it takes the conversation's lock,
reads the tracker, runs the turn, saves it and gives the lock back. With several replicas
the lock must be shared. Rasa's Redis lock store keeps a ticket per message that lives 60 s
(``DEFAULT_LOCK_LIFETIME``); when a replica is killed mid-turn its ticket stays until it
expires, so the patient's retried message, now on the other replica, waits up to a minute.

Here the lock is a session-level advisory lock (``assistant.stores.advisory_locks``) on a
connection the turn keeps for as long as it holds it. PostgreSQL releases such a lock the
moment its connection ends, and a killed process's connections end at once (the kernel
closes its sockets), so the other replica takes the conversation within one poll (at most
100 ms). A machine that vanishes without closing its sockets is noticed by TCP keepalives
within about 11 s. The database is the tracker store's own, so the lock is up exactly
when the conversations are, and the production profile needs no Redis.

No tickets: each message polls ``pg_try_advisory_lock`` (10 ms, doubling to 100 ms) until it
has the lock, at most ``wait_timeout_s`` (60 s; then ``LockError``). The order among
simultaneous messages of one conversation is arbitrary, as it is anyway between two
replicas receiving them at the same moment. The blocking ``pg_advisory_lock`` is not used:
every database call runs in asyncio's default executor, which has few threads, and waiters
blocked there would starve the holder that needs one to give the lock back.

Errors name only their type: SQLAlchemy is told to hide statement parameters, which here
are derived from conversation ids.

Use it in endpoints.yml with the tracker store's settings::

    lock_store:
      type: assistant.stores.lock_store.PostgresLockStore
      dialect: postgresql
      url: <host>
      port: <port>
      db: <database>
      username: <role>
      password: <password>
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from functools import partial
from typing import Any, AsyncIterator, Callable, Dict, Optional, Text, TypeVar

import sqlalchemy as sa
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from assistant.stores.advisory_locks import (
    CONNECT_ARGS,
    Namespace,
    is_held,
    key_of,
    try_lock,
    unlock,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

NAMESPACE = Namespace.CONVERSATION
FIRST_PAUSE_S = 0.01
MAX_PAUSE_S = 0.1
WAIT_TIMEOUT_S = 60.0
POOL_SIZE = 8  # kept open: the turns usually in flight on one replica
MAX_OVERFLOW = 32  # opened on demand beyond that; more turns wait in the event loop
POOL_TIMEOUT_S = 10  # only ``ping`` can wait for a pooled connection (``lock`` is gated)


def _lock_error(error: BaseException) -> LockError:
    return LockError(f"conversation lock failed: {type(error).__name__}")


@dataclass(frozen=True)
class LockStoreSettings:
    """The endpoints.yml keys (``url`` there is ``host`` here), as for the SQL tracker store."""

    dialect: str = "postgresql"
    host: Optional[str] = None
    port: Optional[int] = None
    db: str = "postgres"
    username: Optional[str] = None
    password: Optional[str] = None
    query: Optional[Dict[str, Any]] = None
    wait_timeout_s: float = WAIT_TIMEOUT_S
    pool_size: int = POOL_SIZE
    max_overflow: int = MAX_OVERFLOW

    def __post_init__(self) -> None:
        if self.dialect not in ("postgresql", "postgres"):
            raise ValueError(f"PostgresLockStore needs PostgreSQL, not {self.dialect!r}")

    def url(self) -> Any:
        port = int(self.port) if self.port else None
        return SQLTrackerStore.get_db_url(
            "postgresql", self.host, port, self.db, self.username, self.password, query=self.query
        )


@dataclass
class _Hold:
    """One ``lock()``: its key, its connection once checked out, and whether it holds it."""

    key: int
    connection: Optional[Connection] = None
    held: bool = False


async def _in_thread(call: Callable[[], T]) -> T:
    """``call()`` in the default executor. A cancelled caller still waits for the call to end
    before the cancellation goes on, so a connection is never used by two threads at once
    and the ``_Hold`` the call updated says whether the lock was taken."""
    future = asyncio.ensure_future(asyncio.to_thread(call))
    cancelled = False
    while not future.done():
        try:
            await asyncio.wait((future,))
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        if not future.cancelled():
            future.exception()  # retrieved, so asyncio does not report it as never retrieved
        raise asyncio.CancelledError
    return future.result()


class PostgresLockStore(LockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **settings: Any) -> None:
        """Built by Rasa from endpoints.yml (``endpoint_config``), or directly from the keys of
        ``LockStoreSettings``. Connects on first use."""
        if endpoint_config is not None:
            settings = {"host": endpoint_config.url, **endpoint_config.kwargs}
        options = LockStoreSettings(**settings)
        self.engine: Engine = sa.create_engine(
            options.url(),
            isolation_level="AUTOCOMMIT",  # the lock is the session's, never a transaction's
            hide_parameters=True,
            pool_pre_ping=True,
            pool_size=int(options.pool_size),
            max_overflow=int(options.max_overflow),
            pool_timeout=POOL_TIMEOUT_S,
            connect_args=dict(CONNECT_ARGS),
        )
        self.wait_timeout_s = float(options.wait_timeout_s)
        self._capacity = int(options.pool_size) + int(options.max_overflow)
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        super().__init__()

    # ------------------------------------------------------------------ the lock

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: Text,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[TicketLock]:
        """Hold ``conversation_id``'s lock for the ``async with`` block.

        ``lock_lifetime`` and ``wait_time_in_seconds`` are Rasa's ticket settings, kept for
        its callers: a held lock lasts until the block ends or the connection dies, and the
        wait is this store's short backoff. Yields a ``TicketLock`` for the same reason.
        """
        hold = _Hold(key_of(conversation_id))
        async with self._gate():
            try:
                await self._take(hold)
                yield TicketLock(conversation_id)
            finally:
                await _in_thread(partial(self._give_back, hold))

    def _gate(self) -> asyncio.Semaphore:
        """No more turns at once than the pool has connections, so a checkout never waits in
        an executor thread (one semaphore per event loop: asyncio's are bound to one)."""
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Semaphore(self._capacity)
        return gate

    async def _take(self, hold: _Hold) -> None:
        deadline = time.monotonic() + self.wait_timeout_s
        pause = FIRST_PAUSE_S
        while not await _in_thread(partial(self._try, hold)):
            if time.monotonic() >= deadline:
                raise LockError(f"conversation lock not taken within {self.wait_timeout_s:g} s")
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE_S)

    def _try(self, hold: _Hold) -> bool:
        try:
            if hold.connection is None:
                hold.connection = self.engine.connect()
            hold.held = try_lock(hold.connection, NAMESPACE, hold.key)
        except SQLAlchemyError as error:
            raise _lock_error(error) from None
        return hold.held

    @staticmethod
    def _give_back(hold: _Hold) -> None:
        """Unlock and return the connection to the pool. If unlocking fails, or finds the lock
        not held, the connection is closed instead: that releases whatever it held."""
        connection, hold.connection = hold.connection, None
        if connection is None:
            return
        try:
            if hold.held and not unlock(connection, NAMESPACE, hold.key):
                logger.warning("A conversation lock was already released; connection closed")
                connection.invalidate()
        except SQLAlchemyError as error:
            logger.warning("Unlocking failed (%s); connection closed", type(error).__name__)
            with suppress(SQLAlchemyError):
                connection.invalidate()
        finally:
            hold.held = False
            with suppress(SQLAlchemyError):
                connection.close()

    # ------------------------------------------------------------------ checks

    def ping(self) -> None:
        """Raise unless the database answers a trivial query (the readiness check)."""
        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        """A ``TicketLock`` if any session holds the conversation's lock now, else None."""
        try:
            with self.engine.connect() as connection:
                held = is_held(connection, NAMESPACE, key_of(conversation_id))
        except SQLAlchemyError as error:
            raise _lock_error(error) from None
        return TicketLock(conversation_id) if held else None

    # Rasa's ticket bookkeeping has nothing to store here.

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("PostgresLockStore keeps no tickets; use lock()")

    def delete_lock(self, conversation_id: Text) -> None:
        raise NotImplementedError("PostgresLockStore keeps no tickets; use lock()")

    def dispose(self) -> None:
        """Close the pooled connections (tests; a server just exits)."""
        self.engine.dispose()
