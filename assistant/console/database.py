"""The database connection: SQLite by default, PostgreSQL in production (any SQLAlchemy URL).

Queries are plain functions taking a ``Connection``; the app runs them off the event loop with
``Database.run``, each in its own transaction.

The schema is made and changed by migrations (``assistant.console.migrations``, Alembic). The
console runs them itself only on SQLite (development). In production its database role may
not create anything: the schema owner runs them (``python -m assistant.ops.db_roles setup``),
and ``Database.connect`` checks that the tables and the audit triggers are there and the
schema is at the newest revision.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable, List, Optional, TypeVar, Union

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from assistant.console import migrations
from assistant.console.schema import audit, metadata

T = TypeVar("T")

AUDIT_FUNCTION = "console_audit_append_only"
# The triggers that keep console_audit append-only (made by migration 0001).
_TRIGGERS = {
    "sqlite": ("console_audit_no_update", "console_audit_no_delete"),
    "postgresql": ("console_audit_no_change", "console_audit_no_truncate"),
}
SETUP_HINT = (
    "the schema owner creates and migrates them: python -m assistant.ops.db_roles setup "
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
    """Bring the schema to the newest revision (``migrations.upgrade``: creates it on a new
    database, adopts one made before migrations). With the schema up to date it changes
    nothing, so a role without CREATE rights may run it."""
    migrations.upgrade(bind)


def _missing_triggers(connection: Connection) -> List[str]:
    dialect = connection.dialect.name
    wanted = list(_TRIGGERS.get(dialect, ()))
    if dialect == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table"
    elif dialect == "postgresql":
        query = (
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.oid = to_regclass(:table)"
        )
    else:
        return []
    found = set(connection.execute(sa.text(query), {"table": audit.name}).scalars())
    return [name for name in wanted if name not in found]


def check_schema(engine: Engine) -> None:
    """Raise ``SchemaMissing`` naming the tables or audit triggers that are not there, or
    saying the schema is not at the newest revision."""
    with engine.connect() as connection:
        present = set(sa.inspect(connection).get_table_names())
        tables = [name for name in metadata.tables if name not in present]
        triggers = [] if audit.name in tables else _missing_triggers(connection)
        revision = _revision_problem(connection)
    missing = []
    if tables:
        missing.append(f"tables {', '.join(sorted(tables))}")
    if triggers:
        missing.append(f"the {audit.name} triggers {', '.join(triggers)}")
    problems = [f"lacks {' and '.join(missing)}"] if missing else []
    if revision:
        problems.append(revision)
    if problems:
        raise SchemaMissing(
            f"the console database ({engine.url.render_as_string(hide_password=True)}) "
            f"{'; '.join(problems)}; {SETUP_HINT}"
        )


def _revision_problem(connection: Connection) -> str:
    """What is wrong with the schema's revision (``migrations.VERSION_TABLE``), or ''."""
    try:
        at = migrations.current(connection)
    except sa.exc.ProgrammingError:  # PostgreSQL: no SELECT on it (granted by the setup)
        return f"is not readable by this role ({migrations.VERSION_TABLE})"
    newest = migrations.head()
    if at == newest:
        return ""
    if at is None:
        return f"has no schema version ({migrations.VERSION_TABLE}): made before migrations"
    if at not in migrations.known_revisions():
        return f"is at revision {at}, which this version does not know (made by a newer one?)"
    return f"is at revision {at}, not {newest}"


class Database:
    """An engine plus a way to run blocking queries from async handlers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def connect(cls, url: str, create: Optional[bool] = None) -> Database:
        """Connect; migrate the schema if ``create``, else check it is there and up to date
        (and fail naming what is missing). By default only a SQLite database (development)
        is migrated: in production the console's role may not create anything, the schema
        owner does."""
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
