"""PostgreSQL roles (issue 13 item 7): the owner, Rasa's role and the console's role, each with
only what it needs, on a private cluster set up the way ``make run-prod`` does it: first with
the single-role database of an older version, which the setup migrates, then again (every
start runs it). One test checks the running production profile."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.console import audit, schema
from assistant.console.accounts import add_user
from assistant.console.database import Database, SchemaMissing, create_schema
from assistant.console.indexer import Indexer
from assistant.console.masking import Masker
from assistant.console.retention import purge_older_than
from assistant.ops import db_roles, services
from assistant.ops.db_roles import Roles
from assistant.ops.processes import free_port
from assistant.ops.prod import REPLICA_SECRETS, RunningProfile
from assistant.ops.services import Postgres
from assistant.stores import replica_tables
from assistant.stores.tracker_store import StrictSQLTrackerStore
from bench.console_harness import EventWriter
from tests.prod.conftest import ALERT_SETTINGS
from tests.support.legacy_console import legacy_statements

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
DAY_S = 86400
OLD_PASSWORD = "the-single-role-of-before"
DENIED = r"permission denied|must be owner"
PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
EVERYTHING = {"SELECT", "INSERT", "UPDATE", "DELETE"}


def _token() -> str:
    return secrets.token_hex(16)


@dataclass
class Cluster:
    postgres: Postgres
    commands: List[List[str]]  # every command line the setup ran
    root: Path

    @property
    def roles(self) -> Roles:
        return self.postgres.roles

    def engine(self, role: str) -> sa.engine.Engine:
        url = self.postgres.admin_url(self.roles.database) if role == "admin" else None
        return sa.create_engine(url or self.postgres.url(role), future=True)


def _old_single_role_layout(postgres: Postgres) -> None:
    """What an older version made: one login role ``assistant`` owning the database and every
    table (created by the console), with a conversation, a staff account and an audit row."""
    admin = sa.create_engine(postgres.admin_url(), isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.execute(
            sa.text("CREATE ROLE assistant LOGIN PASSWORD :password"), {"password": OLD_PASSWORD}
        )
        connection.exec_driver_sql("CREATE DATABASE assistant OWNER assistant")
    admin.dispose()
    old = sa.create_engine(
        f"postgresql://assistant:{OLD_PASSWORD}@127.0.0.1:{postgres.port}/assistant", future=True
    )
    with old.begin() as connection:
        # Its tables as that version made them, without the later TRUNCATE trigger.
        for statement in legacy_statements("postgresql"):
            if "BEFORE TRUNCATE" not in statement:
                connection.exec_driver_sql(statement)
        connection.execute(
            schema.events.insert().values(
                sender_id="from-before",
                type_name="user",
                timestamp=time.time(),
                data=json.dumps({"event": "user", "text": "hello from before"}),
            )
        )
        add_user(connection, "old-admin", "admin", "a long enough password 123")
        audit.record(connection, "cli:test", "user_add", "old-admin", "role=admin")
    old.dispose()


def _old_sms_state(path: Path) -> None:
    """The SQLite file of the older SMS channel, with one patient who opted out."""
    with sqlite3.connect(str(path)) as connection:
        connection.execute(
            "CREATE TABLE opt_out (conversation_id TEXT PRIMARY KEY, opted_out INTEGER NOT NULL, "
            "changed_at REAL NOT NULL)"
        )
        connection.execute("INSERT INTO opt_out VALUES ('sms-hmac-1', 1, 1700000000.0)")
    connection.close()


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    subprocess.run([str(ROOT / "scripts" / "ensure_prod_packages.sh")], check=True)
    root = Path(tempfile.mkdtemp(prefix="assistant-roles-", dir="/tmp"))
    root.chmod(0o755)  # PostgreSQL runs as its own user
    postgres = Postgres(
        root / "postgres",
        free_port(),
        admin_password=_token(),
        rasa_password=_token(),
        console_password=_token(),
        owner_password=_token(),
    )
    commands: List[List[str]] = []
    real_run, real_popen = subprocess.run, subprocess.Popen

    def run(argv: Any, *args: Any, **kwargs: Any) -> Any:
        commands.append([str(part) for part in argv])
        return real_run(argv, *args, **kwargs)

    def popen(argv: Any, *args: Any, **kwargs: Any) -> Any:
        commands.append([str(part) for part in argv])
        return real_popen(argv, *args, **kwargs)

    sms_state = root / "sms.db"
    _old_sms_state(sms_state)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(services.subprocess, "run", run)
            patch.setattr(services.subprocess, "Popen", popen)
            postgres.init()
            postgres.start()
            _old_single_role_layout(postgres)
            postgres.setup_roles(sms_state=sms_state)
            postgres.setup_roles(sms_state=sms_state)  # the next start: nothing changes
        yield Cluster(postgres, commands, root)
    finally:
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


def _refused(engine: sa.engine.Engine, statement: str, pattern: str = DENIED) -> None:
    with pytest.raises(sa.exc.DBAPIError, match=pattern):
        with engine.begin() as connection:
            connection.exec_driver_sql(statement)


def _granted(connection: sa.engine.Connection, role: str, table: str) -> Set[str]:
    found = set()
    for privilege in PRIVILEGES:
        column_level = privilege in ("SELECT", "INSERT", "UPDATE", "REFERENCES")
        check = "has_any_column_privilege" if column_level else "has_table_privilege"
        allowed = connection.execute(
            sa.text(f"SELECT {check}(:role, :table, :privilege)"),
            {"role": role, "table": f"public.{table}", "privilege": privilege},
        ).scalar_one()
        if allowed:
            found.add(privilege)
    return found


# --- setup and migration ----------------------------------------------------------------


def test_no_command_line_carries_a_password(cluster: Cluster) -> None:
    assert any(part.endswith("/initdb") for argv in cluster.commands for part in argv)
    postgres = cluster.postgres
    secrets_ = (
        postgres.admin_password,
        postgres.rasa_password,
        postgres.console_password,
        postgres.owner_password,
    )
    for argv in cluster.commands:
        for secret in secrets_:
            assert secret and secret not in " ".join(argv), argv


def test_each_role_has_exactly_its_privileges(cluster: Cluster) -> None:
    roles = cluster.roles
    events, audit_table = schema.events.name, schema.audit.name
    replica = {t.name for t in replica_tables.TABLES}
    console_own = {t.name for t in schema.metadata.sorted_tables} - {events}
    admin = cluster.engine("admin")
    try:
        with admin.connect() as connection:
            for table in sorted({events} | replica | console_own):
                rasa = _granted(connection, roles.rasa, table)
                console = _granted(connection, roles.console, table)
                if table == events:
                    assert (rasa, console) == ({"SELECT", "INSERT"}, {"SELECT"})
                elif table in replica:
                    assert (rasa, console) == (EVERYTHING, set()), table
                elif table == audit_table:
                    assert (rasa, console) == (set(), {"SELECT", "INSERT"})
                else:
                    assert (rasa, console) == (set(), EVERYTHING), table
                owner = connection.execute(
                    sa.text("SELECT tableowner FROM pg_tables WHERE tablename = :t"),
                    {"t": table},
                ).scalar_one()
                assert owner == roles.owner, table
            for role in (roles.rasa, roles.console):
                row = connection.execute(
                    sa.text(
                        "SELECT has_database_privilege(:r, :d, 'CREATE'), "
                        "has_database_privilege(:r, :d, 'TEMP'), "
                        "has_database_privilege(:r, :d, 'CONNECT'), "
                        "has_schema_privilege(:r, 'public', 'CREATE'), "
                        "has_function_privilege(:r, "
                        "'public.retention_purge_events(text, integer, integer)', 'EXECUTE'), "
                        "has_function_privilege(:r, "
                        "'public.retention_purge_web_messages(double precision)', 'EXECUTE'), "
                        "rolsuper OR rolcreatedb OR rolcreaterole OR rolbypassrls "
                        "FROM pg_roles WHERE rolname = :r"
                    ),
                    {"r": role, "d": roles.database},
                ).one()
                can_purge = role == roles.console
                assert tuple(row) == (False, False, True, False, can_purge, can_purge, False)
            definer = connection.execute(
                sa.text(
                    "SELECT bool_and(prosecdef), bool_and(proconfig::text LIKE '%search_path%'), "
                    "bool_and(pg_get_userbyid(proowner) = :owner) FROM pg_proc "
                    "WHERE proname LIKE 'retention_purge_%'"
                ),
                {"owner": roles.owner},
            ).one()
            assert tuple(definer) == (True, True, True)
    finally:
        admin.dispose()


def test_the_older_single_role_is_now_the_owner_and_its_data_is_kept(cluster: Cluster) -> None:
    old = sa.create_engine(
        f"postgresql://assistant:{OLD_PASSWORD}@127.0.0.1:{cluster.postgres.port}/assistant"
    )
    with pytest.raises(sa.exc.OperationalError, match="password authentication failed"):
        old.connect()
    old.dispose()
    owner = cluster.engine("owner")
    try:
        with owner.connect() as connection:
            texts = connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = 'from-before'")
            ).scalars()
            assert [json.loads(t)["text"] for t in texts] == ["hello from before"]
            assert connection.execute(
                sa.text("SELECT count(*) FROM console_users WHERE username = 'old-admin'")
            ).scalar_one()
            opted_out = connection.execute(
                sa.text("SELECT opted_out FROM sms_opt_outs WHERE conversation_id = 'sms-hmac-1'")
            ).scalar_one()
            assert opted_out is True
    finally:
        owner.dispose()


def test_outsiders_cannot_even_connect(cluster: Cluster) -> None:
    admin = sa.create_engine(cluster.postgres.admin_url(), isolation_level="AUTOCOMMIT")
    password = _token()
    with admin.connect() as connection:
        connection.execute(sa.text("CREATE ROLE outsider LOGIN PASSWORD :p"), {"p": password})
    admin.dispose()
    for database in ("assistant", "postgres", "template1"):
        engine = sa.create_engine(
            f"postgresql://outsider:{password}@127.0.0.1:{cluster.postgres.port}/{database}"
        )
        with pytest.raises(sa.exc.OperationalError, match="permission denied for database"):
            engine.connect()
        engine.dispose()


# --- Rasa's role ---------------------------------------------------------------------------


async def test_rasa_starts_with_its_role_without_any_ddl_and_stores_a_conversation(
    cluster: Cluster,
) -> None:
    """Rasa's SQLTrackerStore runs ``create_all`` at startup (and CREATE DATABASE only with
    ``login_db``, which endpoints.prod.yml does not set): with the tables there it only reads
    the catalogue."""
    statements: List[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    postgres = cluster.postgres
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        store = StrictSQLTrackerStore(
            domain=Domain.empty(),
            dialect="postgresql",
            host="127.0.0.1",
            port=postgres.port,
            db=postgres.database,
            username=postgres.roles.rasa,
            password=postgres.rasa_password,
        )
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    assert statements, "Rasa's startup did not look at the catalogue"
    ddl = [s for s in statements if re.match(r"\s*(CREATE|ALTER|DROP|GRANT)", s, re.I)]
    assert ddl == []
    sender = f"rasa-role-{_token()}"
    tracker = DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
            UserUttered("hello", {"name": "greet", "confidence": 1.0}),
        ],
    )
    await store.save(tracker)
    stored = await store.retrieve(sender)
    assert stored is not None
    assert [e.text for e in stored.events if isinstance(e, UserUttered)] == ["hello"]
    assert sender in set(await store.keys())
    store.engine.dispose()


def _sample_row(table: sa.Table) -> Dict[str, Any]:
    row: Dict[str, Any] = {}
    for column in table.columns:
        if isinstance(column.type, sa.Boolean):
            row[column.name] = True
        elif isinstance(column.type, sa.Float):
            row[column.name] = time.time()
        elif isinstance(column.type, sa.Integer):  # BigInteger too
            row[column.name] = secrets.randbelow(2**31)
        else:
            row[column.name] = f"x-{_token()[:8]}"
    return row


def test_rasa_reads_and_writes_the_replica_tables(cluster: Cluster) -> None:
    engine = cluster.engine("rasa")
    try:
        for table in replica_tables.TABLES:
            row = _sample_row(table)
            key = sa.and_(*(column == row[column.name] for column in table.primary_key))
            other = next(c for c in table.columns if not c.primary_key)
            with engine.begin() as connection:
                connection.execute(table.insert().values(row))
                assert connection.execute(sa.select(table).where(key)).one()
                connection.execute(
                    table.update().where(key).values({other.name: _sample_row(table)[other.name]})
                )
                assert connection.execute(table.delete().where(key)).rowcount == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM console_users",
        "SELECT * FROM console_audit",
        "SELECT * FROM console_sessions",
        "INSERT INTO console_audit (at, actor, action, target, detail, ip) "
        "VALUES (0, 'x', 'x', '', '', '')",
        "UPDATE events SET data = ''",
        "DELETE FROM events",
        "TRUNCATE events",
        "TRUNCATE sms_opt_outs",
        "TRUNCATE web_client_messages",
        "TRUNCATE console_audit",
        "CREATE TABLE intruder (a integer)",
        "CREATE TEMP TABLE intruder (a integer)",
        "CREATE SCHEMA intruder",
        "ALTER TABLE events ADD COLUMN intruder integer",
        "DROP TABLE sms_menus",
        "SELECT public.retention_purge_events('x', 0, 0)",
        "SELECT public.retention_purge_web_messages(0)",
    ],
)
def test_rasa_role_is_refused(cluster: Cluster, statement: str) -> None:
    engine = cluster.engine("rasa")
    try:
        _refused(engine, statement)
    finally:
        engine.dispose()


# --- the console's role --------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE console_audit",
        "TRUNCATE console_users",
        "TRUNCATE events",
        "UPDATE console_audit SET actor = 'someone else'",
        "DELETE FROM console_audit",
        "ALTER TABLE console_audit DISABLE TRIGGER ALL",
        "DROP TRIGGER console_audit_no_change ON console_audit",
        "INSERT INTO events (sender_id, type_name) VALUES ('forged', 'user')",
        "UPDATE events SET data = ''",
        "DELETE FROM events",
        "SELECT * FROM web_client_messages",
        "DELETE FROM web_client_messages",
        "SELECT * FROM sms_opt_outs",
        "CREATE TABLE intruder (a integer)",
        "CREATE TEMP TABLE intruder (a integer)",
        "CREATE OR REPLACE FUNCTION public.retention_purge_web_messages(p double precision) "
        "RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint'",
    ],
)
def test_console_role_is_refused(cluster: Cluster, statement: str) -> None:
    engine = cluster.engine("console")
    try:
        _refused(engine, statement)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE console_audit SET actor = 'someone else'",
        "DELETE FROM console_audit",
        "TRUNCATE console_audit",
    ],
)
def test_even_the_owner_cannot_change_the_audit_trail(cluster: Cluster, statement: str) -> None:
    engine = cluster.engine("owner")
    try:
        _refused(engine, statement, "append-only")
    finally:
        engine.dispose()


def test_the_console_starts_indexes_and_purges_with_its_role(cluster: Cluster) -> None:
    postgres = cluster.postgres
    now = time.time()
    rasa = Database(cluster.engine("rasa"))
    old_patient, new_patient = f"old-{_token()}", f"new-{_token()}"
    writer = EventWriter(rasa, start=now - 200 * DAY_S)
    writer.session(old_patient)
    writer.user(old_patient, "what are the infusion center hours?", "ask_hours")
    writer.at = now - 600
    writer.session(new_patient)
    writer.user(new_patient, "hello", "greet")
    web = replica_tables.web_client_messages
    with rasa.engine.begin() as connection:
        old_events = connection.execute(
            sa.select(sa.func.count()).where(schema.events.c.sender_id == old_patient)
        ).scalar_one()
        for sender, at in ((old_patient, now - 200 * DAY_S), (new_patient, now - 600)):
            connection.execute(
                web.insert().values(sender_id=sender, client_id="c1", replies="[]", at=at)
            )

    console = Database.connect(postgres.url("console"))  # checks the schema, creates nothing
    try:
        create_schema(console.engine)  # with everything there, a no-op the role may run
        Database.connect(postgres.url("console"), create=True).close()
        console.call(add_user, f"staff-{_token()[:8]}", "reviewer", "a long enough password 123")
        console.call(audit.record, "cli:test", "user_add", "staff", "role=reviewer")
        Indexer(ZoneInfo("America/Los_Angeles"), Masker.allowing([])).catch_up(console.engine)
        result = purge_older_than(console.engine, 90, now)
        assert result.conversations >= 1 and result.events >= old_events > 0
        assert result.web_messages >= 1
    finally:
        console.close()
    with rasa.engine.connect() as connection:
        senders = set(
            connection.execute(
                sa.select(schema.events.c.sender_id).where(
                    schema.events.c.sender_id.in_([old_patient, new_patient])
                )
            ).scalars()
        )
        kept = set(connection.execute(sa.select(web.c.sender_id)).scalars())
    rasa.close()
    assert senders == {new_patient}
    assert new_patient in kept and old_patient not in kept


def test_the_purge_functions_refuse_anything_less_than_a_day_old(cluster: Cluster) -> None:
    rasa, console = Database(cluster.engine("rasa")), cluster.engine("console")
    patient = f"recent-{_token()}"
    EventWriter(rasa, start=time.time() - 3600).session(patient)
    rasa.close()
    try:
        with pytest.raises(sa.exc.DBAPIError, match="less than a day old"):
            with console.begin() as connection:
                connection.execute(
                    sa.text("SELECT public.retention_purge_events(:s, 0, 2147483647)"),
                    {"s": patient},
                )
        with pytest.raises(sa.exc.DBAPIError, match="less than a day old"):
            with console.begin() as connection:
                connection.execute(
                    sa.text("SELECT public.retention_purge_web_messages(:c)"),
                    {"c": time.time() - 3600},
                )
    finally:
        console.dispose()


def test_the_console_names_what_is_missing_instead_of_creating_it(cluster: Cluster) -> None:
    url = cluster.postgres.admin_url("postgres")  # a database without the schema
    with pytest.raises(SchemaMissing) as raised:
        Database.connect(url)
    message = str(raised.value)
    assert "console_users" in message and "events" in message
    assert "python -m assistant.ops.db_roles setup" in message
    assert cluster.postgres.admin_password not in message


# --- the command for deployers --------------------------------------------------------------


def test_the_setup_command_makes_a_fresh_database_with_other_names(
    cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    postgres = cluster.postgres
    env = {
        "POSTGRES_ADMIN_URL": postgres.admin_url(),
        "TRACKER_DB_NAME": "fresh",
        "POSTGRES_OWNER_USER": "fresh_owner",  # no password: it cannot log in
        "TRACKER_DB_USER": "fresh_rasa",
        "TRACKER_DB_PASSWORD": _token(),
        "CONSOLE_DB_USER": "fresh_console",
        "CONSOLE_DB_PASSWORD": _token(),
    }
    assert db_roles.main(["setup"], env) == 0
    assert "Database fresh ready" in capsys.readouterr().out
    base = f"127.0.0.1:{postgres.port}/fresh"
    rasa = sa.create_engine(f"postgresql://fresh_rasa:{env['TRACKER_DB_PASSWORD']}@{base}")
    with rasa.begin() as connection:
        connection.execute(schema.events.insert().values(sender_id="s", type_name="user"))
    rasa.dispose()
    Database.connect(f"postgresql://fresh_console:{env['CONSOLE_DB_PASSWORD']}@{base}").close()
    admin = sa.create_engine(postgres.admin_url())
    with admin.connect() as connection:
        can_login = connection.execute(
            sa.text("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'fresh_owner'")
        ).scalar_one()
    admin.dispose()
    assert can_login is False


def test_the_setup_command_explains_what_it_needs(capsys: pytest.CaptureFixture[str]) -> None:
    assert db_roles.main(["setup"], {"TRACKER_DB_PASSWORD": "x" * 20}) == 2
    error = capsys.readouterr().err
    assert "POSTGRES_ADMIN_URL" in error and "CONSOLE_DB_PASSWORD" in error
    same = {
        "POSTGRES_ADMIN_URL": "postgresql://postgres@127.0.0.1:1/postgres",
        "TRACKER_DB_USER": "assistant",  # an older deployment's single role
        "TRACKER_DB_PASSWORD": "x" * 20,
        "CONSOLE_DB_PASSWORD": "y" * 20,
    }
    assert db_roles.main(["setup"], same) == 2
    assert "three different roles" in capsys.readouterr().err


# --- the running production profile ----------------------------------------------------------


def _environment(pid: int) -> Dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def test_the_profile_runs_each_service_with_its_own_role(prod: RunningProfile) -> None:
    postgres = prod.postgres
    assert prod.env["TRACKER_DB_USER"] == postgres.roles.rasa
    sms_url = sa.engine.make_url(prod.env["SMS_STATE_DB_URL"])
    assert (sms_url.username, sms_url.database) == (postgres.roles.rasa, postgres.database)
    assert prod.console is not None
    console_env = _environment(prod.console.pid)
    console_url = sa.engine.make_url(console_env["CONSOLE_DB_URL"])
    assert console_url.username == postgres.roles.console
    for env in (prod.env, console_env):
        for name in ("POSTGRES_ADMIN_PASSWORD", "POSTGRES_OWNER_PASSWORD"):
            assert name not in env
        assert postgres.admin_password not in env.values()
    assert postgres.rasa_password not in console_env.values()
    assert "SMS_STATE_DB_URL" not in console_env and "REST_TOKEN" not in console_env
    # The action server and the console hold none of the replicas' secrets.
    assert prod.actions is not None
    actions_env = _environment(prod.actions.pid)
    for name in REPLICA_SECRETS:
        assert name not in actions_env and name not in console_env, name
    # Where alerts go, and their signing secret, only the console holds.
    for name, value in ALERT_SETTINGS.items():
        assert console_env[name] == value, name
        assert name not in actions_env and name not in prod.env, name
    assert console_env["CONSOLE_PUBLIC_URL"] == prod.staff_url
    assert "ACTION_SERVER_TOKEN" in actions_env and "ACTION_SERVER_TOKEN" not in console_env
    assert postgres.console_password not in prod.env.values()
    admin = sa.create_engine(postgres.admin_url())
    deadline = time.monotonic() + 30
    users: Set[str] = set()
    try:
        while (
            time.monotonic() < deadline
            and not {postgres.roles.rasa, postgres.roles.console} <= users
        ):
            with admin.connect() as connection:
                users = set(
                    connection.execute(
                        sa.text("SELECT usename FROM pg_stat_activity WHERE datname = :d"),
                        {"d": postgres.database},
                    ).scalars()
                )
            time.sleep(0.5)
    finally:
        admin.dispose()
    assert {postgres.roles.rasa, postgres.roles.console} <= users
