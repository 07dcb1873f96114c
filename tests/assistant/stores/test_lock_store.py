"""The atomic Redis lock store against a real Redis (Debian's redis-server): tickets stay
unique when many replicas ask at once, and are served in order."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from pathlib import Path
from typing import Iterator, List

import pytest
from rasa.utils.endpoints import EndpointConfig

from assistant.ops.processes import free_port
from assistant.stores.lock_store import AtomicRedisLockStore

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    subprocess.run([str(ROOT / "scripts" / "ensure_prod_packages.sh")], check=True)
    from assistant.ops.services import Redis

    server = Redis(tmp_path_factory.mktemp("redis"), free_port(), "test-password-0123456789")
    server.start()
    yield server.port
    server.stop()


def _store(port: int) -> AtomicRedisLockStore:
    config = EndpointConfig(
        url="127.0.0.1",
        type="assistant.stores.lock_store.AtomicRedisLockStore",
        port=port,
        password="test-password-0123456789",
        key_prefix="test",
    )
    return AtomicRedisLockStore(endpoint_config=config)


def test_it_is_built_from_an_endpoints_entry(redis_port: int) -> None:
    from rasa.core.lock_store import LockStore

    config = EndpointConfig(
        url="127.0.0.1",
        type="assistant.stores.lock_store.AtomicRedisLockStore",
        port=redis_port,
        password="test-password-0123456789",
    )
    assert isinstance(LockStore.create(config), AtomicRedisLockStore)


def test_tickets_are_unique_when_many_replicas_ask_at_once(redis_port: int) -> None:
    stores = [_store(redis_port) for _ in range(8)]  # one client per "replica"
    tickets: List[int] = []
    start = threading.Barrier(len(stores) * 5)

    def ask(store: AtomicRedisLockStore) -> None:
        start.wait()
        tickets.append(store.issue_ticket("conversation-1"))

    threads = [threading.Thread(target=ask, args=(s,)) for s in stores for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(tickets) == list(range(40))
    lock = stores[0].get_lock("conversation-1")
    assert lock is not None and lock.now_serving == 0 and lock.last_issued == 39


async def test_holders_take_turns_and_the_lock_is_removed_after(redis_port: int) -> None:
    store_a, store_b = _store(redis_port), _store(redis_port)
    order: List[str] = []

    async def turn(store: AtomicRedisLockStore, name: str) -> None:
        async with store.lock("conversation-2", wait_time_in_seconds=0.05):
            order.append(f"{name} in")
            await asyncio.sleep(0.2)
            order.append(f"{name} out")

    await asyncio.gather(turn(store_a, "a"), turn(store_b, "b"))
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
    assert store_a.get_lock("conversation-2") is None
