"""The replies each patient request got, by its idempotency key, so a repeat is answered once.

Every patient-facing request carries a key: the widget's ``client_id`` (per conversation)
and Twilio's ``MessageSid``. The channel claims the key before it asks the bot and stores
the replies afterwards; a repeat (the widget retrying, nginx retrying on another replica)
is answered from that one row, by primary key, however long the conversation has grown.

A claim names its owner: the replica (``assistant.channels.replica_liveness``). A repeat
that finds the key claimed waits while the owner is alive; when the owner has died (killed
mid-turn, its requests retried by nginx elsewhere) the repeat takes the claim over at once
and answers (``Claim.taken_over``: the caller first looks in the tracker whether the dead
owner's turn was already stored). A claim older than ``STALE_CLAIM_S`` is taken over
whatever its owner, so a key can never stay blocked.

Where: the tables of ``assistant.stores.replica_tables`` (``RequestTable``: web's
``web_client_messages``, SMS's ``sms_messages``) in the shared database when that is SQLite
or PostgreSQL, so every replica sees the same rows. On SQLite the tables are created here if
missing; on PostgreSQL the schema owner creates them, and a missing table is an error naming
it. Otherwise (in-memory tracker store, unit tests) a bounded map in this process stands in.

Rows older than a day (``KEEP_S``) are deleted from time to time, by every replica; the
web's ``/end`` deletes a session's rows at once. Database errors name only their
type (the engines hide statement parameters).
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
from typing import Any, Callable, List, Optional, Protocol, Tuple, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from assistant.channels.replica_liveness import Liveness, liveness_for
from assistant.stores.replica_tables import (
    INSERTS,
    RequestTable,
    missing_after_setup,
)

logger = logging.getLogger(__name__)

Reply = Any  # JSON: a web message (dict) or an SMS part (str)
Key = Tuple[str, ...]
T = TypeVar("T")

KEEP_S = 24 * 3600.0  # a key (and its replies) is forgotten a day after its last write
STALE_CLAIM_S = 120.0  # an attempt in progress this long is taken over whatever its owner
PRUNE_EVERY_S = 600.0
MEMORY_ENTRIES = 10_000
POLL_FIRST_S = 0.02
POLL_MAX_S = 0.2


class RepliesUnavailable(RuntimeError):
    """The database did not answer (the message names only the operation and error type)."""


class MissingTableError(RuntimeError):
    """The table is not in the PostgreSQL database (the message names it)."""


class ClaimState(Enum):
    CLAIMED = "claimed"  # this attempt asks the bot, then records or releases the key
    ANSWERED = "answered"  # the replies are stored
    BUSY = "busy"  # another live attempt (maybe on another replica) is asking the bot


@dataclass(frozen=True)
class Claim:
    state: ClaimState
    replies: Optional[List[Reply]] = None
    taken_over: bool = False  # CLAIMED from an attempt that died (or went stale)


class Backend(Protocol):
    """Blocking (database) or not (memory); the methods are atomic per row."""

    blocking: bool
    name: str

    def claim(self, key: Key, now: float, stale_before: float) -> Claim: ...

    def record(self, key: Key, replies: List[Reply], now: float) -> None: ...

    def release(self, key: Key) -> None: ...

    def forget(self, sender_id: str) -> None: ...

    def prune(self, before: float) -> None: ...


@dataclass
class _Row:
    replies: Optional[str]  # JSON, as in the table
    at: float


class MemoryBackend:
    """The rows in a bounded map of this process (the least recently written go first).

    Every claim here belongs to this process, which is alive: a claim is taken over only
    when it is stale."""

    blocking = False

    def __init__(self, name: str = "replies", max_entries: int = MEMORY_ENTRIES) -> None:
        self.name = name
        self.max_entries = max_entries
        self._rows: OrderedDict[Key, _Row] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    def _put(self, key: Key, row: _Row) -> None:
        self._rows.pop(key, None)
        self._rows[key] = row
        while len(self._rows) > self.max_entries:
            self._rows.popitem(last=False)

    def claim(self, key: Key, now: float, stale_before: float) -> Claim:
        with self._lock:
            row = self._rows.get(key)
            if row is not None and row.replies is not None:
                return Claim(ClaimState.ANSWERED, json.loads(row.replies))
            if row is not None and row.at >= stale_before:
                return Claim(ClaimState.BUSY)
            self._put(key, _Row(None, now))
            return Claim(ClaimState.CLAIMED, taken_over=row is not None)

    def record(self, key: Key, replies: List[Reply], now: float) -> None:
        with self._lock:
            if key in self._rows:
                self._put(key, _Row(json.dumps(replies), now))

    def release(self, key: Key) -> None:
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
    """The rows of one ``RequestTable`` in a SQLite or PostgreSQL database."""

    blocking = True

    def __init__(self, engine: Engine, spec: RequestTable, liveness: Liveness) -> None:
        self.engine = engine
        self.spec = spec
        self.name = spec.table.name
        self.liveness = liveness
        self._insert = INSERTS[engine.dialect.name]
        columns = spec.table.c
        self._replies = columns[spec.replies_column]
        self._at = columns[spec.time_column]
        self._owner = columns[spec.owner_column]

    @classmethod
    def open(cls, engine: Engine, spec: RequestTable) -> SqlBackend:
        """Use ``engine``: on SQLite create the table if missing; on PostgreSQL require it."""
        table = spec.table
        if engine.dialect.name not in INSERTS:
            raise ValueError(f"{table.name} needs SQLite or PostgreSQL, not {engine.dialect.name}")
        try:
            missing = missing_after_setup(engine, [table])
            liveness = liveness_for(engine)
        except SQLAlchemyError as error:
            raise _unavailable(table.name, "check", error) from None
        if missing:
            raise MissingTableError(
                f"missing from the database: {', '.join(missing)}; the database's schema owner "
                "creates the tables and columns of assistant.stores.replica_tables before the "
                "assistant starts (python -m assistant.ops.db_roles setup; make run-prod runs it)"
            )
        return cls(engine, spec, liveness)

    def _row(self, key: Key) -> Any:
        columns = self.spec.table.c
        pairs = zip(self.spec.key_columns, key, strict=True)
        return sa.and_(*(columns[name] == value for name, value in pairs))

    def _values(self, key: Key) -> dict[str, Any]:
        return dict(zip(self.spec.key_columns, key, strict=True))

    def claim(self, key: Key, now: float, stale_before: float) -> Claim:
        table, me = self.spec.table, self.liveness.me
        with self.engine.begin() as connection:
            row = connection.execute(
                sa.select(self._replies, self._at, self._owner).where(self._row(key))
            ).first()
            if row is None:
                insert = self._insert(table).values(
                    **self._values(key),
                    **{self._replies.name: None, self._at.name: now, self._owner.name: me},
                )
                inserted = connection.execute(insert.on_conflict_do_nothing()).rowcount
                return Claim(ClaimState.CLAIMED if inserted == 1 else ClaimState.BUSY)
            replies, at, owner = row
            if replies is not None:
                return Claim(ClaimState.ANSWERED, json.loads(replies))
            if at >= stale_before and self.liveness.is_alive(connection, owner):
                return Claim(ClaimState.BUSY)
            same_owner = self._owner.is_(None) if owner is None else self._owner == owner
            taken = connection.execute(  # the attempt died: take it over, unless another did
                table.update()
                .where(self._row(key), self._replies.is_(None), self._at == at, same_owner)
                .values({self._at.name: now, self._owner.name: me})
            ).rowcount
        if taken == 1:
            logger.warning("%s: took over a request whose attempt died", table.name)
            return Claim(ClaimState.CLAIMED, taken_over=True)
        return Claim(ClaimState.BUSY)

    def record(self, key: Key, replies: List[Reply], now: float) -> None:
        """Store the replies of a claimed key (not of one forgotten meanwhile by ``/end``)."""
        values = {self._replies.name: json.dumps(replies), self._at.name: now}
        with self.engine.begin() as connection:
            connection.execute(self.spec.table.update().where(self._row(key)).values(values))

    def release(self, key: Key) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                self.spec.table.delete().where(self._row(key), self._replies.is_(None))
            )

    def forget(self, sender_id: str) -> None:
        sender = self.spec.key_columns[0]
        with self.engine.begin() as connection:
            connection.execute(
                self.spec.table.delete().where(self.spec.table.c[sender] == sender_id)
            )

    def prune(self, before: float) -> None:
        with self.engine.begin() as connection:
            connection.execute(self.spec.table.delete().where(self._at < before))


def _unavailable(name: str, operation: str, error: Exception) -> RepliesUnavailable:
    return RepliesUnavailable(f"{name} {operation} failed: {type(error).__name__}")


def sql_engine_of(tracker_store: Any) -> Optional[Engine]:
    """The SQLAlchemy engine of a (wrapped) SQL tracker store, else None."""
    store = tracker_store
    while hasattr(store, "_tracker_store"):  # Rasa's FailSafe and Awaitable wrappers
        store = store._tracker_store
    engine = getattr(store, "engine", None)
    return engine if isinstance(engine, Engine) else None


def backend_for(tracker_store: Any, spec: RequestTable) -> Backend:
    """``spec``'s table in the tracker store's database (SQLite, PostgreSQL), else memory."""
    engine = sql_engine_of(tracker_store)
    if engine is not None and engine.dialect.name in INSERTS:
        return SqlBackend.open(engine, spec)
    if engine is not None:
        logger.warning("%s: no support for this database; using memory", spec.table.name)
    return MemoryBackend(spec.table.name)


class AnsweredRequests:
    """What the channels use: database calls run in a worker thread, never on the event loop.

    ``claim`` and ``wait`` raise ``RepliesUnavailable`` (the caller decides what then); the
    other methods log a failure and carry on, since the answer has been given either way.
    """

    def __init__(
        self,
        backend: Backend,
        keep_s: float = KEEP_S,
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
            raise _unavailable(self.backend.name, operation, error) from None

    async def claim(self, *key: str) -> Claim:
        now = self._clock()
        if now >= self._next_prune_at:
            self._next_prune_at = now + self.prune_every_s
            await self._quietly("prune", self.backend.prune, now - self.keep_s)
        return await self._claim_at(key, now)

    async def _claim_at(self, key: Key, now: float) -> Claim:
        return await self._call("claim", self.backend.claim, key, now, now - self.stale_after_s)

    async def wait(self, *key: str, timeout_s: float) -> Claim:
        """Wait for the attempt that holds ``key``: ANSWERED with its replies; CLAIMED
        (``taken_over``) if it died meanwhile, so this attempt answers instead; BUSY if it
        is still running after ``timeout_s``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        pause = POLL_FIRST_S
        while True:
            left = deadline - loop.time()
            if left <= 0:
                return Claim(ClaimState.BUSY)
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, POLL_MAX_S)
            claim = await self._claim_at(key, self._clock())
            if claim.state is not ClaimState.BUSY:
                return claim

    async def record(self, key: Key, replies: List[Reply]) -> None:
        now = self._clock()
        await self._quietly("write", self.backend.record, key, replies, now)

    async def release(self, key: Key) -> None:
        await self._quietly("release", self.backend.release, key)

    async def forget(self, sender_id: str) -> None:
        await self._quietly("delete", self.backend.forget, sender_id)

    async def _quietly(self, operation: str, function: Callable[..., None], *args: Any) -> None:
        try:
            await self._call(operation, function, *args)
        except RepliesUnavailable as error:
            logger.warning("%s", error)
