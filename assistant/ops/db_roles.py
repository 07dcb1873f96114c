"""PostgreSQL roles in production: who may do what in the assistant's database.

One database holds Rasa's conversations (``events``), the other tables the Rasa replicas
write (``assistant.stores.replica_tables``) and the staff console's ``console_*`` tables.
Three roles share it, each with only what it needs:

- the owner (default ``assistant``) owns the database, schema ``public``, every table and
  function, and creates them here. It logs in only for setup and maintenance; without a
  password it cannot log in at all (NOLOGIN).
- Rasa (default ``assistant_rasa``): SELECT and INSERT on ``events`` (Rasa never changes or
  deletes an event) and USAGE on its id sequence; SELECT, INSERT, UPDATE and DELETE on the
  replica tables. Nothing on the console's tables.
- the console (default ``assistant_console``): SELECT on ``events``; SELECT, INSERT, UPDATE
  and DELETE on its ``console_*`` tables, except ``console_audit``: SELECT and INSERT only,
  and ``console_alembic_version`` (its schema's revision, checked at start): SELECT only.
  Retention deletes through two ``SECURITY DEFINER`` functions owned by the owner, the only
  functions the console may call: ``retention_purge_events`` (one conversation's events in
  an id range) and ``retention_purge_web_messages`` (web chat retry records older than a
  cutoff). Both refuse anything less than a day old, so the console's login cannot wipe
  recent conversations. The console has no other right on ``events`` or the replica tables.

No login role may TRUNCATE anything, or create anything: PUBLIC has no right on the database
(not even CONNECT or TEMP) nor on schema ``public``. Triggers refuse UPDATE, DELETE and
TRUNCATE on ``console_audit`` even for the owner.

Rasa's tracker store runs ``create_all`` at startup; with the tables already there it only
reads the catalogue (no DDL), which is why the tables must exist before the replicas start.

``setup`` is idempotent: ``make run-prod`` runs it on every start, which also migrates a
database of an older version (one role ``assistant`` owning and using everything: it becomes
the owner). A deployer runs it once per release, as a role that may create roles::

    POSTGRES_ADMIN_URL=postgresql://postgres@db.internal:5432/postgres PGPASSWORD=... \\
    TRACKER_DB_PASSWORD=... CONSOLE_DB_PASSWORD=... python -m assistant.ops.db_roles setup

Passwords are sent only as SCRAM-SHA-256 verifiers, so the server never sees them either.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Mapping, Optional, Sequence, Union

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL, Connection

from assistant.console import schema as console_schema
from assistant.console.database import AUDIT_FUNCTION, create_schema
from assistant.console.migrations import VERSION_TABLE as CONSOLE_VERSION_TABLE
from assistant.stores import replica_tables
from assistant.stores.tracker_store import create_event_indexes

PURGE_EVENTS = "retention_purge_events"
PURGE_WEB_MESSAGES = "retention_purge_web_messages"
MIN_AGE_S = 86400  # the purge functions never delete anything younger
SCHEMA = "public"
SCRAM_ITERATIONS = 4096  # PostgreSQL's default (scram_iterations)
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_LOCK_KEY = 0x61737369  # serialises concurrent setups (pg_advisory_xact_lock)


def _quote(name: str) -> str:
    return f'"{name}"'


@dataclass(frozen=True)
class Roles:
    """The database's name and its three roles' names (lower-case SQL identifiers)."""

    database: str = "assistant"
    owner: str = "assistant"
    rasa: str = "assistant_rasa"
    console: str = "assistant_console"

    def __post_init__(self) -> None:
        for name in (self.database, self.owner, self.rasa, self.console):
            if not _IDENTIFIER.match(name):
                raise ValueError(f"{name!r}: use lower-case letters, digits and '_'")
        if len({self.owner, self.rasa, self.console}) != 3:
            raise ValueError(
                f"the owner ({self.owner}), Rasa ({self.rasa}) and console ({self.console}) "
                "roles must be three different roles"
            )


@dataclass(frozen=True)
class Passwords:
    rasa: str = field(repr=False)
    console: str = field(repr=False)
    owner: Optional[str] = field(default=None, repr=False)  # None: the owner cannot log in


def scram_verifier(
    password: str, salt: Optional[bytes] = None, iterations: int = SCRAM_ITERATIONS
) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (RFC 5802/7677), so
    ``ALTER ROLE ... PASSWORD`` never carries the password itself."""
    # SASLprep leaves printable ASCII unchanged; other text would need its normalisation.
    if not password or any(not " " <= ch <= "~" for ch in password):
        raise ValueError("a database password must be non-empty printable ASCII")
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


# --- what lives in the database --------------------------------------------------------


def _events() -> str:
    return console_schema.events.name


def _console_tables() -> List[str]:
    return [t.name for t in console_schema.metadata.sorted_tables if t.name != _events()]


def _replica_tables() -> List[str]:
    return [t.name for t in replica_tables.TABLES]


def _all_tables() -> List[str]:
    return [_events(), *_console_tables(), CONSOLE_VERSION_TABLE, *_replica_tables()]


def _functions_sql() -> List[str]:
    """The retention functions. ``SECURITY DEFINER`` runs them with the owner's rights, so
    their search path is fixed and every name in them is qualified."""
    events = f"{SCHEMA}.{_events()}"
    web = f"{SCHEMA}.{replica_tables.web_client_messages.name}"
    header = (
        "RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER "
        "SET search_path = pg_catalog, pg_temp AS $fn$"
    )
    too_young = f"pg_catalog.date_part('epoch', pg_catalog.now()) - {MIN_AGE_S}"
    # Only this module's constants are formatted into the SQL.
    return [
        f"CREATE OR REPLACE FUNCTION {SCHEMA}.{PURGE_EVENTS}"  # noqa: S608
        "(p_sender_id text, p_first_id integer, p_last_id integer) "
        f"""{header}
DECLARE
    newest double precision;
    deleted bigint;
BEGIN
    SELECT max(e.timestamp) INTO newest FROM {events} AS e
        WHERE e.sender_id = p_sender_id AND e.id BETWEEN p_first_id AND p_last_id;
    IF newest > {too_young} THEN
        RAISE EXCEPTION 'retention: events less than a day old are never purged';
    END IF;
    DELETE FROM {events} AS e
        WHERE e.sender_id = p_sender_id AND e.id BETWEEN p_first_id AND p_last_id
        AND coalesce(e.timestamp, 0) <= {too_young};
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END
$fn$""",
        f"CREATE OR REPLACE FUNCTION {SCHEMA}.{PURGE_WEB_MESSAGES}"  # noqa: S608
        "(p_cutoff double precision) "
        f"""{header}
DECLARE
    deleted bigint;
BEGIN
    IF p_cutoff > {too_young} THEN
        RAISE EXCEPTION 'retention: records less than a day old are never purged';
    END IF;
    DELETE FROM {web} AS m WHERE m.at < p_cutoff;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END
$fn$""",
    ]


# --- setup --------------------------------------------------------------------------------


def setup(
    admin_url: Union[str, URL],
    passwords: Passwords,
    roles: Roles = Roles(),
    close_databases: Sequence[str] = (),
    sms_state: Optional[Path] = None,
) -> None:
    """Create or bring up to date the roles, the database, its tables, functions and grants.

    ``admin_url`` is a role that may create roles and databases (a superuser, or one with
    CREATEROLE and CREATEDB; it is made a member of the owner role); any database of the
    server. ``close_databases`` lose their PUBLIC rights (CONNECT, TEMP) too: for a private
    cluster, ``postgres`` and ``template1``. ``sms_state`` is the SQLite file of an older
    SMS channel: its opt-outs are copied into ``sms_opt_outs`` (the newer change wins)."""
    url = sa.engine.make_url(admin_url)
    server = sa.create_engine(url, isolation_level="AUTOCOMMIT", hide_parameters=True, future=True)
    try:
        with server.connect() as connection:
            _roles_and_database(connection, passwords, roles, close_databases)
    finally:
        server.dispose()
    database = sa.create_engine(url.set(database=roles.database), hide_parameters=True, future=True)
    try:
        with database.begin() as connection:
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            _schema_privileges(connection, roles)
            _take_ownership(connection, roles)
            connection.exec_driver_sql(f"SET LOCAL ROLE {_quote(roles.owner)}")
            create_schema(connection)
            replica_tables.metadata.create_all(connection)
            replica_tables.add_missing_columns(connection)  # tables of an older version
            create_event_indexes(connection)
            for statement in _functions_sql():
                connection.exec_driver_sql(statement)
            _grant(connection, roles)
            if sms_state is not None:
                import_sms_opt_outs(connection, sms_state)
    finally:
        database.dispose()


def _roles_and_database(
    connection: Connection, passwords: Passwords, roles: Roles, close_databases: Sequence[str]
) -> None:
    me, superuser = connection.execute(
        sa.text("SELECT rolname, rolsuper FROM pg_roles WHERE rolname = current_user")
    ).one()
    if me in (roles.owner, roles.rasa, roles.console):
        raise ValueError(f"run the setup as an administrator, not as {me} (one of the roles)")
    attributes = "NOCREATEDB NOCREATEROLE INHERIT"
    if superuser:
        attributes += " NOSUPERUSER NOREPLICATION NOBYPASSRLS"
    for role, password in (
        (roles.owner, passwords.owner),
        (roles.rasa, passwords.rasa),
        (roles.console, passwords.console),
    ):
        exists = connection.execute(
            sa.text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}
        ).first()
        if exists is None:
            connection.exec_driver_sql(f"CREATE ROLE {_quote(role)}")
        if password is None:
            connection.exec_driver_sql(
                f"ALTER ROLE {_quote(role)} NOLOGIN {attributes} PASSWORD NULL"
            )
        else:
            connection.execute(
                sa.text(f"ALTER ROLE {_quote(role)} LOGIN {attributes} PASSWORD :verifier"),
                {"verifier": scram_verifier(password)},
            )
    # The login roles inherit nothing (an older setup may have made them members of roles).
    for login in (roles.rasa, roles.console):
        groups = connection.execute(
            sa.text(
                "SELECT g.rolname FROM pg_auth_members m "
                "JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member "
                "WHERE u.rolname = :login"
            ),
            {"login": login},
        ).scalars()
        for group in list(groups):
            connection.exec_driver_sql(f"REVOKE {_quote(group)} FROM {_quote(login)}")
    if not superuser:  # to create objects as the owner (SET ROLE)
        member = connection.execute(
            sa.text("SELECT pg_has_role(current_user, :owner, 'MEMBER')"),
            {"owner": roles.owner},
        ).scalar_one()
        if not member:
            connection.exec_driver_sql(f"GRANT {_quote(roles.owner)} TO CURRENT_USER")
    database, owner = _quote(roles.database), _quote(roles.owner)
    logins = f"{_quote(roles.rasa)}, {_quote(roles.console)}"
    exists = connection.execute(
        sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": roles.database}
    ).first()
    if exists is None:
        connection.exec_driver_sql(f"CREATE DATABASE {database} OWNER {owner}")
    else:
        connection.exec_driver_sql(f"ALTER DATABASE {database} OWNER TO {owner}")
    connection.exec_driver_sql(f"REVOKE ALL ON DATABASE {database} FROM PUBLIC, {logins}")
    connection.exec_driver_sql(f"GRANT CONNECT ON DATABASE {database} TO {logins}")
    for other in close_databases:
        if other == roles.database:
            continue
        found = connection.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": other}
        ).first()
        if found is not None:
            connection.exec_driver_sql(f"REVOKE ALL ON DATABASE {_quote(other)} FROM PUBLIC")


def _schema_privileges(connection: Connection, roles: Roles) -> None:
    """Schema ``public`` belongs to the owner; PUBLIC may not even look up names in it."""
    schema_owner = connection.execute(
        sa.text("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = :schema"),
        {"schema": SCHEMA},
    ).scalar_one()
    if schema_owner not in (_quote(roles.owner), roles.owner, "pg_database_owner"):
        connection.exec_driver_sql(f"ALTER SCHEMA {SCHEMA} OWNER TO {_quote(roles.owner)}")
    logins = f"{_quote(roles.rasa)}, {_quote(roles.console)}"
    connection.exec_driver_sql(f"REVOKE ALL ON SCHEMA {SCHEMA} FROM PUBLIC, {logins}")
    connection.exec_driver_sql(f"GRANT USAGE ON SCHEMA {SCHEMA} TO {logins}")


def _take_ownership(connection: Connection, roles: Roles) -> None:
    """Tables and functions created by another role (an older version's, or a replica that
    created ``events`` itself) now belong to the owner. Their sequences follow."""
    tables = connection.execute(
        sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = :schema "
            "AND tablename = ANY(:names) AND tableowner <> :owner"
        ),
        {"schema": SCHEMA, "names": _all_tables(), "owner": roles.owner},
    ).scalars()
    for table in list(tables):
        connection.exec_driver_sql(
            f"ALTER TABLE {SCHEMA}.{_quote(table)} OWNER TO {_quote(roles.owner)}"
        )
    functions = connection.execute(
        sa.text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = :schema AND p.proname = ANY(:names) "
            "AND pg_get_userbyid(p.proowner) <> :owner"
        ),
        {
            "schema": SCHEMA,
            "names": [AUDIT_FUNCTION, PURGE_EVENTS, PURGE_WEB_MESSAGES],
            "owner": roles.owner,
        },
    ).scalars()
    for function in list(functions):
        connection.exec_driver_sql(f"ALTER FUNCTION {function} OWNER TO {_quote(roles.owner)}")


def _sequences(connection: Connection, tables: Sequence[sa.Table]) -> List[str]:
    """The sequences behind the tables' serial columns (integer primary keys), qualified."""
    found: List[str] = []
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, sa.Integer):
                continue
            name = connection.execute(
                sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": f"{SCHEMA}.{table.name}", "column": column.name},
            ).scalar_one()
            if name:
                found.append(str(name))
    return found


def _grant(connection: Connection, roles: Roles) -> None:
    """Exactly the rights listed in the module's docstring. Whatever was granted before is
    revoked first, in the same transaction, so no session ever sees a gap."""
    rasa, console = _quote(roles.rasa), _quote(roles.console)
    everyone = f"PUBLIC, {rasa}, {console}"
    audit = console_schema.audit.name
    console_tables = [t for t in console_schema.metadata.sorted_tables if t.name != _events()]
    rasa_sequences = _sequences(connection, [console_schema.events, *replica_tables.TABLES])
    console_sequences = _sequences(connection, console_tables)
    functions = [
        f"{SCHEMA}.{AUDIT_FUNCTION}()",
        f"{SCHEMA}.{PURGE_EVENTS}(text, integer, integer)",
        f"{SCHEMA}.{PURGE_WEB_MESSAGES}(double precision)",
    ]

    def qualified(names: Sequence[str]) -> str:
        return ", ".join(f"{SCHEMA}.{_quote(name)}" for name in names)

    def run(statement: str) -> None:
        connection.exec_driver_sql(statement)

    run(f"REVOKE ALL ON {qualified(_all_tables())} FROM {everyone}")
    for sequence in (*rasa_sequences, *console_sequences):
        run(f"REVOKE ALL ON SEQUENCE {sequence} FROM {everyone}")
    run(f"REVOKE ALL ON FUNCTION {', '.join(functions)} FROM {everyone}")

    events = qualified([_events()])
    run(f"GRANT SELECT, INSERT ON {events} TO {rasa}")
    run(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {qualified(_replica_tables())} TO {rasa}")
    for sequence in rasa_sequences:
        run(f"GRANT USAGE ON SEQUENCE {sequence} TO {rasa}")

    own = [name for name in _console_tables() if name != audit]
    run(f"GRANT SELECT ON {events} TO {console}")
    run(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {qualified(own)} TO {console}")
    run(f"GRANT SELECT, INSERT ON {qualified([audit])} TO {console}")
    run(f"GRANT SELECT ON {qualified([CONSOLE_VERSION_TABLE])} TO {console}")  # checked on start
    for sequence in console_sequences:
        run(f"GRANT USAGE ON SEQUENCE {sequence} TO {console}")
    run(f"GRANT EXECUTE ON FUNCTION {', '.join(functions[1:])} TO {console}")


def import_sms_opt_outs(connection: Connection, path: Path) -> int:
    """Copy the opt-outs of an older SMS channel's SQLite file (table ``opt_out``) into
    ``sms_opt_outs``, keeping whichever change is newer. Returns the rows read."""
    if not path.is_file():
        return 0
    source = sqlite3.connect(str(path))
    try:
        found = source.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'opt_out'"
        ).fetchone()
        rows = (
            source.execute("SELECT conversation_id, opted_out, changed_at FROM opt_out").fetchall()
            if found
            else []
        )
    finally:
        source.close()
    if not rows:
        return 0
    table = replica_tables.sms_opt_outs
    statement = postgresql.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.conversation_id],
        set_={
            "opted_out": statement.excluded.opted_out,
            "changed_at": statement.excluded.changed_at,
        },
        where=table.c.changed_at < statement.excluded.changed_at,
    )
    connection.execute(
        statement,
        [{"conversation_id": c, "opted_out": bool(o), "changed_at": float(t)} for c, o, t in rows],
    )
    return len(rows)


# --- command line -------------------------------------------------------------------------


def settings_from_env(env: Mapping[str, str]) -> tuple[str, Passwords, Roles]:
    """The admin URL, passwords and roles from the environment (see ``main``)."""
    missing = [
        name
        for name in ("POSTGRES_ADMIN_URL", "TRACKER_DB_PASSWORD", "CONSOLE_DB_PASSWORD")
        if not env.get(name)
    ]
    if missing:
        raise ValueError(f"set {', '.join(missing)} in the environment")
    roles = Roles(
        database=env.get("TRACKER_DB_NAME") or Roles.database,
        owner=env.get("POSTGRES_OWNER_USER") or Roles.owner,
        rasa=env.get("TRACKER_DB_USER") or Roles.rasa,
        console=env.get("CONSOLE_DB_USER") or Roles.console,
    )
    passwords = Passwords(
        rasa=env["TRACKER_DB_PASSWORD"],
        console=env["CONSOLE_DB_PASSWORD"],
        owner=env.get("POSTGRES_OWNER_PASSWORD") or None,
    )
    return env["POSTGRES_ADMIN_URL"], passwords, roles


USAGE = """\
Create or update the assistant's PostgreSQL roles, database, tables and grants (idempotent;
run it once per release, before the Rasa replicas and the console start).

Environment (passwords are never arguments):
  POSTGRES_ADMIN_URL     a role that may create roles and databases, e.g.
                         postgresql://postgres@db.internal:5432/postgres
                         (its password in the URL, PGPASSWORD or ~/.pgpass)
  TRACKER_DB_NAME        the database (default assistant)
  TRACKER_DB_USER        Rasa's role (default assistant_rasa); TRACKER_DB_PASSWORD
  CONSOLE_DB_USER        the console's role (default assistant_console); CONSOLE_DB_PASSWORD
  POSTGRES_OWNER_USER    the owner of every table (default assistant);
  POSTGRES_OWNER_PASSWORD  optional: without it the owner cannot log in (NOLOGIN)
"""


def main(argv: Optional[Sequence[str]] = None, env: Optional[Mapping[str, str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.ops.db_roles",
        description=USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("setup", help="create or update roles, tables and grants")
    command.add_argument(
        "--import-sms-state",
        type=Path,
        default=None,
        metavar="SQLITE_FILE",
        help="copy the opt-outs of an older SMS channel's SQLite file (SMS_STATE_DB)",
    )
    args = parser.parse_args(argv)
    try:
        admin_url, passwords, roles = settings_from_env(os.environ if env is None else env)
        setup(admin_url, passwords, roles, sms_state=args.import_sms_state)
    except (ValueError, sa.exc.SQLAlchemyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"Database {roles.database} ready: owner {roles.owner}, "
        f"Rasa {roles.rasa} (TRACKER_DB_USER), console {roles.console} (CONSOLE_DB_URL)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
