"""Tables the Rasa replicas write besides Rasa's own ``events``, in the tracker database.

They live next to the conversations (PostgreSQL in production) so every replica sees the
same state. In production they are created by the schema owner when the profile is set up
and the replicas' database role may only read and write their rows (``assistant.ops.db_roles``);
on a development SQLite file the channel creates them itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

metadata = sa.MetaData()

# SMS: per conversation (an HMAC of the phone number, never the number itself).
sms_opt_outs = sa.Table(
    "sms_opt_outs",
    metadata,
    sa.Column("conversation_id", sa.String(128), primary_key=True),
    sa.Column("opted_out", sa.Boolean, nullable=False),
    sa.Column("changed_at", sa.Float, nullable=False),
)

# The numbered menu last sent to a conversation ("Reply 1 for ..."), as JSON payloads.
sms_menus = sa.Table(
    "sms_menus",
    metadata,
    sa.Column("conversation_id", sa.String(128), primary_key=True),
    sa.Column("payloads", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

# The idempotency keys of patient requests (``assistant.channels.replies_store``): each row
# holds the replies a request got, so a repeat is answered with them and never processed
# twice. ``replies`` is NULL while the first attempt runs; ``owner`` names the replica running
# it (``assistant.channels.replica_liveness``), so a repeat can tell a live attempt from one
# that died with its replica.

# SMS: Twilio's MessageSid, with the SMS parts sent in reply (JSON list of strings).
sms_messages = sa.Table(
    "sms_messages",
    metadata,
    sa.Column("message_sid", sa.String(64), primary_key=True),
    sa.Column("received_at", sa.Float, nullable=False, index=True),
    sa.Column("replies", sa.Text),
    sa.Column("owner", sa.BigInteger),
)

# Web chat: the widget's client id per message, with the replies it got (JSON list of
# messages), answered from one indexed row instead of a scan of the whole conversation.
web_client_messages = sa.Table(
    "web_client_messages",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("client_id", sa.String(64), primary_key=True),
    sa.Column("replies", sa.Text),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("owner", sa.BigInteger),
)


@dataclass(frozen=True)
class RequestTable:
    """Where one channel keeps its idempotency keys: the key's columns (the first is the
    conversation, for forgetting a session's rows), the time and the replies."""

    table: sa.Table
    key_columns: Tuple[str, ...]
    time_column: str
    replies_column: str = "replies"
    owner_column: str = "owner"


WEB_REQUESTS = RequestTable(web_client_messages, ("sender_id", "client_id"), "at")
SMS_REQUESTS = RequestTable(sms_messages, ("message_sid",), "received_at")

# Columns added after a table first shipped: (table, column, type, what older rows get).
# An older SMS row was a MessageSid already answered, so it gets an empty answer, never
# "in progress".
ADDED_COLUMNS: Tuple[Tuple[sa.Table, str, str, str], ...] = (
    (sms_messages, "replies", "TEXT", "'[]'"),
    (sms_messages, "owner", "BIGINT", "NULL"),
    (web_client_messages, "owner", "BIGINT", "NULL"),
)


def add_missing_columns(connection: sa.engine.Connection) -> List[str]:
    """Bring tables made by an older version up to date (the schema owner's job on
    PostgreSQL; on SQLite the channel's). Returns ``table.column`` for each column added."""
    inspector = sa.inspect(connection)
    added = []
    for table, column, sql_type, older_rows in ADDED_COLUMNS:
        if not inspector.has_table(table.name):
            continue
        if column in {c["name"] for c in inspector.get_columns(table.name)}:
            continue
        # Only this module's constants are formatted into the SQL.
        connection.exec_driver_sql(
            f"ALTER TABLE {table.name} ADD COLUMN {column} {sql_type} DEFAULT {older_rows}"
        )
        if older_rows != "NULL" and connection.dialect.name == "postgresql":
            connection.exec_driver_sql(
                f"ALTER TABLE {table.name} ALTER COLUMN {column} DROP DEFAULT"
            )
        added.append(f"{table.name}.{column}")
    return added


TABLES = (sms_opt_outs, sms_menus, sms_messages, web_client_messages)

# ``INSERT ... ON CONFLICT`` of the dialects these tables are used with.
INSERTS: Dict[str, Callable[[sa.Table], Any]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}


def missing_after_setup(engine: Engine, tables: Sequence[sa.Table]) -> List[str]:
    """Create ``tables`` on SQLite (development) if missing, or add their newer columns;
    elsewhere the schema owner has done so, and what is not there is returned (a table's
    name, or ``table.column``)."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            metadata.create_all(connection, tables=list(tables), checkfirst=True)
            add_missing_columns(connection)
        return []
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        missing = []
        for table in tables:
            if not inspector.has_table(table.name):
                missing.append(table.name)
                continue
            there = {column["name"] for column in inspector.get_columns(table.name)}
            missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in there]
        return missing
