-- The console's schema as the code before Alembic migrations created it
-- (database.create_schema: metadata.create_all plus the audit triggers), on SQLite.
-- Generated from assistant/console/schema.py and database.py at commit 1d575b9;
-- tests/assistant/console/test_migrations.py builds a pre-migrations database from it.
-- Statements end with a line holding only ';'.

CREATE TABLE events (
	id INTEGER NOT NULL,
	sender_id VARCHAR(255) NOT NULL,
	type_name VARCHAR(255) NOT NULL,
	timestamp FLOAT,
	intent_name VARCHAR(255),
	action_name VARCHAR(255),
	data TEXT,
	PRIMARY KEY (id)
)
;
CREATE INDEX ix_events_sender_id ON events (sender_id)
;
CREATE TABLE console_conversations (
	id INTEGER NOT NULL,
	sender_id VARCHAR(255) NOT NULL,
	channel VARCHAR(16) NOT NULL,
	started_at FLOAT NOT NULL,
	started_day VARCHAR(10) NOT NULL,
	last_at FLOAT NOT NULL,
	first_event_id INTEGER NOT NULL,
	last_event_id INTEGER NOT NULL,
	session_open BOOLEAN NOT NULL,
	turns INTEGER NOT NULL,
	missed INTEGER NOT NULL,
	emergency BOOLEAN NOT NULL,
	handoff BOOLEAN NOT NULL,
	callback BOOLEAN NOT NULL,
	fallback BOOLEAN NOT NULL,
	reviewed BOOLEAN NOT NULL,
	reviewed_by VARCHAR(64),
	reviewed_at FLOAT,
	first_message TEXT NOT NULL,
	search_text TEXT NOT NULL,
	PRIMARY KEY (id)
)
;
CREATE INDEX ix_console_conv_started ON console_conversations (started_at)
;
CREATE INDEX ix_console_conv_day ON console_conversations (started_day)
;
CREATE INDEX ix_console_conv_sender ON console_conversations (sender_id, id)
;
CREATE INDEX ix_console_conv_channel ON console_conversations (channel, started_at)
;
CREATE INDEX ix_console_conv_turns ON console_conversations (turns, started_at)
;
CREATE INDEX ix_console_conv_last ON console_conversations (last_at)
;
CREATE TABLE console_conversation_intents (
	conversation_id INTEGER NOT NULL,
	intent VARCHAR(255) NOT NULL,
	count INTEGER NOT NULL,
	PRIMARY KEY (conversation_id, intent)
)
;
CREATE INDEX ix_console_intent ON console_conversation_intents (intent, conversation_id)
;
CREATE TABLE console_unanswered (
	event_id INTEGER NOT NULL,
	conversation_id INTEGER NOT NULL,
	at FLOAT NOT NULL,
	question VARCHAR(300) NOT NULL,
	PRIMARY KEY (event_id)
)
;
CREATE INDEX ix_console_unanswered_at ON console_unanswered (at)
;
CREATE INDEX ix_console_unanswered_conversation_id ON console_unanswered (conversation_id)
;
CREATE TABLE console_tags (
	conversation_id INTEGER NOT NULL,
	tag VARCHAR(40) NOT NULL,
	created_by VARCHAR(64) NOT NULL,
	created_at FLOAT NOT NULL,
	PRIMARY KEY (conversation_id, tag)
)
;
CREATE INDEX ix_console_tag ON console_tags (tag, conversation_id)
;
CREATE TABLE console_notes (
	id INTEGER NOT NULL,
	conversation_id INTEGER NOT NULL,
	author VARCHAR(64) NOT NULL,
	created_at FLOAT NOT NULL,
	body TEXT NOT NULL,
	PRIMARY KEY (id)
)
;
CREATE INDEX ix_console_notes_conversation_id ON console_notes (conversation_id)
;
CREATE TABLE console_corrections (
	id INTEGER NOT NULL,
	event_id INTEGER NOT NULL,
	conversation_id INTEGER NOT NULL,
	text TEXT NOT NULL,
	predicted_intent VARCHAR(255),
	corrected_intent VARCHAR(255) NOT NULL,
	author VARCHAR(64) NOT NULL,
	created_at FLOAT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (event_id)
)
;
CREATE INDEX ix_console_corrections_conversation_id ON console_corrections (conversation_id)
;
CREATE TABLE console_callbacks (
	id INTEGER NOT NULL,
	event_id INTEGER NOT NULL,
	conversation_id INTEGER NOT NULL,
	name VARCHAR(255) NOT NULL,
	phone VARCHAR(32) NOT NULL,
	best_time VARCHAR(255) NOT NULL,
	requested_at FLOAT NOT NULL,
	channel VARCHAR(16) NOT NULL,
	status VARCHAR(16) NOT NULL,
	updated_by VARCHAR(64),
	updated_at FLOAT,
	PRIMARY KEY (id),
	UNIQUE (event_id)
)
;
CREATE INDEX ix_console_callbacks_conversation_id ON console_callbacks (conversation_id)
;
CREATE INDEX ix_console_callback_status ON console_callbacks (status, requested_at)
;
CREATE TABLE console_callback_changes (
	id INTEGER NOT NULL,
	callback_id INTEGER NOT NULL,
	from_status VARCHAR(16) NOT NULL,
	to_status VARCHAR(16) NOT NULL,
	changed_by VARCHAR(64) NOT NULL,
	changed_at FLOAT NOT NULL,
	PRIMARY KEY (id)
)
;
CREATE INDEX ix_console_callback_changes_callback_id ON console_callback_changes (callback_id)
;
CREATE TABLE console_users (
	id INTEGER NOT NULL,
	username VARCHAR(64) NOT NULL,
	password_hash VARCHAR(255) NOT NULL,
	role VARCHAR(16) NOT NULL,
	active BOOLEAN NOT NULL,
	created_at FLOAT NOT NULL,
	last_login_at FLOAT,
	PRIMARY KEY (id),
	UNIQUE (username)
)
;
CREATE TABLE console_sessions (
	token_hash VARCHAR(64) NOT NULL,
	user_id INTEGER NOT NULL,
	csrf_token VARCHAR(64) NOT NULL,
	created_at FLOAT NOT NULL,
	last_seen_at FLOAT NOT NULL,
	PRIMARY KEY (token_hash)
)
;
CREATE INDEX ix_console_sessions_user_id ON console_sessions (user_id)
;
CREATE TABLE console_login_failures (
	id INTEGER NOT NULL,
	username VARCHAR(64) NOT NULL,
	ip VARCHAR(64) NOT NULL,
	at FLOAT NOT NULL,
	PRIMARY KEY (id)
)
;
CREATE INDEX ix_console_fail_ip ON console_login_failures (ip, at)
;
CREATE INDEX ix_console_fail_user ON console_login_failures (username, at)
;
CREATE TABLE console_login_locks (
	"key" VARCHAR(80) NOT NULL,
	used_at FLOAT NOT NULL,
	PRIMARY KEY ("key")
)
;
CREATE TABLE console_known_addresses (
	username VARCHAR(64) NOT NULL,
	ip VARCHAR(64) NOT NULL,
	last_login_at FLOAT NOT NULL,
	PRIMARY KEY (username, ip)
)
;
CREATE TABLE console_audit (
	id INTEGER NOT NULL,
	at FLOAT NOT NULL,
	actor VARCHAR(64) NOT NULL,
	action VARCHAR(32) NOT NULL,
	target VARCHAR(255) NOT NULL,
	detail TEXT NOT NULL,
	ip VARCHAR(64) NOT NULL,
	PRIMARY KEY (id)
)
;
CREATE INDEX ix_console_audit_at ON console_audit (at)
;
CREATE INDEX ix_console_audit_action ON console_audit (action, at)
;
CREATE TABLE console_index_state (
	name VARCHAR(32) NOT NULL,
	value INTEGER NOT NULL,
	PRIMARY KEY (name)
)
;
CREATE TRIGGER console_audit_no_update BEFORE UPDATE ON console_audit BEGIN SELECT RAISE(ABORT, 'console_audit is append-only'); END
;
CREATE TRIGGER console_audit_no_delete BEFORE DELETE ON console_audit BEGIN SELECT RAISE(ABORT, 'console_audit is append-only'); END
;
