"""The database connection: SQLite by default, PostgreSQL in production (any SQLAlchemy URL).

Queries are plain functions taking a ``Connection``; the app runs them off the event loop with
``Database.run``, each in its own transaction.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from assistant.console.schema import metadata

T = TypeVar("T")

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS console_audit_no_update BEFORE UPDATE ON console_audit "
    "BEGIN SELECT RAISE(ABORT, 'console_audit is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS console_audit_no_delete BEFORE DELETE ON console_audit "
    "BEGIN SELECT RAISE(ABORT, 'console_audit is append-only'); END",
)
_POSTGRES_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION console_audit_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'console_audit is append-only'; END; $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS console_audit_no_change ON console_audit",
    "CREATE TRIGGER console_audit_no_change BEFORE UPDATE OR DELETE ON console_audit "
    "FOR EACH ROW EXECUTE FUNCTION console_audit_append_only()",
)


def make_engine(url: str) -> Engine:
    """An engine for ``url``. A SQLite file gets WAL mode, so the bot keeps writing while
    staff read, and a busy timeout instead of "database is locked" errors. Errors never
    carry the statement's parameters (patient text, names, numbers)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, hide_parameters=True, future=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, connect_args={"timeout": 30}, hide_parameters=True, future=True
    )

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def create_schema(engine: Engine) -> None:
    """Create missing tables and the audit table's append-only triggers (idempotent)."""
    metadata.create_all(engine)
    triggers = {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRES_TRIGGERS}
    statements = triggers.get(engine.dialect.name, ())
    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)


class Database:
    """An engine plus a way to run blocking queries from async handlers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def connect(cls, url: str) -> Database:
        engine = make_engine(url)
        create_schema(engine)
        return cls(engine)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(connection, *args)`` in one transaction."""
        with self.engine.begin() as connection:
            return fn(connection, *args)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``call`` in a worker thread, so a slow query does not stall other requests."""
        return await asyncio.to_thread(self.call, fn, *args)

    def close(self) -> None:
        self.engine.dispose()


__all__ = ["Connection", "Database", "create_schema", "make_engine"]
