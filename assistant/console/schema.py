"""Tables: Rasa's ``events`` (read, and purged) and the console's own ``console_*`` tables.

``events`` mirrors ``rasa.core.tracker_store.SQLTrackerStore.SQLEvent`` column for column, so
the console can create it on a database Rasa has not written to yet, and Rasa then finds it
as it expects.

The tables are made and changed by migrations (``migrations/``): a change here needs a new
revision, ``python -m assistant.console db revision -m "..."`` (docs/console.md).
"""

from __future__ import annotations

import sqlalchemy as sa

from assistant.dialogue_names import LANGUAGE_EN

metadata = sa.MetaData()

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, sa.Sequence("events_seq", optional=True), primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)

# One row per Rasa session (a conversation), kept up to date by the indexer.
conversations = sa.Table(
    "console_conversations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False, default="unknown"),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("started_day", sa.String(10), nullable=False),  # local date, for the dashboard
    sa.Column("last_at", sa.Float, nullable=False),
    sa.Column("first_event_id", sa.Integer, nullable=False),
    sa.Column("last_event_id", sa.Integer, nullable=False),
    sa.Column("session_open", sa.Boolean, nullable=False, default=False),
    sa.Column("turns", sa.Integer, nullable=False, default=0),
    sa.Column("missed", sa.Integer, nullable=False, default=0),  # fallback or low confidence
    sa.Column("emergency", sa.Boolean, nullable=False, default=False),
    sa.Column("handoff", sa.Boolean, nullable=False, default=False),
    sa.Column("callback", sa.Boolean, nullable=False, default=False),
    sa.Column("fallback", sa.Boolean, nullable=False, default=False),
    sa.Column("reviewed", sa.Boolean, nullable=False, default=False),
    sa.Column("reviewed_by", sa.String(64)),
    sa.Column("reviewed_at", sa.Float),
    sa.Column("first_message", sa.Text, nullable=False, default=""),
    # The patient's messages as reviewers see them (masked), folded (lower case, no accents:
    # ``folding.fold``), for the inbox search.
    sa.Column("search_text", sa.Text, nullable=False, default=""),
    # The conversation's language, "en" or "es" (``languages``), and whether it is the
    # language slot's value, which wins over the bot messages' languages.
    sa.Column("language", sa.String(2), nullable=False, server_default=LANGUAGE_EN),
    sa.Column("language_from_slot", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_console_conv_sender", "sender_id", "id"),
    sa.Index("ix_console_conv_started", "started_at"),
    sa.Index("ix_console_conv_last", "last_at"),
    sa.Index("ix_console_conv_turns", "turns", "started_at"),
    sa.Index("ix_console_conv_channel", "channel", "started_at"),
    sa.Index("ix_console_conv_day", "started_day"),
    sa.Index("ix_console_conv_language", "language", "started_at"),
)

conversation_intents = sa.Table(
    "console_conversation_intents",
    metadata,
    sa.Column("conversation_id", sa.Integer, primary_key=True),
    sa.Column("intent", sa.String(255), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False, default=0),
    sa.Index("ix_console_intent", "intent", "conversation_id"),
)

# Patient messages the bot did not understand (fallback, out of scope or low confidence).
unanswered = sa.Table(
    "console_unanswered",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True),
    sa.Column("conversation_id", sa.Integer, nullable=False, index=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("question", sa.String(300), nullable=False),  # normalised and masked
)

tags = sa.Table(
    "console_tags",
    metadata,
    sa.Column("conversation_id", sa.Integer, primary_key=True),
    sa.Column("tag", sa.String(40), primary_key=True),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_console_tag", "tag", "conversation_id"),
)

notes = sa.Table(
    "console_notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("conversation_id", sa.Integer, nullable=False, index=True),
    sa.Column("author", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)

corrections = sa.Table(
    "console_corrections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.Integer, nullable=False, unique=True),
    sa.Column("conversation_id", sa.Integer, nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("predicted_intent", sa.String(255)),
    sa.Column("corrected_intent", sa.String(255), nullable=False),
    sa.Column("author", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

callbacks = sa.Table(
    "console_callbacks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.Integer, nullable=False, unique=True),
    sa.Column("conversation_id", sa.Integer, nullable=False, index=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("phone", sa.String(32), nullable=False),
    sa.Column("best_time", sa.String(255), nullable=False),
    sa.Column("requested_at", sa.Float, nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default="new"),
    sa.Column("updated_by", sa.String(64)),
    sa.Column("updated_at", sa.Float),
    # A staff member claims a request before calling; the claim lapses at claimed_until.
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claimed_until", sa.Float),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("first_call_at", sa.Float),  # the first outcome recorded (a call was made)
    sa.Column("closed_at", sa.Float),
    sa.Index("ix_console_callback_status", "status", "requested_at"),
)

callback_changes = sa.Table(
    "console_callback_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("callback_id", sa.Integer, nullable=False, index=True),
    sa.Column("from_status", sa.String(16), nullable=False),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("changed_by", sa.String(64), nullable=False),
    sa.Column("changed_at", sa.Float, nullable=False),
)

users = sa.Table(
    "console_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_login_at", sa.Float),
)

# Server-side sessions: the cookie holds a random token; only its SHA-256 is stored.
sessions = sa.Table(
    "console_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_seen_at", sa.Float, nullable=False),
)

# One row per login attempt that did not succeed. A row is written *before* the password is
# checked (reserving the attempt) and removed when the password was right.
login_failures = sa.Table(
    "console_login_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("ip", sa.String(64), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Index("ix_console_fail_user", "username", "at"),
    sa.Index("ix_console_fail_ip", "ip", "at"),
)

# One row per throttled key ("name:rita", "addr:203.0.113.7"), written first in every login
# attempt's transaction: the row lock (the database lock on SQLite) makes concurrent
# attempts on the same name or address take turns, so none sees a stale count.
login_locks = sa.Table(
    "console_login_locks",
    metadata,
    sa.Column("key", sa.String(80), primary_key=True),
    sa.Column("used_at", sa.Float, nullable=False),
)

# Addresses a user has logged in from: a right password from one of them is not slowed down
# by failures for that user name from elsewhere.
known_addresses = sa.Table(
    "console_known_addresses",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("ip", sa.String(64), primary_key=True),
    sa.Column("last_login_at", sa.Float, nullable=False),
)

# Append-only: database triggers refuse UPDATE and DELETE (made by migration 0001).
audit = sa.Table(
    "console_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(255), nullable=False, default=""),
    sa.Column("detail", sa.Text, nullable=False, default=""),
    sa.Column("ip", sa.String(64), nullable=False, default=""),
    sa.Index("ix_console_audit_action", "action", "at"),
)

index_state = sa.Table(
    "console_index_state",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
)

# The alerts outbox: one row per (alert, destination), written in the indexer's transaction,
# delivered by the alert worker (``assistant.console.alerts``). No patient text: the kind, when,
# the channel and which conversation or callback request (a console link is made from them).
alerts = sa.Table(
    "console_alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # emergency, self_harm, urgent, callback
    sa.Column("subject", sa.String(40), nullable=False),  # "conversation:12", "callback:5"
    sa.Column("conversation_id", sa.Integer, nullable=False),
    sa.Column("callback_id", sa.Integer),
    sa.Column("channel", sa.String(16), nullable=False, default="unknown"),
    sa.Column("happened_at", sa.Float, nullable=False),
    sa.Column("destination", sa.String(16), nullable=False),  # webhook, email
    sa.Column("digest", sa.Boolean, nullable=False, default=False),  # sent with the morning digest
    sa.Column("due_at", sa.Float, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", sa.Float, nullable=False),
    sa.Column("lease_owner", sa.String(64)),
    sa.Column("lease_until", sa.Float),
    sa.Column("last_error", sa.String(120)),  # the error's type and status code, never text
    sa.Column("delivery_id", sa.String(64)),  # shared by the rows sent in one message
    sa.Column("delivered_at", sa.Float),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("destination", "kind", "subject", name="uq_console_alert"),
    sa.Index("ix_console_alert_due", "status", "next_attempt_at"),
)

# Patients' ratings of answers, read by the indexer from the ``answer_feedback`` slot events.
feedback = sa.Table(
    "console_feedback",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True),
    sa.Column("conversation_id", sa.Integer, nullable=False, index=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("rating", sa.String(16), nullable=False),  # helpful, not_helpful
    sa.Column("entry_id", sa.String(120)),  # the rated answer's knowledge entry
    sa.Column("answer_at", sa.Float),  # the rated bot event's timestamp
    sa.Column("comment", sa.String(300), nullable=False, default=""),  # masked
    sa.Column("channel", sa.String(16), nullable=False, default="unknown"),
    sa.Index("ix_console_feedback_entry", "entry_id", "at"),
    sa.Index("ix_console_feedback_rating", "rating", "at"),
)

# Groups of unanswered questions a reviewer marked "needs a knowledge entry": exported for the
# content owner. A snapshot (label, count, masked examples, the questions' event ids).
knowledge_requests = sa.Table(
    "console_knowledge_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("label", sa.String(300), nullable=False),  # masked
    sa.Column("questions", sa.Integer, nullable=False),
    sa.Column("examples", sa.Text, nullable=False, default="[]"),  # JSON list, masked
    sa.Column("event_ids", sa.Text, nullable=False, default="[]"),  # JSON list
    sa.Column("status", sa.String(16), nullable=False, default="open"),  # open, done
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_console_knowledge_request", "status", "created_at"),
)
