"""Alembic's environment for the console's migrations. ``assistant.console.migrations``
always hands it a connection (``config.attributes["connection"]``): there is no alembic.ini
and no URL here, and no offline (``--sql``) mode."""

from __future__ import annotations

from alembic import context

from assistant.console.migrations import VERSION_TABLE, include_object
from assistant.console.schema import metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None or context.is_offline_mode():
        raise RuntimeError(
            "run the console's migrations with python -m assistant.console db upgrade"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_object=include_object,
        compare_type=True,
        # SQLite cannot alter most of a table: generated revisions use batch operations
        # (copy and move), which run as plain ALTERs on PostgreSQL.
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
