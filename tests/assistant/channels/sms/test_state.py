"""SMS state (opt-outs, menus, handled MessageSids) in the tracker database: the same
behaviour on the development SQLite file and on PostgreSQL, atomic under concurrency."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest
import sqlalchemy as sa

from assistant.channels.sms.state import (
    STATE_TABLES,
    MissingTablesError,
    SmsState,
    StateDatabaseError,
    database_url,
    sqlite_url,
)
from assistant.stores.replica_tables import metadata
from tests.assistant.channels.sms.conftest import PostgresUrls

ALICE = "sms-" + "a" * 40
BOB = "sms-" + "b" * 40


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def reset_postgres(urls: PostgresUrls, create: bool = True) -> None:
    """Drop the state tables and, unless told not to, create them empty with the Rasa role's
    grants (as the schema owner's setup does in production)."""
    urls.drop(*STATE_TABLES)
    if create:
        urls.set_up()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "state" / "sms.db")
    urls: PostgresUrls = request.getfixturevalue("postgres_urls")
    reset_postgres(urls)
    return urls.rasa


@pytest.fixture
def state(url: str) -> Iterator[SmsState]:
    opened = SmsState(url)
    yield opened
    opened.close()


def run_together(count: int, work: Callable[[int], Any]) -> List[Any]:
    """Run ``work(i)`` in ``count`` threads that start at the same moment."""
    barrier = threading.Barrier(count)

    def start(i: int) -> Any:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(start, range(count)))


# --- Where the state lives ------------------------------------------------------------------


def test_the_url_comes_from_the_environment() -> None:
    assert database_url({}) == "sqlite:///.state/sms.db"
    assert database_url({"SMS_STATE_DB": "/var/x/sms.db"}) == "sqlite:////var/x/sms.db"
    pg = "postgresql://rasa:pw@db.internal:5432/assistant"
    assert database_url({"SMS_STATE_DB_URL": pg, "SMS_STATE_DB": "/var/x/sms.db"}) == pg
    assert database_url({"SMS_STATE_DB_URL": " ", "SMS_STATE_DB": "/x.db"}) == "sqlite:////x.db"


def test_the_sqlite_file_folder_and_tables_are_created(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "sms.db"
    state = SmsState(sqlite_url(path))
    try:
        assert path.is_file()
        assert set(sa.inspect(state.engine).get_table_names()) >= {t.name for t in STATE_TABLES}
    finally:
        state.close()


@pytest.mark.parametrize(
    "bad_url", ["mysql://rasa:hunter2hunter2@db/assistant", "oracle://rasa:hunter2hunter2@db/x"]
)
def test_other_databases_are_refused_by_name_without_the_password(bad_url: str) -> None:
    with pytest.raises(ValueError, match="SQLite or PostgreSQL") as caught:
        SmsState(bad_url)
    assert bad_url.split("://")[0] in str(caught.value)
    assert "hunter2hunter2" not in str(caught.value)


@pytest.mark.parametrize("memory_url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_sqlite_database_is_refused(memory_url: str) -> None:
    with pytest.raises(ValueError, match="SQLite file"):
        SmsState(memory_url)


def test_statement_parameters_are_hidden_from_errors(state: SmsState) -> None:
    assert state.engine.hide_parameters is True


def test_a_separate_file_is_a_separate_state(tmp_path: Path) -> None:
    one, two = SmsState(sqlite_url(tmp_path / "one.db")), SmsState(sqlite_url(tmp_path / "two.db"))
    try:
        one.set_opted_out(ALICE, True)
        assert two.is_opted_out(ALICE) is False
    finally:
        one.close()
        two.close()


# --- Opt-outs and menus ---------------------------------------------------------------------


def test_opt_out_defaults_to_false(state: SmsState) -> None:
    assert state.is_opted_out(ALICE) is False


def test_opt_out_round_trip(state: SmsState) -> None:
    state.set_opted_out(ALICE, True)
    assert state.is_opted_out(ALICE) is True
    state.set_opted_out(ALICE, False)
    assert state.is_opted_out(ALICE) is False
    state.set_opted_out(ALICE, True)
    assert state.is_opted_out(ALICE) is True


def test_setting_the_same_opt_out_twice_is_fine(state: SmsState) -> None:
    state.set_opted_out(ALICE, True)
    state.set_opted_out(ALICE, True)
    assert state.is_opted_out(ALICE) is True


def test_menu_defaults_to_empty(state: SmsState) -> None:
    assert state.menu(ALICE) == []


def test_menu_round_trip_keeps_order(state: SmsState) -> None:
    payloads = ["/ask_side_effects", '/ask_cost{"topic": "copay"}', "/handoff"]
    state.set_menu(ALICE, payloads)
    assert state.menu(ALICE) == payloads


def test_a_new_menu_replaces_the_old(state: SmsState) -> None:
    state.set_menu(ALICE, ["/one", "/two", "/three"])
    state.set_menu(ALICE, ["/four"])
    assert state.menu(ALICE) == ["/four"]


def test_empty_menu_clears(state: SmsState) -> None:
    state.set_menu(ALICE, ["/one", "/two"])
    state.set_menu(ALICE, [])
    assert state.menu(ALICE) == []
    state.set_menu(ALICE, [])  # clearing an absent menu is fine too
    assert state.menu(ALICE) == []


def test_menu_is_a_copy(state: SmsState) -> None:
    state.set_menu(ALICE, ["/one"])
    state.menu(ALICE).append("/two")
    assert state.menu(ALICE) == ["/one"]


def test_state_survives_a_restart(url: str) -> None:
    first = SmsState(url)
    first.set_opted_out(ALICE, True)
    first.set_menu(BOB, ["/one", "/two"])
    first.close()

    second = SmsState(url)
    try:
        assert second.is_opted_out(ALICE) is True
        assert second.is_opted_out(BOB) is False
        assert second.menu(BOB) == ["/one", "/two"]
        assert second.menu(ALICE) == []
        second.set_opted_out(ALICE, False)
    finally:
        second.close()

    third = SmsState(url)
    try:
        assert third.is_opted_out(ALICE) is False
    finally:
        third.close()


def test_two_replicas_see_each_others_writes(url: str) -> None:
    writer, reader = SmsState(url), SmsState(url)
    try:
        writer.set_opted_out(ALICE, True)
        writer.set_menu(ALICE, ["/one"])
        assert reader.is_opted_out(ALICE) is True
        assert reader.menu(ALICE) == ["/one"]
    finally:
        writer.close()
        reader.close()


def test_conversations_are_independent(state: SmsState) -> None:
    state.set_opted_out(ALICE, True)
    state.set_menu(ALICE, ["/alice"])
    assert state.is_opted_out(BOB) is False
    assert state.menu(BOB) == []

    state.set_menu(BOB, ["/bob1", "/bob2"])
    state.set_menu(ALICE, [])
    state.set_opted_out(BOB, True)
    state.set_opted_out(ALICE, False)
    assert state.menu(BOB) == ["/bob1", "/bob2"]
    assert state.menu(ALICE) == []
    assert state.is_opted_out(BOB) is True
    assert state.is_opted_out(ALICE) is False


def test_is_opted_out_any(state: SmsState) -> None:
    assert state.is_opted_out_any() is False
    state.set_opted_out(ALICE, False)
    assert state.is_opted_out_any() is False
    state.set_opted_out(BOB, True)
    assert state.is_opted_out_any() is True
    state.set_opted_out(BOB, False)
    assert state.is_opted_out_any() is False


def test_concurrent_opt_out_writes_never_conflict(url: str) -> None:
    replicas = [SmsState(url) for _ in range(3)]
    try:
        # Every thread inserts the same new row at once: a read-then-write would collide.
        run_together(12, lambda i: replicas[i % 3].set_opted_out(ALICE, True))
        assert replicas[0].is_opted_out(ALICE) is True
        run_together(12, lambda i: replicas[i % 3].set_menu(BOB, [f"/choice{i}"]))
        assert len(replicas[1].menu(BOB)) == 1
    finally:
        for replica in replicas:
            replica.close()


# --- PostgreSQL: the schema owner creates the tables ----------------------------------------


def test_the_rasa_role_works_without_create_and_never_tries_it(
    postgres_urls: PostgresUrls,
) -> None:
    reset_postgres(postgres_urls)
    state = SmsState(postgres_urls.rasa)
    try:
        state.set_opted_out(ALICE, True)
        state.set_menu(ALICE, ["/one"])
        state.set_menu(ALICE, [])
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            metadata.create_all(
                state.engine, tables=[sa.Table("x", sa.MetaData(), sa.Column("a", sa.Integer))]
            )
    finally:
        state.close()


def test_missing_tables_stop_the_channel_at_startup(postgres_urls: PostgresUrls) -> None:
    reset_postgres(postgres_urls, create=False)
    try:
        with pytest.raises(MissingTablesError) as caught:
            SmsState(postgres_urls.rasa)
        message = str(caught.value)
        for table in STATE_TABLES:
            assert table.name in message
        assert "schema owner" in message
        password = sa.engine.make_url(postgres_urls.rasa).password
        assert password and password not in message
    finally:
        reset_postgres(postgres_urls)


def test_one_missing_table_is_named(postgres_urls: PostgresUrls) -> None:
    reset_postgres(postgres_urls)
    engine = sa.create_engine(postgres_urls.owner, future=True)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE sms_messages"))
        with pytest.raises(MissingTablesError, match="sms_messages") as caught:
            SmsState(postgres_urls.rasa)
        assert "sms_opt_outs" not in str(caught.value)
    finally:
        engine.dispose()
        reset_postgres(postgres_urls)


def test_an_unreachable_database_is_named_without_the_password(
    postgres_urls: PostgresUrls,
) -> None:
    wrong = sa.engine.make_url(postgres_urls.rasa).set(password="not-the-password-42")
    with pytest.raises(StateDatabaseError, match="cannot read the SMS state database") as caught:
        SmsState(wrong.render_as_string(hide_password=False))
    assert "not-the-password-42" not in str(caught.value)
    assert f"{postgres_urls.postgres.roles.rasa}:***@127.0.0.1" in str(caught.value)
    assert "password authentication failed" in str(caught.value)


def test_database_errors_do_not_show_the_values(postgres_urls: PostgresUrls) -> None:
    reset_postgres(postgres_urls)
    state = SmsState(postgres_urls.rasa)
    too_long = "sms-" + "secretvalue" * 20  # longer than the column
    try:
        with pytest.raises(sa.exc.DBAPIError) as caught:
            state.set_opted_out(too_long, True)
        assert "secretvalue" not in str(caught.value)
    finally:
        state.close()
