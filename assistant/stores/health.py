"""Readiness of a Rasa server: model loaded, tracker store and lock store answering.

Served by the REST channel at ``GET /webhooks/rest/ready`` (200 or 503, no details that
could help an attacker beyond which part is down).
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict

CHECK_TIMEOUT_S = 4.0


def _inner(store: Any) -> Any:
    """The store Rasa wraps in FailSafeTrackerStore."""
    return getattr(store, "_tracker_store", store)


def _ping_tracker_store(store: Any) -> None:
    inner = _inner(store)
    ping = getattr(inner, "ping", None)
    if ping is not None:
        ping()


def _ping_lock_store(lock_store: Any) -> None:
    ping = getattr(lock_store, "ping", None)  # PostgresLockStore
    if ping is not None:
        ping()
        return
    red = getattr(lock_store, "red", None)  # Rasa's RedisLockStore (the benchmark's lever)
    if red is not None:
        red.ping()


async def readiness(agent: Any) -> Dict[str, bool]:
    """What is up, part by part."""
    checks: Dict[str, bool] = {"model": bool(agent is not None and agent.is_ready())}
    for name, check, target in (
        ("tracker_store", _ping_tracker_store, getattr(agent, "tracker_store", None)),
        ("lock_store", _ping_lock_store, getattr(agent, "lock_store", None)),
    ):
        try:
            await asyncio.wait_for(asyncio.to_thread(check, target), CHECK_TIMEOUT_S)
            checks[name] = True
        except Exception:  # noqa: BLE001 - any failure means not ready
            checks[name] = False
    return checks
