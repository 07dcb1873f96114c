"""``AtomicRedisLockStore``: Rasa's Redis ticket lock with atomic updates.

Rasa 3.6's ``RedisLockStore`` issues a ticket by reading the lock, adding a ticket and writing
it back as three separate commands. Two replicas receiving messages of one conversation at the
same moment can both read "no lock", both take ticket 0 and handle the messages at the same
time; the second save then drops the first turn's events. Here every read-modify-write runs
in a Redis transaction (WATCH/MULTI/EXEC) and is retried if another replica changed the lock
in between, so tickets are unique and served in order.

Use it in endpoints.yml as ``type: assistant.stores.lock_store.AtomicRedisLockStore`` with the
same settings as Rasa's ``redis`` lock store (``url``, ``port``, ``password``, ``db``,
``key_prefix``).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Optional, Text, Tuple, TypeVar

import redis
from rasa.core.constants import DEFAULT_LOCK_LIFETIME
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)
T = TypeVar("T")
MAX_ATTEMPTS = 50


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        options = dict(kwargs)
        if endpoint_config is not None:
            options = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        super().__init__(**options)

    def _key(self, conversation_id: Text) -> str:
        return self.key_prefix + conversation_id

    def _atomically(
        self,
        conversation_id: Text,
        change: Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], T]],
    ) -> T:
        """Apply ``change`` to the stored lock in one transaction. ``change`` returns the new
        lock (None deletes it) and a result."""
        key = self._key(conversation_id)
        with self.red.pipeline() as pipe:
            for _ in range(MAX_ATTEMPTS):
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    current = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new, result = change(current)
                    pipe.multi()
                    if new is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another replica changed the lock; read it again
        raise LockError(f"could not update the lock for a conversation in {MAX_ATTEMPTS} tries")

    def issue_ticket(
        self, conversation_id: Text, lock_lifetime: float = DEFAULT_LOCK_LIFETIME
    ) -> int:
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], int]:
            lock = lock or self.create_lock(conversation_id)
            ticket = lock.issue_ticket(lock_lifetime)
            return lock, ticket

        try:
            return self._atomically(conversation_id, change)
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock: {type(error).__name__}") from None

    def update_lock(self, conversation_id: Text) -> None:
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._atomically(conversation_id, change)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._atomically(conversation_id, change)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Give the ticket back; delete the lock when nobody else is waiting (one step)."""

        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._atomically(conversation_id, change)
