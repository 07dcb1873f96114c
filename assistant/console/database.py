"""The database connection: SQLite by default, PostgreSQL in production (any SQLAlchemy URL).

Queries are plain functions taking a ``Connection``; the app runs them off the event loop with
``Database.run``, each in its own transaction.

The console creates its tables itself only on SQLite (development). In production its
database role may not create anything: the schema owner creates the tables and the audit
triggers (``python -m assistant.ops.db_roles setup``), and ``Database.connect`` checks they
are there.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable, List, Optional, TypeVar, Union

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from assistant.console.schema import audit, metadata

T = TypeVar("T")

AUDIT_FUNCTION = "console_audit_append_only"
_SQLITE_TRIGGERS = {
    "console_audit_no_update": "CREATE TRIGGER IF NOT EXISTS console_audit_no_update "
    "BEFORE UPDATE ON console_audit "
    "BEGIN SELECT RAISE(ABORT, 'console_audit is append-only'); END",
    "console_audit_no_delete": "CREATE TRIGGER IF NOT EXISTS console_audit_no_delete "
    "BEFORE DELETE ON console_audit "
    "BEGIN SELECT RAISE(ABORT, 'console_audit is append-only'); END",
}
# Row triggers do not fire on TRUNCATE: a statement trigger refuses it (even to the owner).
_POSTGRES_TRIGGERS = {
    "console_audit_no_change": "CREATE TRIGGER console_audit_no_change "
    "BEFORE UPDATE OR DELETE ON console_audit "
    f"FOR EACH ROW EXECUTE FUNCTION {AUDIT_FUNCTION}()",
    "console_audit_no_truncate": "CREATE TRIGGER console_audit_no_truncate "
    "BEFORE TRUNCATE ON console_audit "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {AUDIT_FUNCTION}()",
}
_POSTGRES_FUNCTION = (
    f"CREATE OR REPLACE FUNCTION {AUDIT_FUNCTION}() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'console_audit is append-only'; END; $$ LANGUAGE plpgsql"
)
SETUP_HINT = (
    "the schema owner creates them: python -m assistant.ops.db_roles setup "
    "(make run-prod does it on start; see deploy/README.md)"
)


class SchemaMissing(RuntimeError):
    """The database lacks console tables or the audit triggers (the message names them)."""


def make_engine(url: str) -> Engine:
    """An engine for ``url``. A SQLite file gets WAL mode, so the bot keeps writing while
    staff read, and a busy timeout instead of "database is locked" errors. Errors never
    carry the statement's parameters (patient text, names, numbers)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, hide_parameters=True, future=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30}, hide_parameters=True, future=True)

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def create_schema(bind: Union[Engine, Connection]) -> None:
    """Create missing tables and the audit table's append-only triggers (idempotent). With
    everything in place it changes nothing, so a role without CREATE rights may run it."""
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            _create_schema(connection)
    else:
        _create_schema(bind)


def _create_schema(connection: Connection) -> None:
    metadata.create_all(connection)
    dialect = connection.dialect.name
    if dialect == "sqlite":
        for statement in _SQLITE_TRIGGERS.values():
            connection.exec_driver_sql(statement)
    elif dialect == "postgresql":
        missing = _missing_triggers(connection)
        if missing:
            connection.exec_driver_sql(_POSTGRES_FUNCTION)
            for name in missing:
                connection.exec_driver_sql(_POSTGRES_TRIGGERS[name])


def _missing_triggers(connection: Connection) -> List[str]:
    dialect = connection.dialect.name
    if dialect == "sqlite":
        wanted = list(_SQLITE_TRIGGERS)
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table"
    elif dialect == "postgresql":
        wanted = list(_POSTGRES_TRIGGERS)
        query = (
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.oid = to_regclass(:table)"
        )
    else:
        return []
    found = set(connection.execute(sa.text(query), {"table": audit.name}).scalars())
    return [name for name in wanted if name not in found]


def check_schema(engine: Engine) -> None:
    """Raise ``SchemaMissing`` naming the tables or audit triggers that are not there."""
    with engine.connect() as connection:
        present = set(sa.inspect(connection).get_table_names())
        tables = [name for name in metadata.tables if name not in present]
        triggers = [] if audit.name in tables else _missing_triggers(connection)
    problems = []
    if tables:
        problems.append(f"tables {', '.join(sorted(tables))}")
    if triggers:
        problems.append(f"the {audit.name} triggers {', '.join(triggers)}")
    if problems:
        raise SchemaMissing(
            f"the console database ({engine.url.render_as_string(hide_password=True)}) "
            f"lacks {' and '.join(problems)}; {SETUP_HINT}"
        )


class Database:
    """An engine plus a way to run blocking queries from async handlers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def connect(cls, url: str, create: Optional[bool] = None) -> Database:
        """Connect; create the schema if ``create``, else check it is there (and fail naming
        what is missing). By default only a SQLite database (development) is created: in
        production the console's role may not create anything, the schema owner does."""
        engine = make_engine(url)
        if create is None:
            create = engine.dialect.name == "sqlite"
        try:
            if create:
                create_schema(engine)
            else:
                check_schema(engine)
        except BaseException:
            engine.dispose()
            raise
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


__all__ = [
    "AUDIT_FUNCTION",
    "Connection",
    "Database",
    "SchemaMissing",
    "check_schema",
    "create_schema",
    "make_engine",
]
