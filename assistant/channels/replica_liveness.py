"""Which replicas are alive, so a repeated request can tell a live attempt from a dead one.

Each Rasa process has an id (``Liveness.me``), written as the ``owner`` of the requests it
claims (``assistant.channels.replies_store``). A repeat that finds a request claimed asks
whether the owner is still alive: if not, its replica died mid-turn (nginx has retried the
request here) and the repeat answers instead of waiting for replies that will never come.

- PostgreSQL (production): the process holds a session-level advisory lock on its id
  (``assistant.stores.advisory_locks``) on one dedicated connection for as long as it runs.
  PostgreSQL drops the lock when the connection ends, the moment a killed process's socket
  closes (TCP keepalives bound a vanished machine to about 11 s). A watcher thread checks
  the connection every ``WATCH_EVERY_S`` and, if the database restarted, connects again and
  takes the lock back.
- SQLite (development, one process): the ids of this process's live instances; a claim by
  any other id was made by a process that has since stopped.

Created on first use (the channel's startup), never at import.
"""

from __future__ import annotations

import logging
import secrets
import threading
from typing import Dict, Optional, Protocol, Set

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from assistant.stores.advisory_locks import CONNECT_ARGS, KEY_BITS, Namespace, is_held, try_lock

logger = logging.getLogger(__name__)

WATCH_EVERY_S = 2.0


class Liveness(Protocol):
    me: int

    def is_alive(self, connection: Connection, owner: Optional[int]) -> bool:
        """Whether the process ``owner`` still runs (``connection``: any of the database)."""

    def close(self) -> None: ...


def _new_id() -> int:
    return secrets.randbelow((1 << KEY_BITS) - 1) + 1


class ProcessLiveness:
    """For a database only this process uses (a development SQLite file)."""

    _live: Set[int] = set()
    _guard = threading.Lock()

    def __init__(self) -> None:
        with self._guard:
            self.me = _new_id()
            self._live.add(self.me)

    def is_alive(self, connection: Connection, owner: Optional[int]) -> bool:
        return owner is not None and owner in self._live

    def close(self) -> None:
        with self._guard:
            self._live.discard(self.me)


class PostgresLiveness:
    """An advisory lock on this process's id, held on its own connection."""

    def __init__(self, engine: Engine, watch_every_s: float = WATCH_EVERY_S) -> None:
        self.engine = sa.create_engine(
            engine.url,
            poolclass=sa.pool.NullPool,
            isolation_level="AUTOCOMMIT",
            hide_parameters=True,
            connect_args=dict(CONNECT_ARGS),
        )
        self.me = 0
        self._connection: Optional[Connection] = None
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._take()
        self._watcher = threading.Thread(
            target=self._watch, args=(watch_every_s,), name="replica-liveness", daemon=True
        )
        self._watcher.start()

    def _take(self) -> None:
        """Connect and lock an id nobody holds (a fresh one if ours was taken meanwhile)."""
        connection = self.engine.connect()
        candidate = self.me or _new_id()
        while not try_lock(connection, Namespace.REPLICA, candidate):
            candidate = _new_id()
        with self._guard:
            self.me, self._connection = candidate, connection

    def _watch(self, every_s: float) -> None:
        lost = False
        while not self._stop.wait(every_s):
            try:
                with self._guard:
                    connection = self._connection
                if connection is None:
                    raise ConnectionError("no connection")
                connection.execute(sa.text("SELECT 1"))
                continue
            except (SQLAlchemyError, ConnectionError) as error:
                if not lost:
                    logger.warning("replica liveness lock lost: %s", type(error).__name__)
            try:
                self._close_connection()
                self._take()
            except SQLAlchemyError:
                lost = True  # said once; tried again every ``every_s``
                continue
            lost = False
            logger.warning("replica liveness lock taken again")

    def is_alive(self, connection: Connection, owner: Optional[int]) -> bool:
        if owner is None:
            return False
        return owner == self.me or is_held(connection, Namespace.REPLICA, owner)

    def _close_connection(self) -> None:
        with self._guard:
            connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except SQLAlchemyError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._close_connection()
        self.engine.dispose()


_shared: Dict[str, Liveness] = {}
_shared_guard = threading.Lock()


def liveness_for(engine: Engine) -> Liveness:
    """This process's liveness in ``engine``'s database, one per database (the web and SMS
    channels share it). Blocking: call it from a worker thread."""
    name = engine.url.render_as_string(hide_password=False)
    with _shared_guard:
        found = _shared.get(name)
        if found is None:
            if engine.dialect.name == "postgresql":
                found = PostgresLiveness(engine)
            else:
                found = ProcessLiveness()
            _shared[name] = found
        return found
