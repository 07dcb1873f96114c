"""The PostgreSQL lock store against a real PostgreSQL (the production roles, as the replicas
log in): two replicas take turns on one conversation, other conversations do not wait, a
holder that dies releases the lock at once, and a database that is down gives a
``LockError`` that names only the error type."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator, List

import pytest
import sqlalchemy as sa
from rasa.core.lock_store import InMemoryLockStore, LockError, LockStore
from rasa.core.utils import AvailableEndpoints
from rasa.utils.endpoints import EndpointConfig

from assistant.ops.processes import free_port
from assistant.stores.advisory_locks import Namespace, is_held, key_of
from assistant.stores.health import readiness
from assistant.stores.lock_store import PostgresLockStore
from tests.support.postgres import ProductionPostgres, production_postgres

ROOT = Path(__file__).resolve().parents[3]
TYPE = "assistant.stores.lock_store.PostgresLockStore"


@pytest.fixture(scope="module")
def postgres() -> Iterator[ProductionPostgres]:
    with production_postgres() as running:
        yield running


def _settings(postgres: ProductionPostgres) -> dict[str, Any]:
    """The replicas' role, as deploy/endpoints.prod.yml gives it."""
    url = sa.engine.make_url(postgres.rasa)
    return {
        "url": url.host,
        "port": url.port,
        "db": url.database,
        "username": url.username,
        "password": url.password,
    }


@pytest.fixture
def replicas(postgres: ProductionPostgres) -> Iterator[List[PostgresLockStore]]:
    """Two lock stores with their own pools: two replicas."""
    config = EndpointConfig(type=TYPE, dialect="postgresql", **_settings(postgres))
    stores = [PostgresLockStore(endpoint_config=config) for _ in range(2)]
    yield stores
    for store in stores:
        store.dispose()


def _held(store: PostgresLockStore, conversation_id: str) -> bool:
    with store.engine.connect() as connection:
        return is_held(connection, Namespace.CONVERSATION, key_of(conversation_id))


def test_it_is_built_from_the_production_endpoints_file(
    postgres: ProductionPostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(postgres)
    for name, value in {
        "TRACKER_DB_HOST": settings["url"],
        "TRACKER_DB_PORT": str(settings["port"]),
        "TRACKER_DB_NAME": settings["db"],
        "TRACKER_DB_USER": settings["username"],
        "TRACKER_DB_PASSWORD": settings["password"],
        "ACTION_SERVER_URL": "http://127.0.0.1:9/webhook",
        "ACTION_SERVER_TOKEN": "t" * 24,
    }.items():
        monkeypatch.setenv(name, value)
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "deploy" / "endpoints.prod.yml"))
    store = LockStore.create(endpoints.lock_store)
    assert isinstance(store, PostgresLockStore)
    try:
        store.ping()
    finally:
        store.dispose()


def test_only_postgresql_is_accepted() -> None:
    with pytest.raises(ValueError, match="needs PostgreSQL"):
        PostgresLockStore(dialect="sqlite", db="x.db")


async def test_two_replicas_take_turns_on_one_conversation(
    replicas: List[PostgresLockStore],
) -> None:
    first, second = replicas
    order: List[str] = []
    entered = asyncio.Event()

    async def hold() -> None:
        async with first.lock("conversation-turns"):
            order.append("first in")
            entered.set()
            await asyncio.sleep(0.5)
            order.append("first out")

    async def wait() -> float:
        await entered.wait()
        started = time.monotonic()
        async with second.lock("conversation-turns"):
            order.append("second in")
        return time.monotonic() - started

    _, waited = await asyncio.gather(hold(), wait())
    assert order == ["first in", "first out", "second in"]
    assert 0.3 < waited < 2.0
    assert not _held(first, "conversation-turns")


async def test_many_messages_of_one_conversation_never_overlap(
    replicas: List[PostgresLockStore],
) -> None:
    inside = 0
    most = 0

    async def turn(store: PostgresLockStore) -> None:
        nonlocal inside, most
        async with store.lock("conversation-many"):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(turn(replicas[i % 2]) for i in range(20)))
    assert most == 1


async def test_other_conversations_do_not_wait(replicas: List[PostgresLockStore]) -> None:
    first, second = replicas
    async with first.lock("conversation-a"):
        started = time.monotonic()
        async with second.lock("conversation-b"):
            assert time.monotonic() - started < 0.5


def _holder_pid(store: PostgresLockStore, conversation_id: str) -> int:
    """The server process of the session holding the conversation's lock."""
    query = sa.text(
        "SELECT pid FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND objsubid = 2 "
        "AND classid = :namespace AND objid = :key AND granted"
    )
    key = {"namespace": int(Namespace.CONVERSATION), "key": key_of(conversation_id)}
    with store.engine.connect() as connection:
        pids = connection.execute(query, key).scalars().all()
    assert len(pids) == 1, pids
    return int(pids[0])


async def test_a_holder_whose_connection_dies_releases_the_lock_at_once(
    replicas: List[PostgresLockStore], caplog: pytest.LogCaptureFixture
) -> None:
    first, second = replicas
    async with first.lock("conversation-dropped"):
        pid = _holder_pid(second, "conversation-dropped")
        with second.engine.connect() as connection:  # the same role may end its own sessions
            ended = connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            assert ended.scalar() is True
        started = time.monotonic()
        async with second.lock("conversation-dropped"):
            assert time.monotonic() - started < 1.0  # no lifetime to wait out
    # The first holder's unlock failed on its dead connection: logged, not raised.
    assert "Unlocking failed (OperationalError)" in caplog.text
    assert not _held(first, "conversation-dropped")
    async with first.lock("conversation-dropped"):  # its pool still works
        pass


HOLDER = """
import asyncio, sys
from assistant.stores.lock_store import PostgresLockStore

async def main() -> None:
    store = PostgresLockStore(host=sys.argv[1], port=int(sys.argv[2]), db=sys.argv[3],
                              username=sys.argv[4], password=sys.stdin.readline().strip())
    async with store.lock("conversation-killed"):
        print("held", flush=True)
        await asyncio.sleep(600)

asyncio.run(main())
"""


async def test_a_killed_replica_releases_the_lock_at_once(
    postgres: ProductionPostgres, replicas: List[PostgresLockStore]
) -> None:
    settings = _settings(postgres)
    where = [str(settings[name]) for name in ("url", "port", "db", "username")]
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, *where],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        text=True,
    )
    try:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(settings["password"] + "\n")  # never on a command line
        child.stdin.flush()
        assert await asyncio.to_thread(child.stdout.readline) == "held\n"
        store = replicas[0]
        assert _held(store, "conversation-killed")
        with pytest.raises(LockError, match="not taken within"):
            store.wait_timeout_s = 0.3
            async with store.lock("conversation-killed"):
                pass
        store.wait_timeout_s = 60
        child.send_signal(signal.SIGKILL)  # no goodbye
        killed = time.monotonic()
        async with store.lock("conversation-killed"):
            assert time.monotonic() - killed < 2.0  # not a 60 s ticket lifetime
    finally:
        child.kill()
        child.wait()


async def test_a_database_that_is_down_gives_a_lock_error_without_parameters() -> None:
    store = PostgresLockStore(
        host="127.0.0.1", port=free_port(), db="assistant", username="u", password="secret-pw"
    )
    try:
        with pytest.raises(LockError) as caught:
            async with store.lock("conversation-secret-id"):
                pass
        message = str(caught.value)
        assert message == "conversation lock failed: OperationalError"
        assert caught.value.__cause__ is None and caught.value.__suppress_context__
        with pytest.raises(sa.exc.OperationalError):
            store.ping()
    finally:
        store.dispose()


async def test_ping_and_readiness(replicas: List[PostgresLockStore]) -> None:
    replicas[0].ping()

    class Agent:
        tracker_store = None

        def __init__(self, lock_store: Any) -> None:
            self.lock_store = lock_store

        def is_ready(self) -> bool:
            return True

    assert (await readiness(Agent(replicas[0])))["lock_store"] is True
    assert (await readiness(Agent(InMemoryLockStore())))["lock_store"] is True  # stock, no ping
    down = PostgresLockStore(host="127.0.0.1", port=free_port(), db="assistant", username="u")
    try:
        assert (await readiness(Agent(down)))["lock_store"] is False
    finally:
        down.dispose()


async def test_a_cancelled_waiter_leaves_nothing_held(replicas: List[PostgresLockStore]) -> None:
    first, second = replicas

    async def waiter() -> None:
        async with second.lock("conversation-cancelled"):
            raise AssertionError("never taken while the first holds it")

    async with first.lock("conversation-cancelled"):
        task = asyncio.ensure_future(waiter())
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert not _held(first, "conversation-cancelled")
    async with second.lock("conversation-cancelled"):
        pass
