"""The console's schema as the last version without migrations made it.

Revision ID: 0001
Revises:
Create Date: 2026-12-06

The tables of ``schema.py`` at that time, ``events`` included (Rasa's table: the console makes
it when Rasa has not written yet, exactly as Rasa would), and the triggers that keep
``console_audit`` append-only.

It creates only what is missing, so it also adopts a database made before migrations
(``assistant.console.migrations.upgrade``): older versions created missing tables at every
start but never altered one, so such a database has some of these tables, exactly as
defined here, and lacks the others (``console_login_locks`` and ``console_known_addresses``
came later) and, on PostgreSQL, possibly the TRUNCATE trigger.

Everything here is frozen: later schema changes go into later revisions.
"""

from __future__ import annotations

from typing import Dict, List, Sequence, Set, Tuple, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

AUDIT = "console_audit"
AUDIT_FUNCTION = "console_audit_append_only"
SQLITE_TRIGGERS = {
    "console_audit_no_update": "CREATE TRIGGER IF NOT EXISTS console_audit_no_update "
    "BEFORE UPDATE ON console_audit "
    "BEGIN SELECT RAISE(ABORT, 'console_audit is append-only'); END",
    "console_audit_no_delete": "CREATE TRIGGER IF NOT EXISTS console_audit_no_delete "
    "BEFORE DELETE ON console_audit "
    "BEGIN SELECT RAISE(ABORT, 'console_audit is append-only'); END",
}
# Row triggers do not fire on TRUNCATE: a statement trigger refuses it (even to the owner).
POSTGRES_TRIGGERS = {
    "console_audit_no_change": "CREATE TRIGGER console_audit_no_change "
    "BEFORE UPDATE OR DELETE ON console_audit "
    f"FOR EACH ROW EXECUTE FUNCTION {AUDIT_FUNCTION}()",
    "console_audit_no_truncate": "CREATE TRIGGER console_audit_no_truncate "
    "BEFORE TRUNCATE ON console_audit "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {AUDIT_FUNCTION}()",
}
POSTGRES_FUNCTION = (
    f"CREATE OR REPLACE FUNCTION {AUDIT_FUNCTION}() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'console_audit is append-only'; END; $$ LANGUAGE plpgsql"
)

Index = Tuple[str, List[str]]


def _tables() -> List[Tuple[str, List[sa.schema.SchemaItem], List[Index]]]:
    """(name, columns and constraints, indexes) of every table, in creation order."""
    return [
        (
            "events",
            [
                sa.Column("id", sa.Integer(), nullable=False),
                sa.Column("sender_id", sa.String(length=255), nullable=False),
                sa.Column("type_name", sa.String(length=255), nullable=False),
                sa.Column("timestamp", sa.Float(), nullable=True),
                sa.Column("intent_name", sa.String(length=255), nullable=True),
                sa.Column("action_name", sa.String(length=255), nullable=True),
                sa.Column("data", sa.Text(), nullable=True),
                sa.PrimaryKeyConstraint("id"),
            ],
            [("ix_events_sender_id", ["sender_id"])],
        ),
        (
            "console_conversations",
            [
                sa.Column("id", sa.Integer(), nullable=False),
                sa.Column("sender_id", sa.String(length=255), nullable=False),
                sa.Column("channel", sa.String(length=16), nullable=False),
                sa.Column("started_at", sa.Float(), nullable=False),
                sa.Column("started_day", sa.String(length=10), nullable=False),
                sa.Column("last_at", sa.Float(), nullable=False),
                sa.Column("first_event_id", sa.Integer(), nullable=False),
                sa.Column("last_event_id", sa.Integer(), nullable=False),
                sa.Column("session_open", sa.Boolean(), nullable=False),
                sa.Column("turns", sa.Integer(), nullable=False),
                sa.Column("missed", sa.Integer(), nullable=False),
                sa.Column("emergency", sa.Boolean(), nullable=False),
                sa.Column("handoff", sa.Boolean(), nullable=False),
                sa.Column("callback", sa.Boolean(), nullable=False),
                sa.Column("fallback", sa.Boolean(), nullable=False),
                sa.Column("reviewed", sa.Boolean(), nullable=False),
                sa.Column("reviewed_by", sa.String(length=64), nullable=True),
                sa.Column("reviewed_at", sa.Float(), nullable=True),
                sa.Column("first_message", sa.Text(), nullable=False),
                sa.Column("search_text", sa.Text(), nullable=False),
                sa.PrimaryKeyConstraint("id"),
            ],
            [
                ("ix_console_conv_sender", ["sender_id", "id"]),
                ("ix_console_conv_started", ["started_at"]),
                ("ix_console_conv_last", ["last_at"]),
                ("ix_console_conv_turns", ["turns", "started_at"]),
                ("ix_console_conv_channel", ["channel", "started_at"]),
                ("ix_console_conv_day", ["started_day"]),
            ],
        ),
        (
            "console_conversation_intents",
            [
                sa.Column("conversation_id", sa.Integer(), nullable=False),
                sa.Column("intent", sa.String(length=255), nullable=False),
                sa.Column("count", sa.Integer(), nullable=False),
                sa.PrimaryKeyConstraint("conversation_id", "intent"),
            ],
            [("ix_console_intent", ["intent", "conversation_id"])],
        ),
        (
            "console_unanswered",
            [
                sa.Column("event_id", sa.Integer(), nullable=False),
                sa.Column("conversation_id", sa.Integer(), nullable=False),
                sa.Column("at", sa.Float(), nullable=False),
                sa.Column("question", sa.String(length=300), nullable=False),
                sa.PrimaryKeyConstraint("event_id"),
            ],
            [
                ("ix_console_unanswered_conversation_id", ["conversation_id"]),
                ("ix_console_unanswered_at", ["at"]),
            ],
        ),
        (
            "console_tags",
            [
                sa.Column("conversation_id", sa.Integer(), nullable=False),
                sa.Column("tag", sa.String(length=40), nullable=False),
                sa.Column("created_by", sa.String(length=64), nullable=False),
                sa.Column("created_at", sa.Float(), nullable=False),
                sa.PrimaryKeyConstraint("conversation_id", "tag"),
            ],
            [("ix_console_tag", ["tag", "conversation_id"])],
        ),
        (
            "console_notes",
            [
                sa.Column("id", sa.Integer(), nullable=False),
                sa.Column("conversation_id", sa.Integer(), nullable=False),
                sa.Column("author", sa.String(length=64), nullable=False),
                sa.Column("created_at", sa.Float(), nullable=False),
                sa.Column("body", sa.Text(), nullable=False),
                sa.PrimaryKeyConstraint("id"),
            ],
            [("ix_console_notes_conversation_id", ["conversation_id"])],
        ),
        (
            "console_corrections",
            [
                sa.Column("id", sa.Integer(), nullable=False),
                sa.Column("event_id", sa.Integer(), nullable=False),
                sa.Column("conversation_id", sa.Integer(), nullable=False),
                sa.Column("text", sa.Text(), nullable=False),
                sa.Column("predicted_intent", sa.String(length=255), nullable=True),
                sa.Column("corrected_intent", sa.String(length=255), nullable=False),
                sa.Column("author", sa.String(length=64), nullable=False),
                sa.Column("created_at", sa.Float(), nullable=False),
                sa.PrimaryKeyConstraint("id"),
                sa.UniqueConstraint("event_id"),
            ],
            [("ix_console_corrections_conversation_id", ["conversation_id"])],
        ),
        (
            "console_callbacks",
            [
                sa.Column("id", sa.Integer(), nullable=False),
                sa.Column("event_id", sa.Integer(), nullable=False),
                sa.Column("conversation_id", sa.Integer(), nullable=False),
                sa.Column("name", sa.String(length=255), nullable=False),
                sa.Column("phone", sa.String(length=32), nullable=False),
                sa.Column("best_time", sa.String(length=255), nullable=False),
                sa.Column("requested_at", sa.Float(), nullable=False),
                sa.Column("channel", sa.String(length=16), nullable=False),
                sa.Column("status", sa.String(length=16), nullable=False),
                sa.Column("updated_by", sa.String(length=64), nullable=True),
                sa.Column("updated_at", sa.Float(), nullable=True),
                sa.PrimaryKeyConstraint("id"),
                sa.UniqueConstraint("event_id"),
            ],
            [
                ("ix_console_callbacks_conversation_id", ["conversation_id"]),
                ("ix_console_callback_status", ["status", "requested_at"]),
            ],
        ),
        (
            "console_callback_changes",
            [
                sa.Column("id", sa.Integer(), nullable=False),
                sa.Column("callback_id", sa.Integer(), nullable=False),
                sa.Column("from_status", sa.String(length=16), nullable=False),
                sa.Column("to_status", sa.String(length=16), nullable=False),
                sa.Column("changed_by", sa.String(length=64), nullable=False),
                sa.Column("changed_at", sa.Float(), nullable=False),
                sa.PrimaryKeyConstraint("id"),
            ],
            [("ix_console_callback_changes_callback_id", ["callback_id"])],
        ),
        (
            "console_users",
            [
                sa.Column("id", sa.Integer(), nullable=False),
                sa.Column("username", sa.String(length=64), nullable=False),
                sa.Column("password_hash", sa.String(length=255), nullable=False),
                sa.Column("role", sa.String(length=16), nullable=False),
                sa.Column("active", sa.Boolean(), nullable=False),
                sa.Column("created_at", sa.Float(), nullable=False),
                sa.Column("last_login_at", sa.Float(), nullable=True),
                sa.PrimaryKeyConstraint("id"),
                sa.UniqueConstraint("username"),
            ],
            [],
        ),
        (
            "console_sessions",
            [
                sa.Column("token_hash", sa.String(length=64), nullable=False),
                sa.Column("user_id", sa.Integer(), nullable=False),
                sa.Column("csrf_token", sa.String(length=64), nullable=False),
                sa.Column("created_at", sa.Float(), nullable=False),
                sa.Column("last_seen_at", sa.Float(), nullable=False),
                sa.PrimaryKeyConstraint("token_hash"),
            ],
            [("ix_console_sessions_user_id", ["user_id"])],
        ),
        (
            "console_login_failures",
            [
                sa.Column("id", sa.Integer(), nullable=False),
                sa.Column("username", sa.String(length=64), nullable=False),
                sa.Column("ip", sa.String(length=64), nullable=False),
                sa.Column("at", sa.Float(), nullable=False),
                sa.PrimaryKeyConstraint("id"),
            ],
            [
                ("ix_console_fail_user", ["username", "at"]),
                ("ix_console_fail_ip", ["ip", "at"]),
            ],
        ),
        (
            "console_login_locks",
            [
                sa.Column("key", sa.String(length=80), nullable=False),
                sa.Column("used_at", sa.Float(), nullable=False),
                sa.PrimaryKeyConstraint("key"),
            ],
            [],
        ),
        (
            "console_known_addresses",
            [
                sa.Column("username", sa.String(length=64), nullable=False),
                sa.Column("ip", sa.String(length=64), nullable=False),
                sa.Column("last_login_at", sa.Float(), nullable=False),
                sa.PrimaryKeyConstraint("username", "ip"),
            ],
            [],
        ),
        (
            AUDIT,
            [
                sa.Column("id", sa.Integer(), nullable=False),
                sa.Column("at", sa.Float(), nullable=False),
                sa.Column("actor", sa.String(length=64), nullable=False),
                sa.Column("action", sa.String(length=32), nullable=False),
                sa.Column("target", sa.String(length=255), nullable=False),
                sa.Column("detail", sa.Text(), nullable=False),
                sa.Column("ip", sa.String(length=64), nullable=False),
                sa.PrimaryKeyConstraint("id"),
            ],
            [
                ("ix_console_audit_at", ["at"]),
                ("ix_console_audit_action", ["action", "at"]),
            ],
        ),
        (
            "console_index_state",
            [
                sa.Column("name", sa.String(length=32), nullable=False),
                sa.Column("value", sa.Integer(), nullable=False),
                sa.PrimaryKeyConstraint("name"),
            ],
            [],
        ),
    ]


def _existing_triggers(bind: sa.engine.Connection) -> Set[str]:
    if bind.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table"
    else:
        query = (
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.oid = to_regclass(:table)"
        )
    return set(bind.execute(sa.text(query), {"table": AUDIT}).scalars())


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    existing = set(inspector.get_table_names())
    for name, items, indexes in _tables():
        present: Dict[str, object] = {}
        if name in existing:  # made by an older version (or by Rasa: events)
            present = {index["name"]: index for index in inspector.get_indexes(name)}
        else:
            op.create_table(name, *items)
        for index_name, columns in indexes:
            if index_name not in present:
                op.create_index(index_name, name, columns, unique=False)
    dialect = bind.dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
    elif dialect == "postgresql":
        missing = [name for name in POSTGRES_TRIGGERS if name not in _existing_triggers(bind)]
        if missing:
            op.execute(POSTGRES_FUNCTION)
            for name in missing:
                op.execute(POSTGRES_TRIGGERS[name])


def downgrade() -> None:
    """Drops the console's tables (and their rows); ``events`` is Rasa's and stays."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {AUDIT_FUNCTION}() CASCADE")  # and its triggers
    for name, _items, _indexes in reversed(_tables()):
        if name != "events":
            op.drop_table(name)
