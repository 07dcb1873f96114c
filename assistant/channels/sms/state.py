"""What the SMS channel remembers: per conversation (by hashed id) the opt-out and the last
numbered menu. The answered MessageSids live in the same database, in ``sms_messages``,
written by ``assistant.channels.replies_store``.

It lives in the tracker database, in the tables of ``assistant.stores.replica_tables``, so
every Rasa replica sees the same opt-outs and menus and a webhook replayed to another replica
is still recognised. On a development SQLite file the tables are created here; on PostgreSQL
the schema owner creates them and a missing table stops the channel at startup.

Every method blocks on the database: the channel calls them from a worker thread.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, List, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from assistant.stores.replica_tables import (
    INSERTS,
    missing_after_setup,
    sms_menus,
    sms_messages,
    sms_opt_outs,
)

STATE_URL_ENV = "SMS_STATE_DB_URL"
STATE_PATH_ENV = "SMS_STATE_DB"
DEFAULT_STATE_PATH = ".state/sms.db"
STATE_TABLES = (sms_opt_outs, sms_menus, sms_messages)


class StateDatabaseError(RuntimeError):
    """The state database cannot be used (the message says which and why)."""


class MissingTablesError(StateDatabaseError):
    """The state tables are not in the PostgreSQL database (the message names them)."""


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def database_url(env: Mapping[str, str]) -> str:
    """``SMS_STATE_DB_URL`` if set, else the SQLite file ``SMS_STATE_DB`` (development)."""
    url = env.get(STATE_URL_ENV, "").strip()
    if url:
        return url
    return sqlite_url(Path(env.get(STATE_PATH_ENV) or DEFAULT_STATE_PATH))


def _safe(url: URL) -> str:
    return str(url.render_as_string(hide_password=True))


def _use_wal(dbapi_connection: Any, _record: Any) -> None:
    """Readers do not wait for a writer on the development SQLite file."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class SmsState:
    """Opt-outs and menus in one database (with the answered MessageSids' table), safe to
    share between threads, processes and replicas (each write is one atomic statement)."""

    def __init__(
        self,
        url: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        if backend not in INSERTS:
            raise ValueError(
                f"the SMS state database must be SQLite or PostgreSQL, not {backend!r} "
                f"({STATE_URL_ENV}={_safe(parsed)})"
            )
        self._insert = INSERTS[backend]
        self._clock = clock
        if backend == "sqlite":
            self.engine = self._open_sqlite(parsed)
        else:
            self.engine = sa.create_engine(
                parsed, future=True, hide_parameters=True, pool_pre_ping=True
            )
            self._check_tables(parsed)

    @staticmethod
    def _open_sqlite(url: URL) -> Engine:
        if not url.database or url.database == ":memory:":
            raise ValueError(
                f"the SMS state needs a SQLite file, not {_safe(url)!r}: an in-memory database "
                "is lost between connections"
            )
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, future=True, hide_parameters=True)
        sa.event.listen(engine, "connect", _use_wal)
        missing_after_setup(engine, STATE_TABLES)  # creates them
        return engine

    def _check_tables(self, url: URL) -> None:
        try:
            missing = missing_after_setup(self.engine, STATE_TABLES)
        except sa.exc.DBAPIError as error:
            self.engine.dispose()
            reason = str(error.orig).strip().splitlines() or [type(error.orig).__name__]
            raise StateDatabaseError(
                f"cannot read the SMS state database {_safe(url)} ({STATE_URL_ENV}): {reason[0]}"
            ) from error
        if missing:
            self.engine.dispose()
            raise MissingTablesError(
                f"the SMS state table(s) {', '.join(missing)} are missing from {_safe(url)}; "
                "the database's schema owner creates them (assistant.stores.replica_tables) "
                "before the assistant starts"
            )

    # --- Opt-out ---------------------------------------------------------------------------

    def is_opted_out(self, conversation_id: str) -> bool:
        query = sa.select(sms_opt_outs.c.opted_out).where(
            sms_opt_outs.c.conversation_id == conversation_id
        )
        with self.engine.connect() as connection:
            return bool(connection.execute(query).scalar_one_or_none())

    def set_opted_out(self, conversation_id: str, opted_out: bool) -> None:
        statement = self._insert(sms_opt_outs).values(
            conversation_id=conversation_id, opted_out=opted_out, changed_at=self._clock()
        )
        statement = statement.on_conflict_do_update(
            index_elements=[sms_opt_outs.c.conversation_id],
            set_={
                "opted_out": statement.excluded.opted_out,
                "changed_at": statement.excluded.changed_at,
            },
        )
        with self.engine.begin() as connection:
            connection.execute(statement)

    def is_opted_out_any(self) -> bool:
        """Whether any conversation has opted out (for checks and audits)."""
        query = sa.select(sa.literal(1)).where(sms_opt_outs.c.opted_out == sa.true()).limit(1)
        with self.engine.connect() as connection:
            return connection.execute(query).first() is not None

    # --- Menus -----------------------------------------------------------------------------

    def set_menu(self, conversation_id: str, payloads: List[str]) -> None:
        """Remember the menu just sent; an empty one forgets the previous menu."""
        if not payloads:
            forget = sa.delete(sms_menus).where(sms_menus.c.conversation_id == conversation_id)
            with self.engine.begin() as connection:
                connection.execute(forget)
            return
        statement = self._insert(sms_menus).values(
            conversation_id=conversation_id,
            payloads=json.dumps(payloads),
            created_at=self._clock(),
        )
        statement = statement.on_conflict_do_update(
            index_elements=[sms_menus.c.conversation_id],
            set_={
                "payloads": statement.excluded.payloads,
                "created_at": statement.excluded.created_at,
            },
        )
        with self.engine.begin() as connection:
            connection.execute(statement)

    def menu(self, conversation_id: str) -> List[str]:
        query = sa.select(sms_menus.c.payloads).where(
            sms_menus.c.conversation_id == conversation_id
        )
        with self.engine.connect() as connection:
            stored = connection.execute(query).scalar_one_or_none()
        return [str(payload) for payload in json.loads(stored)] if stored else []

    def close(self) -> None:
        self.engine.dispose()
