"""``StrictSQLTrackerStore``: Rasa's SQL tracker store, made safe for an outage.

- The connection pool checks a connection before use (``pool_pre_ping``), so after a database
  restart the first message does not fail on a dead pooled connection.
- SQLAlchemy errors never carry statement parameters (``hide_parameters``), and what this
  store raises names only the error type: Rasa logs the error text, and the parameters are
  the patient's messages.
- A failed read or write trips the per-message outage flag (``assistant.stores.outage``).

Use it in endpoints.yml as ``type: assistant.stores.tracker_store.StrictSQLTrackerStore``
with the usual SQL settings (``dialect``, ``url`` for the host, ``port``, ``db``, ...).
"""

from __future__ import annotations

import logging
from typing import Any, Iterable, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from assistant.stores import outage

logger = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 3


class TrackerStoreUnavailable(RuntimeError):
    """The tracker store's database did not answer (the message names only the error type)."""


class StrictSQLTrackerStore(SQLTrackerStore):
    engine: Engine

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        options = dict(create_engine_kwargs(url))
        if url.get_backend_name() == "postgresql":
            connect_args = dict(options.get("connect_args") or {})
            connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
            options["connect_args"] = connect_args
        self.engine = sa.create_engine(url, pool_pre_ping=True, hide_parameters=True, **options)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

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

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            await super().save(tracker)
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
