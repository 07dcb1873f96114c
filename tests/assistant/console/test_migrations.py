"""Schema migrations (Alembic): a new database gets exactly the schema of ``schema.py``; a
database made before migrations (``data/console_schema_before_migrations.*.sql``, saved from
the code of that time) is recognised as revision 0001 and upgraded with its rows intact; and
the documented way to add a revision works. On SQLite always, on PostgreSQL when installed."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

from assistant.console import audit, cli, migrations, schema
from assistant.console.accounts import add_user
from assistant.console.database import Database, SchemaMissing, check_schema, make_engine
from assistant.console.indexer import SEARCH_STATE, Indexer
from assistant.console.masking import Masker
from assistant.console.review import add_note
from assistant.dialogue_names import LANGUAGE_EN, LANGUAGE_ES
from assistant.stores.tracker_store import create_event_indexes
from bench.console_harness import PASSWORD, EventWriter, ManualClock, running_console
from tests.assistant.console.builders import answered, language_slot, said
from tests.support.legacy_console import legacy_statements
from tests.support.postgres import ProductionPostgres, production_postgres

# Tables an older version (before console_login_locks and console_known_addresses) lacked.
LATER_TABLES = ("console_login_locks", "console_known_addresses")
NOW = 1795723200.0


def make_legacy(engine: Engine, skip_tables: Tuple[str, ...] = ()) -> None:
    """The schema as the code before migrations made it (``skip_tables`` left out, as by an
    even older version)."""

    def skipped(statement: str) -> bool:
        return any(re.search(rf"\b(TABLE|ON) {name}\b", statement) for name in skip_tables)

    with engine.begin() as connection:
        for statement in legacy_statements(engine.dialect.name):
            if not skipped(statement):
                connection.exec_driver_sql(statement)


# console_conversations columns added by revision 0003 (languages).
LANGUAGE_COLUMNS = ("language", "language_from_slot")
# The index's tables, which the indexer writes.
INDEX_TABLES = (
    schema.conversations,
    schema.conversation_intents,
    schema.callbacks,
    schema.unanswered,
    schema.feedback,
    schema.index_state,
)


def index_into_an_older_schema(engine: Engine) -> None:
    """Index ``engine``'s events as the code does, in a scratch database at the newest
    revision, and copy the index into ``engine``'s older tables: the columns they have."""
    scratch = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool, future=True)
    try:
        migrations.upgrade(scratch)
        with engine.connect() as source, scratch.begin() as target:
            events = [dict(r) for r in source.execute(sa.select(schema.events)).mappings()]
            target.execute(schema.events.insert(), events)
        Indexer(ZoneInfo("America/Los_Angeles"), Masker.allowing([])).catch_up(scratch)
        older = sa.MetaData()
        with scratch.connect() as source, engine.begin() as target:
            present = set(sa.inspect(target).get_table_names())
            for table in INDEX_TABLES:
                if table.name not in present:
                    continue
                kept = sa.Table(table.name, older, autoload_with=target)
                columns = [table.c[c.name] for c in kept.columns]
                rows = [dict(r) for r in source.execute(sa.select(*columns)).mappings()]
                if rows:
                    target.execute(kept.insert(), rows)
    finally:
        scratch.dispose()


def fill(engine: Engine) -> None:
    """What a console in use has: conversations (events and their index), accounts, notes,
    tags, a callback and audit rows, written by the code as it is (the index in the columns
    the older schema has)."""
    db = Database(engine)
    writer = EventWriter(db, NOW - 3 * 86400)
    writer.session("patient-1")
    writer.user("patient-1", "when is the infusion center open?", "ask_hours")
    writer.bot("patient-1", "Monday to Friday.", "kb.hours")
    writer.session("patient-2", channel="sms")
    writer.user("patient-2", "please call me back", "request_callback", channel="sms")
    writer.callback("patient-2", "Alex Rivera", "310-555-0142", "mornings", channel="sms")
    index_into_an_older_schema(engine)
    with engine.begin() as connection:
        add_user(connection, "old-admin", "admin", PASSWORD)
        add_user(connection, "old-reviewer", "reviewer", PASSWORD)
        first = connection.execute(sa.select(sa.func.min(schema.conversations.c.id))).scalar()
        add_note(connection, first, "called back, all fine", "old-admin")
        connection.execute(
            schema.tags.insert().values(
                conversation_id=first, tag="follow-up", created_by="old-admin", created_at=NOW
            )
        )
        audit.record(connection, "cli:test", "user_add", "old-admin", "role=admin")
        audit.record(connection, "old-admin", "login", "", "role=admin", "127.0.0.1")


def snapshot(
    engine: Engine, like: Optional[Dict[str, Dict[str, Tuple[Any, ...]]]] = None
) -> Dict[str, Dict[str, Tuple[Any, ...]]]:
    """Every row of every table of ``schema.py`` that the database has, in primary-key order,
    by column (as the database has them). With ``like``, only the tables and columns of that
    earlier snapshot: what a later revision adds is not compared."""
    found = {}
    reflected = sa.MetaData()
    with engine.connect() as connection:
        present = set(sa.inspect(connection).get_table_names())
        for name in schema.metadata.tables:
            if name not in present or (like is not None and name not in like):
                continue
            table = sa.Table(name, reflected, autoload_with=connection)
            keep = [c for c in table.columns if like is None or c.name in like[name]]
            order = list(table.primary_key.columns)
            rows = list(connection.execute(sa.select(*keep).order_by(*order)))
            found[name] = {c.name: tuple(row[i] for row in rows) for i, c in enumerate(keep)}
    return found


def differences(connection: Connection) -> List[Any]:
    """What ``schema.py`` and the database disagree on (alembic's autogenerate comparison)."""
    context = MigrationContext.configure(
        connection,
        opts={
            "include_object": migrations.include_object,
            "compare_type": True,
            "version_table": migrations.VERSION_TABLE,
        },
    )
    return list(compare_metadata(context, schema.metadata))


def revision(engine: Engine) -> Any:
    with engine.connect() as connection:
        return migrations.current(connection)


def assert_audit_is_append_only(engine: Engine) -> None:
    with engine.begin() as connection:  # row triggers: there must be a row to refuse
        audit.record(connection, "cli:test", "login")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with engine.begin() as connection:
            connection.execute(schema.audit.update().values(actor="someone else"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with engine.begin() as connection:
            connection.execute(schema.audit.delete())


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    made = make_engine(url)
    yield made
    made.dispose()


def sqlite_ddl(engine: Engine) -> set:
    with engine.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"
        ).scalars()
        return {re.sub(r"\s+", " ", sql).strip() for sql in found}


# --- a new database -------------------------------------------------------------------------


def test_a_new_database_gets_the_newest_revision_and_agrees_with_schema_py(
    url: str, engine: Engine
) -> None:
    Database.connect(url).close()
    assert revision(engine) == migrations.head()
    with engine.connect() as connection:
        assert differences(connection) == []
    check_schema(engine)  # what the console checks in production
    assert_audit_is_append_only(engine)


def test_revision_0001_makes_exactly_the_schema_of_before(url: str, engine: Engine) -> None:
    with engine.begin() as connection:
        migrations.upgrade(connection, migrations.BASELINE)
    made = sqlite_ddl(engine)
    before = {re.sub(r"\s+", " ", s) for s in legacy_statements("sqlite")}
    version_table = {s for s in made if migrations.VERSION_TABLE in s}
    assert len(version_table) == 1
    assert made - version_table == before


def test_rasa_may_have_made_events_first(url: str, engine: Engine) -> None:
    with engine.begin() as connection:
        schema.events.create(connection)
        create_event_indexes(connection)  # as the tracker store does
    Database.connect(url).close()
    with engine.connect() as connection:
        assert differences(connection) == []  # Rasa's own indexes are not the console's


def test_an_up_to_date_database_is_only_read(url: str, engine: Engine) -> None:
    Database.connect(url).close()
    statements: List[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        Database.connect(url).close()
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    writes = [s for s in statements if not re.match(r"\s*(SELECT|PRAGMA)", s, re.I)]
    assert statements and writes == []


def test_downgrade_to_nothing_and_back(url: str, engine: Engine) -> None:
    Database.connect(url).close()
    with engine.begin() as connection:
        command.downgrade(migrations.config(connection), "base")
    with engine.connect() as connection:
        left = set(sa.inspect(connection).get_table_names())
    assert left == {"events", migrations.VERSION_TABLE}  # events is Rasa's
    Database.connect(url).close()
    with engine.connect() as connection:
        assert differences(connection) == []


def test_0003_languages_down_and_up_again(url: str, engine: Engine) -> None:
    """Down to 0002: the language columns go, and the older console is asked to rewrite the
    search text (accents kept); up again: English until re-indexed from the events."""
    db = Database.connect(url)
    writer = EventWriter(db, NOW - 3600)
    writer.session("maria")
    said(writer, "maria", "Qué es la inmunoterapía?", "ask_immunotherapy", LANGUAGE_ES, 0.93)
    language_slot(writer, "maria", LANGUAGE_ES)
    answered(writer, "maria", "La inmunoterapia...", "kb.a", LANGUAGE_ES)
    indexer = Indexer(ZoneInfo("America/Los_Angeles"), Masker.allowing([]))
    indexer.catch_up(engine)
    before = snapshot(engine)
    assert before["console_conversations"]["language"] == (LANGUAGE_ES,)
    db.close()

    with engine.begin() as connection:
        command.downgrade(migrations.config(connection), "0002")

    assert revision(engine) == "0002"
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns(schema.conversations.name)}
        indexes = {i["name"] for i in sa.inspect(connection).get_indexes(schema.conversations.name)}
        search_state = connection.execute(
            sa.text("SELECT value FROM console_index_state WHERE name = :n"), {"n": SEARCH_STATE}
        ).scalar_one()
    assert not set(LANGUAGE_COLUMNS) & columns and "search_text" in columns
    assert "ix_console_conv_language" not in indexes
    assert search_state == 0
    older = {name: table for name, table in before.items() if name != "console_index_state"}
    for name, table in older.items():
        older[name] = {k: v for k, v in table.items() if k not in LANGUAGE_COLUMNS}
    assert snapshot(engine, like=older) == older

    migrations.upgrade(engine)

    assert revision(engine) == migrations.head()
    with engine.connect() as connection:
        assert differences(connection) == []
    assert snapshot(engine)["console_conversations"]["language"] == (LANGUAGE_EN,)
    assert (
        Indexer(ZoneInfo("America/Los_Angeles"), Masker.allowing([])).refresh_search_text(engine)
        == 1
    )
    after = snapshot(engine)["console_conversations"]
    assert (after["language"], after["language_from_slot"]) == ((LANGUAGE_ES,), (True,))
    assert after["search_text"] == ("que es la inmunoterapia?",)


# --- a database made before migrations -------------------------------------------------------


async def test_a_database_of_before_is_upgraded_with_its_rows_and_the_console_works(
    url: str, engine: Engine
) -> None:
    make_legacy(engine)
    fill(engine)
    before = snapshot(engine)
    assert before["console_conversations"]["id"] and before["console_notes"]["id"]
    with engine.connect() as connection:
        assert migrations.predates_migrations(connection)
        assert migrations.current(connection) is None
    with pytest.raises(SchemaMissing, match="has no schema version"):
        check_schema(engine)

    Database.connect(url).close()  # what the console and its commands do on start

    assert revision(engine) == migrations.head()
    assert snapshot(engine, like=before) == before
    languages = snapshot(engine)["console_conversations"]
    assert set(languages["language"]) == {LANGUAGE_EN}  # before Spanish: English
    assert set(languages["language_from_slot"]) == {False}
    with engine.connect() as connection:
        assert differences(connection) == []
    assert_audit_is_append_only(engine)
    async with running_console(url, ManualClock(NOW)) as console:
        client = console.client()
        reply = await client.login("old-admin")
        assert reply.status_code == 302, reply.text
        first = before["console_conversations"]["id"][0]
        page = await client.get(f"/conversations/{first}")
        assert page.status_code == 200 and "called back, all fine" in page.text
        assert (await client.get("/admin/audit")).status_code == 200
    with engine.connect() as connection:
        logins = connection.execute(
            sa.select(sa.func.count()).where(
                schema.audit.c.action == "login", schema.audit.c.actor == "old-admin"
            )
        ).scalar_one()
    assert logins == 2  # the old row, and this login


def test_an_older_database_gets_the_tables_it_lacked(url: str, engine: Engine) -> None:
    make_legacy(engine, skip_tables=LATER_TABLES)
    with engine.connect() as connection:
        assert not set(LATER_TABLES) & set(sa.inspect(connection).get_table_names())
    migrations.upgrade(engine)
    assert revision(engine) == migrations.head()
    with engine.connect() as connection:
        assert differences(connection) == []


def test_the_console_checks_the_revision_where_it_may_not_migrate(url: str, engine: Engine) -> None:
    make_legacy(engine)
    with pytest.raises(SchemaMissing) as raised:
        Database.connect(url, create=False)
    assert "has no schema version" in str(raised.value)
    assert "python -m assistant.ops.db_roles setup" in str(raised.value)
    migrations.upgrade(engine)
    Database.connect(url, create=False).close()


# --- the command line -------------------------------------------------------------------------


def test_db_upgrade_and_current_commands(
    url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CONSOLE_DB_URL", url)
    make_legacy(engine)
    assert cli.main(["db", "current"]) == 0
    assert f"Revision none (newest: {migrations.head()})" in capsys.readouterr().out
    assert cli.main(["db", "upgrade"]) == 0
    assert f"Revision {migrations.head()} " in capsys.readouterr().out
    assert revision(engine) == migrations.head()


@pytest.fixture
def scratch_versions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The revisions copied to a scratch folder that ``db revision`` then writes into."""
    folder = tmp_path / "versions"
    folder.mkdir()
    for path in migrations.VERSIONS.glob("*.py"):
        shutil.copy(path, folder / path.name)
    monkeypatch.setattr(migrations, "VERSIONS", folder)
    return folder


def test_the_revisions_leave_nothing_for_a_new_revision_to_do(
    scratch_versions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    following = migrations.next_revision_id()
    assert cli.main(["db", "revision", "-m", "nothing changed"]) == 0
    written = scratch_versions / f"{following}_nothing_changed.py"
    text = written.read_text()
    assert "op." not in text, text  # the migrated schema is schema.py's


def test_a_new_revision_from_a_change_to_schema_py(
    scratch_versions: Path, url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed = sa.MetaData()
    for table in schema.metadata.sorted_tables:
        table.to_metadata(changed)
    notes = changed.tables[schema.notes.name]
    notes.append_column(sa.Column("edited_at", sa.Float))
    sa.Index("ix_console_notes_author", notes.c.author)
    monkeypatch.setattr(schema, "metadata", changed)
    Database.connect(url).close()  # at the newest revision, with a note in it
    with engine.begin() as connection:
        add_note(connection, 1, "a note from before", "rita")
    following = migrations.next_revision_id()

    path = migrations.new_revision("notes edited at")

    assert path.parent == scratch_versions and path.name == f"{following}_notes_edited_at.py"
    assert "add_column" in path.read_text() and "ix_console_notes_author" in path.read_text()
    assert migrations.head() == following
    migrations.upgrade(engine)
    with engine.connect() as connection:
        assert differences(connection) == []
        row = connection.execute(sa.text("SELECT body, edited_at FROM console_notes")).one()
    assert tuple(row) == ("a note from before", None)


# --- PostgreSQL (the production profile), when installed --------------------------------------


@pytest.fixture(scope="module")
def postgres() -> Iterator[ProductionPostgres]:
    with production_postgres() as started:
        yield started


def test_postgres_the_setup_migrates_as_the_owner(postgres: ProductionPostgres) -> None:
    owner = sa.create_engine(postgres.owner, future=True)
    try:
        assert revision(owner) == migrations.head()
        with owner.connect() as connection:
            assert differences(connection) == []
            version_owner = connection.execute(
                sa.text("SELECT tableowner FROM pg_tables WHERE tablename = :t"),
                {"t": migrations.VERSION_TABLE},
            ).scalar_one()
        assert version_owner == postgres.postgres.roles.owner
    finally:
        owner.dispose()
    # The console's role reads the revision and creates nothing.
    console = Database.connect(postgres.postgres.url("console"))
    try:
        console.call(migrations.upgrade)  # at the newest: only reads
    finally:
        console.close()


def test_postgres_a_database_of_before_is_upgraded_with_its_rows(
    postgres: ProductionPostgres,
) -> None:
    name = f"before_{int(time.time() * 1000)}"
    admin = sa.create_engine(
        postgres.postgres.admin_url(), isolation_level="AUTOCOMMIT", future=True
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    engine = make_engine(postgres.postgres.admin_url(name))
    try:
        make_legacy(engine)
        fill(engine)
        before = snapshot(engine)
        migrations.upgrade(engine)
        assert revision(engine) == migrations.head()
        assert snapshot(engine, like=before) == before
        with engine.connect() as connection:
            assert differences(connection) == []
        assert_audit_is_append_only(engine)
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with engine.begin() as connection:
                connection.exec_driver_sql("TRUNCATE console_audit")
    finally:
        engine.dispose()
