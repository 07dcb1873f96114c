"""The idempotency keys: claim once, answer repeats from one row, wait for a live attempt,
take over from a dead one, forget, prune; in memory, on SQLite and on PostgreSQL (with a role
that cannot create tables, as in production)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Iterator, List

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain

from assistant.channels.replica_liveness import PostgresLiveness, ProcessLiveness
from assistant.channels.replies_store import (
    AnsweredRequests,
    Backend,
    ClaimState,
    MemoryBackend,
    MissingTableError,
    RepliesUnavailable,
    SqlBackend,
    backend_for,
)
from assistant.stores.replica_tables import (
    SMS_REQUESTS,
    WEB_REQUESTS,
    add_missing_columns,
    sms_messages,
    web_client_messages,
)
from assistant.stores.tracker_store import StrictSQLTrackerStore
from tests.support.postgres import ProductionPostgres

ROOT = Path(__file__).resolve().parents[3]
KEY = ("web-abc", "c1")
REPLIES = [{"role": "bot", "text": "Call us", "buttons": [], "kb_entry": "support.handoff_open"}]


def _reset_postgres(postgres: ProductionPostgres, create: bool) -> None:
    """Drop the tables and, with ``create``, make them as the schema owner does."""
    postgres.drop(web_client_messages, sms_messages)
    if create:
        postgres.set_up()


def _engine(request: pytest.FixtureRequest, tmp_path: Path) -> sa.engine.Engine:
    if request.param == "sqlite":
        return sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}", hide_parameters=True)
    postgres: ProductionPostgres = request.getfixturevalue("web_postgres")
    _reset_postgres(postgres, create=True)
    return sa.create_engine(postgres.rasa, hide_parameters=True)


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "memory":
        yield MemoryBackend()
        return
    engine = _engine(request, tmp_path)
    yield SqlBackend.open(engine, WEB_REQUESTS)
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.engine.Engine]:
    found = _engine(request, tmp_path)
    yield found
    found.dispose()


def _replica(engine: sa.engine.Engine, spec: Any = WEB_REQUESTS) -> SqlBackend:
    """A backend as one replica has it: its own liveness, alive until closed."""
    SqlBackend.open(engine, spec)  # creates the table on SQLite
    if engine.dialect.name == "postgresql":
        return SqlBackend(engine, spec, PostgresLiveness(engine))
    return SqlBackend(engine, spec, ProcessLiveness())


def test_a_first_attempt_claims_the_id_and_a_second_finds_it_busy(backend: Backend) -> None:
    assert backend.claim(KEY, 100.0, 0.0).state is ClaimState.CLAIMED
    assert backend.claim(KEY, 101.0, 0.0).state is ClaimState.BUSY
    # Another session with the same client id is another row.
    assert backend.claim(("web-other", "c1"), 101.0, 0.0).state is ClaimState.CLAIMED


def test_recorded_replies_answer_every_retry(backend: Backend) -> None:
    backend.claim(KEY, 100.0, 0.0)
    backend.record(KEY, REPLIES, 102.0)
    for _ in range(3):
        claim = backend.claim(KEY, 103.0, 0.0)
        assert claim.state is ClaimState.ANSWERED
        assert claim.replies == REPLIES


def test_a_released_id_can_be_claimed_again(backend: Backend) -> None:
    backend.claim(KEY, 100.0, 0.0)
    backend.release(KEY)
    assert backend.claim(KEY, 101.0, 0.0).state is ClaimState.CLAIMED
    backend.record(KEY, REPLIES, 102.0)
    backend.release(KEY)  # answered: releasing keeps the replies
    assert backend.claim(KEY, 103.0, 0.0).state is ClaimState.ANSWERED


def test_an_attempt_that_went_stale_is_taken_over(backend: Backend) -> None:
    backend.claim(KEY, 100.0, 0.0)
    assert backend.claim(KEY, 150.0, stale_before=90.0).state is ClaimState.BUSY
    taken = backend.claim(KEY, 250.0, stale_before=130.0)
    assert taken.state is ClaimState.CLAIMED and taken.taken_over
    assert backend.claim(KEY, 251.0, stale_before=131.0).state is ClaimState.BUSY


def test_forget_drops_one_session_and_prune_drops_old_rows(backend: Backend) -> None:
    for client_id, at in (("a", 100.0), ("b", 200.0)):
        backend.claim(("web-1", client_id), at, 0.0)
        backend.record(("web-1", client_id), REPLIES, at)
    backend.claim(("web-2", "a"), 100.0, 0.0)
    backend.record(("web-2", "a"), REPLIES, 100.0)
    backend.claim(("web-2", "old"), 50.0, 0.0)
    backend.forget("web-1")
    for key in (("web-1", "a"), ("web-1", "b")):
        assert backend.claim(key, 300.0, 0.0).state is ClaimState.CLAIMED
    assert backend.claim(("web-2", "a"), 300.0, 0.0).state is ClaimState.ANSWERED
    backend.prune(before=99.0)
    assert backend.claim(("web-2", "old"), 300.0, 0.0).state is ClaimState.CLAIMED  # pruned
    assert backend.claim(("web-2", "a"), 300.0, 0.0).state is ClaimState.ANSWERED
    backend.prune(before=101.0)
    assert backend.claim(("web-2", "a"), 300.0, 0.0).state is ClaimState.CLAIMED


def test_replies_of_a_forgotten_id_are_not_stored(backend: Backend) -> None:
    backend.claim(KEY, 100.0, 0.0)
    backend.forget(KEY[0])  # "End chat" while the bot was answering
    backend.record(KEY, REPLIES, 101.0)
    assert backend.claim(KEY, 102.0, 0.0).state is ClaimState.CLAIMED


def test_memory_is_bounded() -> None:
    backend = MemoryBackend(max_entries=3)
    for index in range(5):
        backend.claim(("web-1", str(index)), float(index), 0.0)
    assert len(backend) == 3
    assert backend.claim(("web-1", "0"), 10.0, 0.0).state is ClaimState.CLAIMED  # evicted


# --- Replicas: a live owner is waited for, a dead one is taken over at once -----------------


def test_a_live_replicas_claim_is_busy_and_a_dead_ones_is_taken_over(
    engine: sa.engine.Engine,
) -> None:
    first, second = _replica(engine), _replica(engine)
    try:
        assert first.claim(KEY, 100.0, 0.0).state is ClaimState.CLAIMED
        assert second.claim(KEY, 101.0, 0.0).state is ClaimState.BUSY  # alive: wait
        first.liveness.close()  # the first replica's process ends
        taken = second.claim(KEY, 102.0, 0.0)
        assert taken.state is ClaimState.CLAIMED and taken.taken_over
        assert first.claim(KEY, 103.0, 0.0).state is ClaimState.BUSY  # the second is alive
        second.record(KEY, REPLIES, 104.0)
        assert first.claim(KEY, 105.0, 0.0).replies == REPLIES
    finally:
        first.liveness.close()
        second.liveness.close()


def test_of_simultaneous_deliveries_to_many_replicas_exactly_one_claims(
    engine: sa.engine.Engine,
) -> None:
    replicas = [_replica(engine, SMS_REQUESTS) for _ in range(4)]
    try:

        async def deliver() -> List[ClaimState]:
            stores = [AnsweredRequests(replica) for replica in replicas for _ in range(4)]
            claims = await asyncio.gather(*(store.claim("SMsame") for store in stores))
            return [claim.state for claim in claims]

        states = asyncio.run(deliver())
    finally:
        for replica in replicas:
            replica.liveness.close()
    assert states.count(ClaimState.CLAIMED) == 1
    assert states.count(ClaimState.BUSY) == 15


_CLAIM_AND_HANG = """
import sys, time
import sqlalchemy as sa
from assistant.channels.replica_liveness import PostgresLiveness
from assistant.channels.replies_store import SqlBackend
from assistant.stores.replica_tables import SMS_REQUESTS
engine = sa.create_engine(sys.argv[1])
backend = SqlBackend(engine, SMS_REQUESTS, PostgresLiveness(engine))
assert backend.claim(("SMkilled",), time.time(), 0.0).state.value == "claimed"
print("claimed", flush=True)
time.sleep(600)
"""


def test_a_replica_killed_mid_request_is_taken_over_within_a_second(
    web_postgres: ProductionPostgres,
) -> None:
    """A real process claims a MessageSid and is SIGKILLed: the database drops its lock with
    its connection, and the next repeat answers instead of waiting."""
    _reset_postgres(web_postgres, create=True)
    engine = sa.create_engine(web_postgres.rasa, hide_parameters=True)
    survivor = SqlBackend(engine, SMS_REQUESTS, PostgresLiveness(engine))
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_CLAIM_AND_HANG), web_postgres.rasa],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "claimed"
        assert survivor.claim(("SMkilled",), time.time(), 0.0).state is ClaimState.BUSY
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        killed_at = time.monotonic()
        claim = survivor.claim(("SMkilled",), time.time(), 0.0)
        while claim.state is ClaimState.BUSY and time.monotonic() - killed_at < 5:
            time.sleep(0.01)
            claim = survivor.claim(("SMkilled",), time.time(), 0.0)
        assert claim.state is ClaimState.CLAIMED and claim.taken_over
        assert time.monotonic() - killed_at < 1.0
    finally:
        child.kill()
        survivor.liveness.close()
        engine.dispose()


async def test_a_waiting_repeat_takes_over_when_the_owner_dies(
    engine: sa.engine.Engine,
) -> None:
    first, second = _replica(engine), _replica(engine)
    store = AnsweredRequests(second)
    try:
        assert first.claim(KEY, time.time(), 0.0).state is ClaimState.CLAIMED

        async def die_later() -> None:
            await asyncio.sleep(0.2)
            first.liveness.close()

        dying = asyncio.ensure_future(die_later())
        started = time.monotonic()
        claim = await store.wait(*KEY, timeout_s=5.0)
        await dying
        assert claim.state is ClaimState.CLAIMED and claim.taken_over
        assert time.monotonic() - started < 1.5
    finally:
        first.liveness.close()
        second.liveness.close()


# --- Tables ---------------------------------------------------------------------------------


def test_sqlite_table_is_created_once_and_shared_with_the_tracker_store(tmp_path: Path) -> None:
    tracker_store = StrictSQLTrackerStore(
        Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db")
    )
    found = backend_for(FailSafeTrackerStore(tracker_store), WEB_REQUESTS)  # as Rasa wraps it
    assert isinstance(found, SqlBackend) and found.engine is tracker_store.engine
    assert sa.inspect(tracker_store.engine).has_table(web_client_messages.name)
    again = backend_for(tracker_store, WEB_REQUESTS)  # the table is there: no error
    again.claim(KEY, 1.0, 0.0)
    assert found.claim(KEY, 2.0, 0.0).state is ClaimState.BUSY


def test_without_an_sql_tracker_store_the_rows_are_kept_in_memory() -> None:
    assert isinstance(backend_for(None, WEB_REQUESTS), MemoryBackend)
    in_memory = FailSafeTrackerStore(InMemoryTrackerStore(Domain.empty()))
    assert isinstance(backend_for(in_memory, WEB_REQUESTS), MemoryBackend)


def test_on_postgresql_a_missing_table_is_an_error_naming_it(
    web_postgres: ProductionPostgres,
) -> None:
    _reset_postgres(web_postgres, create=False)
    engine = sa.create_engine(web_postgres.rasa, hide_parameters=True)
    try:
        with pytest.raises(MissingTableError, match="web_client_messages"):
            SqlBackend.open(engine, WEB_REQUESTS)
        with engine.connect() as connection:  # and nothing was created by the app's role
            assert not sa.inspect(connection).has_table(web_client_messages.name)
    finally:
        engine.dispose()
        _reset_postgres(web_postgres, create=True)


_OLDER_SMS_TABLE = (
    "CREATE TABLE sms_messages (message_sid VARCHAR(64) PRIMARY KEY, received_at FLOAT NOT NULL)"
)


def test_an_older_sms_table_gets_its_new_columns_and_old_sids_stay_answered(
    engine: sa.engine.Engine, web_postgres: ProductionPostgres
) -> None:
    """A MessageSid handled by the version that only refused replays is answered (empty),
    never processed again, after the upgrade."""
    setup_engine = engine
    if engine.dialect.name == "postgresql":
        web_postgres.drop(sms_messages)
        setup_engine = sa.create_engine(web_postgres.owner, future=True)
    with setup_engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS sms_messages")
        connection.exec_driver_sql(_OLDER_SMS_TABLE)
        connection.exec_driver_sql("INSERT INTO sms_messages VALUES ('SMold', 1.0)")
    if engine.dialect.name == "postgresql":
        setup_engine.dispose()
        with pytest.raises(MissingTableError, match=r"sms_messages\.replies"):
            SqlBackend.open(engine, SMS_REQUESTS)  # the replicas' role may not add it
        web_postgres.set_up()  # what make run-prod runs on every start
    backend = SqlBackend.open(engine, SMS_REQUESTS)
    try:
        old = backend.claim(("SMold",), 2.0, 0.0)
        assert old.state is ClaimState.ANSWERED and old.replies == []
        assert backend.claim(("SMnew",), 2.0, 0.0).state is ClaimState.CLAIMED
        with engine.connect() as connection:
            assert add_missing_columns(connection) == []  # nothing left to add
    finally:
        if engine.dialect.name == "postgresql":
            _reset_postgres(web_postgres, create=True)


# --- The async wrapper ----------------------------------------------------------------------


class _BrokenBackend(MemoryBackend):
    blocking = True

    def claim(self, key: Any, now: float, stale_before: float) -> Any:
        raise sa.exc.OperationalError("SELECT secret", {"sender_id": "web-secret"}, Exception())

    def record(self, key: Any, replies: Any, now: float) -> None:
        raise sa.exc.OperationalError("UPDATE", {"replies": "patient words"}, Exception())


async def test_database_errors_name_only_their_type(caplog: pytest.LogCaptureFixture) -> None:
    store = AnsweredRequests(_BrokenBackend("web_client_messages"))
    with pytest.raises(RepliesUnavailable) as raised:
        await store.claim("web-secret", "c1")
    assert str(raised.value) == "web_client_messages claim failed: OperationalError"
    await store.record(("web-secret", "c1"), [{"text": "patient words"}])  # logged, not raised
    assert "OperationalError" in caplog.text
    assert "patient words" not in caplog.text and "web-secret" not in caplog.text


async def test_database_calls_run_off_the_event_loop(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    store = AnsweredRequests(SqlBackend.open(engine, WEB_REQUESTS))  # opened in a thread
    threads: List[bool] = []
    sa.event.listen(
        engine,
        "before_cursor_execute",
        lambda *args: threads.append(_on_loop_thread()),
    )
    await store.claim(*KEY)
    await store.record(KEY, REPLIES)
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
    store = AnsweredRequests(MemoryBackend())
    assert (await store.claim(*KEY)).state is ClaimState.CLAIMED
    assert (await store.claim(*KEY)).state is ClaimState.BUSY
    started = time.monotonic()
    assert (await store.wait(*KEY, timeout_s=0.2)).state is ClaimState.BUSY
    # asyncio runs a timer that is due within its clock's resolution early (0.1998 s seen).
    assert 0.19 <= time.monotonic() - started < 1.0

    async def answer_later() -> None:
        await asyncio.sleep(0.1)
        await store.record(KEY, REPLIES)

    later = asyncio.ensure_future(answer_later())
    answered = await store.wait(*KEY, timeout_s=2.0)
    assert answered.state is ClaimState.ANSWERED and answered.replies == REPLIES
    await later


async def test_old_rows_are_pruned_now_and_then() -> None:
    now = [1000.0]
    backend = MemoryBackend()
    store = AnsweredRequests(backend, keep_s=100, clock=lambda: now[0], prune_every_s=50)
    await store.claim("web-1", "old")
    now[0] += 150  # "old" is past keep_s, and a prune is due
    await store.claim("web-1", "new")
    assert len(backend) == 1
    assert (await store.claim("web-1", "old")).state is ClaimState.CLAIMED


def test_keys_are_kept_a_day_by_default() -> None:
    assert AnsweredRequests(MemoryBackend()).keep_s == 24 * 3600
