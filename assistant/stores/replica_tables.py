"""Tables the Rasa replicas write besides Rasa's own ``events``, in the tracker database.

They live next to the conversations (PostgreSQL in production) so every replica sees the
same state. In production they are created by the schema owner when the profile is set up
and the replicas' database role may only read and write their rows (``assistant.ops.db_roles``);
on a development SQLite file the channel creates them itself.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence

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

# Twilio MessageSids already handled: a replayed webhook is refused (issue 17 will answer it
# with the first reply instead).
sms_messages = sa.Table(
    "sms_messages",
    metadata,
    sa.Column("message_sid", sa.String(64), primary_key=True),
    sa.Column("received_at", sa.Float, nullable=False, index=True),
)

# Web chat: the widget's client id per message, with the replies it got, so a retried message
# is answered from one indexed row instead of a scan of the whole conversation.
web_client_messages = sa.Table(
    "web_client_messages",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("client_id", sa.String(64), primary_key=True),
    sa.Column("replies", sa.Text),  # JSON list; NULL while the first attempt is in progress
    sa.Column("at", sa.Float, nullable=False, index=True),
)

TABLES = (sms_opt_outs, sms_menus, sms_messages, web_client_messages)

# ``INSERT ... ON CONFLICT`` of the dialects these tables are used with.
INSERTS: Dict[str, Callable[[sa.Table], Any]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}


def missing_after_setup(engine: Engine, tables: Sequence[sa.Table]) -> List[str]:
    """Create ``tables`` on SQLite (development) if missing; elsewhere the schema owner has
    created them, and the names of those that are not there are returned."""
    if engine.dialect.name == "sqlite":
        metadata.create_all(engine, tables=list(tables), checkfirst=True)
        return []
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        return [table.name for table in tables if not inspector.has_table(table.name)]
