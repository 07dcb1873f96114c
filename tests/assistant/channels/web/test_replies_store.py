"""The client-id rows: claim once, answer retries from one row, forget, prune; in memory, on
SQLite and on PostgreSQL (with a role that cannot create tables, as in production)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Iterator, List

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain

from assistant.channels.web.replies_store import (
    Backend,
    ClaimState,
    ClientMessages,
    ClientMessagesUnavailable,
    MemoryBackend,
    MissingTableError,
    SqlBackend,
    backend_for,
)
from assistant.stores.replica_tables import web_client_messages
from assistant.stores.tracker_store import StrictSQLTrackerStore
from tests.support.postgres import ProductionPostgres

KEY = ("web-abc", "c1")
REPLIES = [{"role": "bot", "text": "Call us", "buttons": [], "kb_entry": "support.handoff_open"}]


def _reset_postgres(postgres: ProductionPostgres, create: bool) -> None:
    """Drop the table and, with ``create``, make it as the schema owner does in production."""
    postgres.drop(web_client_messages)
    if create:
        postgres.set_up()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "memory":
        yield MemoryBackend()
        return
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}", hide_parameters=True)
    else:
        postgres: ProductionPostgres = request.getfixturevalue("web_postgres")
        _reset_postgres(postgres, create=True)
        engine = sa.create_engine(postgres.rasa, hide_parameters=True)
    yield SqlBackend.open(engine)
    engine.dispose()


def test_a_first_attempt_claims_the_id_and_a_second_finds_it_busy(backend: Backend) -> None:
    assert backend.claim(KEY, 100.0, 0.0).state is ClaimState.CLAIMED
    assert backend.claim(KEY, 101.0, 0.0).state is ClaimState.BUSY
    assert backend.replies(KEY) is None
    # Another session with the same client id is another row.
    assert backend.claim(("web-other", "c1"), 101.0, 0.0).state is ClaimState.CLAIMED


def test_recorded_replies_answer_every_retry(backend: Backend) -> None:
    backend.claim(KEY, 100.0, 0.0)
    backend.record(KEY, REPLIES, 102.0)
    for _ in range(3):
        claim = backend.claim(KEY, 103.0, 0.0)
        assert claim.state is ClaimState.ANSWERED
        assert claim.replies == REPLIES
    assert backend.replies(KEY) == REPLIES


def test_a_released_id_can_be_claimed_again(backend: Backend) -> None:
    backend.claim(KEY, 100.0, 0.0)
    backend.release(KEY)
    assert backend.claim(KEY, 101.0, 0.0).state is ClaimState.CLAIMED
    backend.record(KEY, REPLIES, 102.0)
    backend.release(KEY)  # answered: releasing keeps the replies
    assert backend.claim(KEY, 103.0, 0.0).state is ClaimState.ANSWERED


def test_an_attempt_that_died_is_taken_over_after_a_while(backend: Backend) -> None:
    backend.claim(KEY, 100.0, 0.0)
    assert backend.claim(KEY, 150.0, stale_before=90.0).state is ClaimState.BUSY
    assert backend.claim(KEY, 250.0, stale_before=130.0).state is ClaimState.CLAIMED
    assert backend.claim(KEY, 251.0, stale_before=131.0).state is ClaimState.BUSY


def test_forget_drops_one_session_and_prune_drops_old_rows(backend: Backend) -> None:
    for client_id, at in (("a", 100.0), ("b", 200.0)):
        backend.claim(("web-1", client_id), at, 0.0)
        backend.record(("web-1", client_id), REPLIES, at)
    backend.claim(("web-2", "a"), 100.0, 0.0)
    backend.record(("web-2", "a"), REPLIES, 100.0)
    backend.claim(("web-2", "old"), 50.0, 0.0)
    backend.forget("web-1")
    assert backend.replies(("web-1", "a")) is None and backend.replies(("web-1", "b")) is None
    assert backend.replies(("web-2", "a")) == REPLIES
    backend.prune(before=99.0)
    assert backend.claim(("web-2", "old"), 300.0, 0.0).state is ClaimState.CLAIMED  # pruned
    assert backend.replies(("web-2", "a")) == REPLIES
    backend.prune(before=101.0)
    assert backend.replies(("web-2", "a")) is None


def test_replies_of_a_forgotten_id_are_not_stored(backend: Backend) -> None:
    backend.claim(KEY, 100.0, 0.0)
    backend.forget(KEY[0])  # "End chat" while the bot was answering
    backend.record(KEY, REPLIES, 101.0)
    assert backend.replies(KEY) is None


def test_memory_is_bounded() -> None:
    backend = MemoryBackend(max_entries=3)
    for index in range(5):
        backend.claim(("web-1", str(index)), float(index), 0.0)
    assert len(backend) == 3
    assert backend.claim(("web-1", "0"), 10.0, 0.0).state is ClaimState.CLAIMED  # evicted


def test_sqlite_table_is_created_once_and_shared_with_the_tracker_store(tmp_path: Path) -> None:
    tracker_store = StrictSQLTrackerStore(
        Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db")
    )
    found = backend_for(FailSafeTrackerStore(tracker_store))  # as Rasa wraps it
    assert isinstance(found, SqlBackend) and found.engine is tracker_store.engine
    assert sa.inspect(tracker_store.engine).has_table(web_client_messages.name)
    again = backend_for(tracker_store)  # the table is there: no error
    again.claim(KEY, 1.0, 0.0)
    assert found.claim(KEY, 2.0, 0.0).state is ClaimState.BUSY


def test_without_an_sql_tracker_store_the_rows_are_kept_in_memory() -> None:
    assert isinstance(backend_for(None), MemoryBackend)
    assert isinstance(
        backend_for(FailSafeTrackerStore(InMemoryTrackerStore(Domain.empty()))), MemoryBackend
    )


def test_on_postgresql_a_missing_table_is_an_error_naming_it(
    web_postgres: ProductionPostgres,
) -> None:
    _reset_postgres(web_postgres, create=False)
    engine = sa.create_engine(web_postgres.rasa, hide_parameters=True)
    try:
        with pytest.raises(MissingTableError, match="web_client_messages"):
            SqlBackend.open(engine)
        with engine.connect() as connection:  # and nothing was created by the app's role
            assert not sa.inspect(connection).has_table(web_client_messages.name)
    finally:
        engine.dispose()
        _reset_postgres(web_postgres, create=True)


class _BrokenBackend(MemoryBackend):
    blocking = True

    def claim(self, key: Any, now: float, stale_before: float) -> Any:
        raise sa.exc.OperationalError("SELECT secret", {"sender_id": "web-secret"}, Exception())

    def record(self, key: Any, replies: Any, now: float) -> None:
        raise sa.exc.OperationalError("UPDATE", {"replies": "patient words"}, Exception())


async def test_database_errors_name_only_their_type(caplog: pytest.LogCaptureFixture) -> None:
    store = ClientMessages(_BrokenBackend(), keep_s=3600)
    with pytest.raises(ClientMessagesUnavailable) as raised:
        await store.claim("web-secret", "c1")
    assert str(raised.value) == "web_client_messages claim failed: OperationalError"
    await store.record("web-secret", "c1", [{"text": "patient words"}])  # logged, not raised
    assert "OperationalError" in caplog.text
    assert "patient words" not in caplog.text and "web-secret" not in caplog.text


async def test_database_calls_run_off_the_event_loop(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    store = ClientMessages(SqlBackend.open(engine), keep_s=3600)  # the channel opens it in a thread
    threads: List[bool] = []
    sa.event.listen(
        engine,
        "before_cursor_execute",
        lambda *args: threads.append(_on_loop_thread()),
    )
    await store.claim(*KEY)
    await store.record(*KEY, REPLIES)
    assert (await store.claim(*KEY)).replies == REPLIES
    assert threads and not any(threads)
    engine.dispose()


def _on_loop_thread() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def test_waiting_for_another_attempt_returns_its_replies_or_gives_up() -> None:
    store = ClientMessages(MemoryBackend(), keep_s=3600)
    assert (await store.claim(*KEY)).state is ClaimState.CLAIMED
    assert (await store.claim(*KEY)).state is ClaimState.BUSY
    started = time.monotonic()
    assert await store.wait_for_replies(*KEY, timeout_s=0.2) is None
    # asyncio runs a timer that is due within its clock's resolution early (0.1998 s seen).
    assert 0.19 <= time.monotonic() - started < 1.0

    async def answer_later() -> None:
        await asyncio.sleep(0.1)
        await store.record(*KEY, REPLIES)

    later = asyncio.ensure_future(answer_later())
    assert await store.wait_for_replies(*KEY, timeout_s=2.0) == REPLIES
    await later


async def test_old_rows_are_pruned_now_and_then() -> None:
    now = [1000.0]
    backend = MemoryBackend()
    store = ClientMessages(backend, keep_s=100, clock=lambda: now[0], prune_every_s=50)
    await store.claim("web-1", "old")
    now[0] += 150  # "old" is past keep_s, and a prune is due
    await store.claim("web-1", "new")
    assert backend.replies(("web-1", "old")) is None and len(backend) == 1
