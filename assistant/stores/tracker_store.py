"""``StrictSQLTrackerStore``: Rasa's SQL tracker store, made safe for an outage.

- The PostgreSQL connection pool checks a connection before use (``pool_pre_ping``), so after
  a database restart the first message does not fail on a dead pooled connection. SQLite
  files get a pool of open connections too (SQLAlchemy 1.4 reopened the file every time).
- SQLAlchemy errors never carry statement parameters (``hide_parameters``), and what this
  store raises names only the error type: Rasa logs the error text, and the parameters are
  the patient's messages.
- A failed read or write trips the per-message outage flag (``assistant.stores.outage``).
- Reads and writes use prepared SQLAlchemy Core statements instead of ORM queries, with the
  same filters and the same rows as Rasa's store (the tests compare the two). The ORM's
  per-query overhead was about a fifth of the Rasa server's CPU per message.
- Reading the latest session is an index range scan, not a scan of every event the
  conversation ever had: Rasa's filter ``timestamp >= <last session start> OR <no session
  start>`` keeps SQLite and PostgreSQL from using an index, so it is written as
  ``timestamp >= COALESCE(<last session start>, -inf)`` (the same rows: Rasa stamps every
  event), over the indexes ``EVENT_INDEXES``. Without them one web session of 3,000
  messages cost 16 ms of SQL per message; with them, 0.1 ms (``bench.web_session``). The
  store creates them on SQLite; on PostgreSQL the schema owner does
  (``assistant.ops.db_roles``), since the replicas' role may not.
- SQLite runs in WAL mode with ``synchronous=NORMAL``: a commit does not wait for a disk
  flush, and a crash of the process loses nothing (a power loss can lose the last commits).

Use it in endpoints.yml as ``type: assistant.stores.tracker_store.StrictSQLTrackerStore``
with the usual SQL settings (``dialect``, ``url`` for the host, ``port``, ``db``, ...).
"""

from __future__ import annotations

import itertools
import json
import logging
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from assistant.stores import outage

logger = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 3
# The latest session's start (sender, type, time) and its events (sender, time).
EVENT_INDEXES = (
    ("ix_events_sender_type_time", ("sender_id", "type_name", "timestamp")),
    ("ix_events_sender_time", ("sender_id", "timestamp")),
)
_NO_SESSION_START = -sys.float_info.max


def create_event_indexes(connection: sa.engine.Connection) -> None:
    """Create ``EVENT_INDEXES`` on ``events`` if missing (SQLite and PostgreSQL)."""
    for name, columns in EVENT_INDEXES:
        connection.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS {name} ON events ({', '.join(columns)})"
        )


def make_sqlite_folder(settings: Dict[str, Any]) -> None:
    """Create the folder of a SQLite file named in endpoints.yml (``db: .state/tracker.db``),
    so a stock ``rasa run`` in a fresh clone starts instead of failing to open the file."""
    if settings.get("dialect", "sqlite") != "sqlite" or settings.get("host"):
        return
    database = str(settings.get("db") or "")
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


class TrackerStoreUnavailable(RuntimeError):
    """The tracker store's database did not answer (the message names only the error type)."""


class StrictSQLTrackerStore(SQLTrackerStore):
    engine: Engine

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        make_sqlite_folder(kwargs)
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        options = dict(create_engine_kwargs(url))
        if url.get_backend_name() == "postgresql":
            connect_args = dict(options.get("connect_args") or {})
            connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
            options["connect_args"] = connect_args
            options["pool_pre_ping"] = True
        sqlite_file = url.get_backend_name() == "sqlite" and url.database not in (
            None,
            "",
            ":memory:",
        )
        if sqlite_file:
            # SQLAlchemy 1.4 opens and closes a file database on every use (NullPool), which
            # cost a sixth of the CPU per message; keep a few open. Each is used by one
            # caller at a time (the pool), so it may move between threads.
            options["poolclass"] = sa.pool.QueuePool
            options["connect_args"] = {
                **options.get("connect_args", {}),
                "check_same_thread": False,
            }
        self.engine = sa.create_engine(url, hide_parameters=True, **options)
        if sqlite_file:
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        if url.get_backend_name() == "sqlite":
            with self.engine.begin() as connection:
                create_event_indexes(connection)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._prepare_statements()

    def _prepare_statements(self) -> None:
        """Rasa's queries (``SQLTrackerStore._event_query``) as reusable Core statements."""
        table = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        session_start = (
            sa.select(sa.func.max(table.c.timestamp))
            .where(table.c.sender_id == sender, table.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        # Events of the latest session: from its SessionStarted on, or all without one.
        latest = table.c.timestamp >= sa.func.coalesce(session_start, _NO_SESSION_START)
        by_sender = sa.select(table.c.data).where(table.c.sender_id == sender)
        self._select_all_sessions = by_sender.order_by(table.c.id)
        self._select_latest_session = by_sender.where(latest).order_by(table.c.id)
        self._count_latest_session = (
            sa.select(sa.func.count()).select_from(table).where(table.c.sender_id == sender, latest)
        )
        self._insert_event = table.insert()

    def _failed(self, operation: str, error: Exception) -> TrackerStoreUnavailable:
        what = f"tracker store {operation} failed: {type(error).__name__}"
        outage.trip(what)
        return TrackerStoreUnavailable(what)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        try:
            return await super().retrieve(sender_id)
        except SQLAlchemyError as error:
            raise self._failed("read", error) from None

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        try:
            return await super().retrieve_full_tracker(conversation_id)
        except SQLAlchemyError as error:
            raise self._failed("read", error) from None

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        statement = (
            self._select_all_sessions
            if fetch_events_from_all_sessions
            else self._select_latest_session
        )
        with self.engine.connect() as connection:
            rows = connection.execute(statement, {"sender_id": sender_id}).scalars().all()
        if not self.domain or not rows:
            return None
        events = [json.loads(data) for data in rows]
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's events that are not stored yet (as Rasa's ``save``)."""
        try:
            await self.stream_events(tracker)
            sender_id = tracker.sender_id
            with self.engine.begin() as connection:
                stored = connection.execute(
                    self._count_latest_session, {"sender_id": sender_id}
                ).scalar_one()
                rows = [
                    _event_row(sender_id, event)
                    for event in itertools.islice(tracker.events, stored, None)
                ]
                if rows:
                    connection.execute(self._insert_event, rows)
        except SQLAlchemyError as error:
            raise self._failed("write", error) from None

    async def keys(self) -> Iterable[Text]:
        try:
            return await super().keys()
        except SQLAlchemyError as error:
            raise self._failed("read", error) from None

    def ping(self) -> None:
        """Raise unless the database answers a trivial query."""
        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))


def _event_row(sender_id: Text, event: Event) -> Dict[str, Any]:
    """One ``events`` row, with the same columns as Rasa's ``SQLTrackerStore.save`` writes."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
