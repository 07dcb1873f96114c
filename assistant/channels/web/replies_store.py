"""The replies each widget message got, by (sender id, client id), so a retry costs one lookup.

The widget sends every message with a random ``client_id`` and sends it again, with the same
id, when it did not get the reply (network error, server restart). The channel claims the id
before it asks the bot and stores the replies afterwards; a retry is answered from that one
row, by primary key, however long the conversation has grown.

Where: the ``web_client_messages`` table (``assistant.stores.replica_tables``) in the tracker
store's database when that is SQLite or PostgreSQL, so every replica sees the same rows. On
SQLite the table is created here if it is missing; on PostgreSQL the schema owner creates it,
and a missing table is an error naming it. Otherwise (in-memory tracker store, unit tests) a
bounded map in this process stands in.

A row is needed only while its session can still post: ``/end`` deletes a session's rows,
and rows older than the session lifetime are deleted from time to time. Database errors
name only their type (the tracker store's engine already hides statement parameters).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Dict, List, Optional, Protocol, Tuple, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from assistant.stores.replica_tables import INSERTS, missing_after_setup
from assistant.stores.replica_tables import web_client_messages as table

logger = logging.getLogger(__name__)

Reply = Dict[str, Any]
T = TypeVar("T")

STALE_CLAIM_S = 120.0  # an attempt in progress this long is taken to have died with its replica
PRUNE_EVERY_S = 600.0
MEMORY_ENTRIES = 10_000
POLL_FIRST_S = 0.05
POLL_MAX_S = 0.25


class ClientMessagesUnavailable(RuntimeError):
    """The database did not answer (the message names only the operation and error type)."""


class MissingTableError(RuntimeError):
    """The table is not in the PostgreSQL database (the message names it)."""


class ClaimState(Enum):
    CLAIMED = "claimed"  # this attempt asks the bot, then records or releases the id
    ANSWERED = "answered"  # the replies are stored
    BUSY = "busy"  # another attempt (maybe on another replica) is asking the bot


@dataclass(frozen=True)
class Claim:
    state: ClaimState
    replies: Optional[List[Reply]] = None


class Backend(Protocol):
    """Blocking (database) or not (memory); the methods are atomic per row."""

    blocking: bool

    def claim(self, key: Tuple[str, str], now: float, stale_before: float) -> Claim: ...

    def replies(self, key: Tuple[str, str]) -> Optional[List[Reply]]: ...

    def record(self, key: Tuple[str, str], replies: List[Reply], now: float) -> None: ...

    def release(self, key: Tuple[str, str]) -> None: ...

    def forget(self, sender_id: str) -> None: ...

    def prune(self, before: float) -> None: ...


@dataclass
class _Row:
    replies: Optional[str]  # JSON, as in the table
    at: float


class MemoryBackend:
    """The rows in a bounded map of this process (the least recently written go first)."""

    blocking = False

    def __init__(self, max_entries: int = MEMORY_ENTRIES) -> None:
        self.max_entries = max_entries
        self._rows: OrderedDict[Tuple[str, str], _Row] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    def _put(self, key: Tuple[str, str], row: _Row) -> None:
        self._rows.pop(key, None)
        self._rows[key] = row
        while len(self._rows) > self.max_entries:
            self._rows.popitem(last=False)

    def claim(self, key: Tuple[str, str], now: float, stale_before: float) -> Claim:
        with self._lock:
            row = self._rows.get(key)
            if row is not None and row.replies is not None:
                return Claim(ClaimState.ANSWERED, json.loads(row.replies))
            if row is not None and row.at >= stale_before:
                return Claim(ClaimState.BUSY)
            self._put(key, _Row(None, now))
            return Claim(ClaimState.CLAIMED)

    def replies(self, key: Tuple[str, str]) -> Optional[List[Reply]]:
        with self._lock:
            row = self._rows.get(key)
        return json.loads(row.replies) if row and row.replies is not None else None

    def record(self, key: Tuple[str, str], replies: List[Reply], now: float) -> None:
        with self._lock:
            if key in self._rows:
                self._put(key, _Row(json.dumps(replies), now))

    def release(self, key: Tuple[str, str]) -> None:
        with self._lock:
            row = self._rows.get(key)
            if row is not None and row.replies is None:
                del self._rows[key]

    def forget(self, sender_id: str) -> None:
        with self._lock:
            for key in [k for k in self._rows if k[0] == sender_id]:
                del self._rows[key]

    def prune(self, before: float) -> None:
        with self._lock:
            for key in [k for k, row in self._rows.items() if row.at < before]:
                del self._rows[key]


class SqlBackend:
    """The rows in ``web_client_messages`` of the tracker store's database."""

    blocking = True

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = INSERTS[engine.dialect.name]

    @classmethod
    def open(cls, engine: Engine) -> SqlBackend:
        """Use ``engine``: on SQLite create the table if missing; on PostgreSQL require it."""
        if engine.dialect.name not in INSERTS:
            raise ValueError(f"{table.name} needs SQLite or PostgreSQL, not {engine.dialect.name}")
        try:
            missing = missing_after_setup(engine, [table])
        except SQLAlchemyError as error:
            raise _unavailable("check", error) from None
        if missing:
            raise MissingTableError(
                f"the table {table.name} is missing from the tracker store's database; the "
                "database's schema owner creates it (assistant.stores.replica_tables) before "
                "the assistant starts"
            )
        return cls(engine)

    @staticmethod
    def _row(key: Tuple[str, str]) -> Any:
        return sa.and_(table.c.sender_id == key[0], table.c.client_id == key[1])

    def claim(self, key: Tuple[str, str], now: float, stale_before: float) -> Claim:
        with self.engine.begin() as connection:
            row = connection.execute(
                sa.select(table.c.replies, table.c.at).where(self._row(key))
            ).first()
            if row is None:
                insert = self._insert(table).values(
                    sender_id=key[0], client_id=key[1], replies=None, at=now
                )
                inserted = connection.execute(insert.on_conflict_do_nothing()).rowcount
                return Claim(ClaimState.CLAIMED if inserted == 1 else ClaimState.BUSY)
            if row.replies is not None:
                return Claim(ClaimState.ANSWERED, json.loads(row.replies))
            if row.at >= stale_before:
                return Claim(ClaimState.BUSY)
            taken = connection.execute(  # the attempt died: take it over, unless another did
                table.update()
                .where(self._row(key), table.c.replies.is_(None), table.c.at == row.at)
                .values(at=now)
            ).rowcount
            return Claim(ClaimState.CLAIMED if taken == 1 else ClaimState.BUSY)

    def replies(self, key: Tuple[str, str]) -> Optional[List[Reply]]:
        with self.engine.connect() as connection:
            found = connection.execute(sa.select(table.c.replies).where(self._row(key))).scalar()
        return json.loads(found) if found is not None else None

    def record(self, key: Tuple[str, str], replies: List[Reply], now: float) -> None:
        """Store the replies of a claimed id (not of one forgotten meanwhile by ``/end``)."""
        values = {"replies": json.dumps(replies), "at": now}
        with self.engine.begin() as connection:
            connection.execute(table.update().where(self._row(key)).values(values))

    def release(self, key: Tuple[str, str]) -> None:
        with self.engine.begin() as connection:
            connection.execute(table.delete().where(self._row(key), table.c.replies.is_(None)))

    def forget(self, sender_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(table.delete().where(table.c.sender_id == sender_id))

    def prune(self, before: float) -> None:
        with self.engine.begin() as connection:
            connection.execute(table.delete().where(table.c.at < before))


def _unavailable(operation: str, error: Exception) -> ClientMessagesUnavailable:
    return ClientMessagesUnavailable(f"{table.name} {operation} failed: {type(error).__name__}")


def backend_for(tracker_store: Any) -> Backend:
    """The table in the tracker store's database (SQLite, PostgreSQL), else memory."""
    store = tracker_store
    while hasattr(store, "_tracker_store"):  # Rasa's FailSafe and Awaitable wrappers
        store = store._tracker_store
    engine = getattr(store, "engine", None)
    if isinstance(engine, Engine) and engine.dialect.name in INSERTS:
        return SqlBackend.open(engine)
    if engine is not None:
        logger.warning("%s: no support for this database; using memory", table.name)
    return MemoryBackend()


class ClientMessages:
    """What the channel uses: database calls run in a worker thread, never on the event loop.

    ``claim`` raises ``ClientMessagesUnavailable`` (the caller decides what then); the other
    methods log a failure and carry on, since the answer has been given either way.
    """

    def __init__(
        self,
        backend: Backend,
        keep_s: float,
        clock: Callable[[], float] = time.time,
        stale_after_s: float = STALE_CLAIM_S,
        prune_every_s: float = PRUNE_EVERY_S,
    ) -> None:
        self.backend = backend
        self.keep_s = keep_s
        self._clock = clock
        self.stale_after_s = stale_after_s
        self.prune_every_s = prune_every_s
        self._next_prune_at = 0.0

    async def _call(self, operation: str, function: Callable[..., T], *args: Any) -> T:
        try:
            if self.backend.blocking:
                return await asyncio.to_thread(function, *args)
            return function(*args)
        except SQLAlchemyError as error:
            raise _unavailable(operation, error) from None

    async def claim(self, sender_id: str, client_id: str) -> Claim:
        now = self._clock()
        if now >= self._next_prune_at:
            self._next_prune_at = now + self.prune_every_s
            await self._quietly("prune", self.backend.prune, now - self.keep_s)
        return await self._call(
            "claim", self.backend.claim, (sender_id, client_id), now, now - self.stale_after_s
        )

    async def wait_for_replies(
        self, sender_id: str, client_id: str, timeout_s: float
    ) -> Optional[List[Reply]]:
        """The replies another attempt stores within ``timeout_s``, else None."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        pause = POLL_FIRST_S
        while True:
            try:
                found = await self._call("read", self.backend.replies, (sender_id, client_id))
            except ClientMessagesUnavailable as error:
                logger.warning("%s", error)
                return None
            left = deadline - loop.time()
            if found is not None or left <= 0:
                return found
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, POLL_MAX_S)

    async def record(self, sender_id: str, client_id: str, replies: List[Reply]) -> None:
        now = self._clock()
        await self._quietly("write", self.backend.record, (sender_id, client_id), replies, now)

    async def release(self, sender_id: str, client_id: str) -> None:
        await self._quietly("release", self.backend.release, (sender_id, client_id))

    async def forget(self, sender_id: str) -> None:
        await self._quietly("delete", self.backend.forget, sender_id)

    async def _quietly(self, operation: str, function: Callable[..., None], *args: Any) -> None:
        try:
            await self._call(operation, function, *args)
        except ClientMessagesUnavailable as error:
            logger.warning("%s", error)
