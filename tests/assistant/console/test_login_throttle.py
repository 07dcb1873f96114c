"""Login throttling: attempts are counted before the password is checked (so parallel
guesses cannot outrun the count), slowed down by name and by address with growing delays,
and the owner still gets in from an address they have logged in from before."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Callable, Dict, List

import httpx
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from assistant.console import accounts, schema
from assistant.console.login_throttle import (
    IP_FAILURE_FACTOR,
    KNOWN_ADDRESS_TTL_S,
    LoginAttempt,
    ThrottlePolicy,
    begin_login_attempt,
    login_succeeded,
    prune_login_records,
    streak_length,
)
from bench.console_harness import PASSWORD, Console, ConsoleClient, ManualClock
from tests.assistant.console.builders import client_at

WRONG = "not the right password at all"
OWNER_HOME = "198.51.100.10"
ATTACKER = "203.0.113.66"
POLICY = ThrottlePolicy(free_failures=5, window_s=900, delay_s=30, max_delay_s=300)


class CountingHasher:
    """Argon2 at minimal cost that counts its password checks; each check also takes a
    while, as real Argon2 does, so parallel requests stay in flight together."""

    def __init__(self, pause_s: float = 0.05) -> None:
        self.inner = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        self.pause_s = pause_s
        self.verified = 0
        self._lock = threading.Lock()

    def verify(self, hashed: str, password: str) -> bool:
        with self._lock:
            self.verified += 1
        time.sleep(self.pause_s)
        return self.inner.verify(hashed, password)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher()
    monkeypatch.setattr(accounts, "_hasher", counting)
    return counting


def failure_rows(console: Console) -> List[sa.engine.Row]:
    table = schema.login_failures
    query = sa.select(table).order_by(table.c.id)
    return console.db.call(lambda connection: list(connection.execute(query)))


async def post_login(client: ConsoleClient, username: str, password: str) -> httpx.Response:
    """The login form posted with the CSRF token this browser already has."""
    return await client.post("/login", {"username": username, "password": password})


# -- reserving before checking: parallel guesses ------------------------------------------


async def test_a_hundred_parallel_guesses_get_at_most_five_password_checks(
    console: Console, hasher: CountingHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    console.add_user("boss", "admin")
    attacker = await client_at(console, ATTACKER)
    await attacker.get("/login")
    in_flight = peak = 0
    run = console.db.run

    async def counting_run(fn: Callable[..., Any], *args: Any) -> Any:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await run(fn, *args)
        finally:
            in_flight -= 1

    monkeypatch.setattr(console.db, "run", counting_run)

    replies = await asyncio.gather(*(post_login(attacker, "boss", WRONG) for _ in range(100)))

    assert peak >= 20, "the requests did not overlap"
    assert hasher.verified <= console.app.ctx.settings.login_max_failures
    statuses = sorted(reply.status_code for reply in replies)
    assert statuses == [401] * hasher.verified + [429] * (100 - hasher.verified)
    assert len(console.audit_rows("login_failed")) == hasher.verified
    assert len(console.audit_rows("login_throttled")) == 100 - hasher.verified
    assert len(failure_rows(console)) == hasher.verified


def test_reservations_from_many_threads_at_once_stop_at_the_limit(console: Console) -> None:
    """The reservation itself, from 40 threads released together, each its own connection."""
    start = threading.Barrier(40)
    results: List[LoginAttempt] = []

    def attempt() -> None:
        start.wait()
        results.append(
            console.db.call(begin_login_attempt, "boss", ATTACKER, console.clock.now, POLICY)
        )

    threads = [threading.Thread(target=attempt) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(result.allowed for result in results) == POLICY.free_failures
    assert len(failure_rows(console)) == POLICY.free_failures


# -- slowing down, not locking out --------------------------------------------------------


async def test_the_owner_gets_in_from_a_known_address_while_the_name_is_attacked(
    console: Console, hasher: CountingHasher
) -> None:
    console.add_user("boss", "admin")
    owner = await client_at(console, OWNER_HOME)
    assert (await owner.login("boss")).status_code == 302  # from now on a known address
    assert (await owner.post("/logout")).status_code == 302

    attacker = await client_at(console, ATTACKER)
    await attacker.get("/login")
    await asyncio.gather(*(post_login(attacker, "boss", WRONG) for _ in range(100)))
    assert (await post_login(attacker, "boss", PASSWORD)).status_code == 429

    checks = hasher.verified
    assert (await owner.login("boss")).status_code == 302
    assert hasher.verified == checks + 1
    assert [row.ip for row in console.audit_rows("login")] == [OWNER_HOME, OWNER_HOME]

    # From an address the owner has not used, the name's delay applies to them too.
    traveller = await client_at(console, "192.0.2.44")
    refused = await traveller.login("boss")
    assert refused.status_code == 429
    assert "Too many failed attempts. Wait 30 seconds, then try again." in refused.text


async def test_a_wrong_password_from_a_known_address_still_counts(
    console: Console, hasher: CountingHasher
) -> None:
    console.add_user("rita")
    rita = await client_at(console, OWNER_HOME)
    assert (await rita.login("rita")).status_code == 302
    await rita.post("/logout")
    for _ in range(6):  # the name is throttled, but a known address gets its password checked
        assert (await rita.login("rita", WRONG)).status_code == 401
    assert len(failure_rows(console)) == 6
    assert (await rita.login("rita")).status_code == 302


async def test_a_known_address_is_still_held_to_the_address_limit(
    console: Console, clock: ManualClock, hasher: CountingHasher
) -> None:
    console.add_user("rita")
    shared = await client_at(console, OWNER_HOME)  # a clinic's one address
    assert (await shared.login("rita")).status_code == 302
    await shared.post("/logout")
    per_address = console.app.ctx.settings.login_max_failures * IP_FAILURE_FACTOR
    for number in range(per_address):
        assert (await shared.login(f"guess{number}", WRONG)).status_code == 401
    checks = hasher.verified
    refused = await shared.login("rita")
    assert refused.status_code == 429
    assert hasher.verified == checks
    assert [row.detail for row in console.audit_rows("login_throttled")] == ["address"]
    clock.advance(console.app.ctx.settings.login_delay_s)
    assert (await shared.login("rita")).status_code == 302


async def test_attempts_inside_the_delay_are_refused_unchecked_and_uncounted(
    console: Console, clock: ManualClock, hasher: CountingHasher
) -> None:
    settings = console.app.ctx.settings
    assert (settings.login_delay_s, settings.login_max_delay_s) == (30, 300)
    console.add_user("rita")
    client = await client_at(console, ATTACKER)
    for _ in range(settings.login_max_failures):
        assert (await client.login("rita", WRONG)).status_code == 401
    checks, failures = hasher.verified, len(failure_rows(console))

    refused = await client.login("rita")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "30"
    assert "Wait 30 seconds, then try again." in refused.text
    clock.advance(29)
    refused = await client.login("rita")
    assert refused.headers["retry-after"] == "1"
    assert "Wait 1 second, then try again." in refused.text
    assert (hasher.verified, len(failure_rows(console))) == (checks, failures)

    clock.advance(1)  # the delay is over: one more try, and the next delay doubles
    assert (await client.login("rita", WRONG)).status_code == 401
    assert hasher.verified == checks + 1
    assert (await client.login("rita")).headers["retry-after"] == "60"
    clock.advance(60)
    assert (await client.login("rita", WRONG)).status_code == 401
    clock.advance(119)
    assert (await client.login("rita")).status_code == 429
    clock.advance(1)
    assert (await client.login("rita")).status_code == 302
    audited = console.audit_rows("login_throttled")
    assert [(row.actor, row.detail, row.ip) for row in audited] == [("rita", "name", ATTACKER)] * 4


async def test_long_waits_are_told_in_minutes(
    console: Console, clock: ManualClock, hasher: CountingHasher
) -> None:
    console.add_user("rita")
    client = await client_at(console, ATTACKER)
    for _ in range(console.app.ctx.settings.login_max_failures):
        await client.login("rita", WRONG)
    for _ in range(3):  # delays of 30, 60 and 120 s
        clock.advance(300)
        assert (await client.login("rita", WRONG)).status_code == 401
    refused = await client.login("rita")
    assert refused.headers["retry-after"] == "240"
    assert "Wait 4 minutes, then try again." in refused.text


async def test_a_right_password_forgives_the_users_own_typos_not_an_attackers(
    console: Console, hasher: CountingHasher
) -> None:
    console.add_user("rita")
    rita = await client_at(console, OWNER_HOME)
    attacker = await client_at(console, ATTACKER)
    for _ in range(2):
        await rita.login("rita", WRONG)
        await attacker.login("rita", WRONG)
    assert (await rita.login("rita")).status_code == 302
    assert [(row.username, row.ip) for row in failure_rows(console)] == [("rita", ATTACKER)] * 2


# -- the policy ---------------------------------------------------------------------------


def test_a_streak_ends_after_a_quiet_window() -> None:
    now = 10_000.0
    assert streak_length([], 900, now) == 0
    assert streak_length([now - 10, now - 20], 900, now) == 2
    assert streak_length([now - 901], 900, now) == 0  # quiet for the whole window
    # Failures 800 s apart stay one streak however long it lasts.
    assert streak_length([now - 800 * i for i in range(1, 10)], 900, now) == 9
    assert streak_length([now - 10, now - 20, now - 1000, now - 1010], 900, now) == 2


def test_the_delay_doubles_up_to_its_cap() -> None:
    now = 10_000.0

    def wait_after(count: int) -> float:
        return POLICY.wait_s([now - i * 0.001 for i in range(count)], now)

    assert [wait_after(n) for n in (0, 4)] == [0.0, 0.0]
    assert [round(wait_after(n)) for n in (5, 6, 7, 8, 9, 10, 30)] == [
        30,
        60,
        120,
        240,
        300,
        300,
        300,
    ]
    assert POLICY.wait_s([now - 40] * 6, now) == 20  # 60 s after the last failure


def test_an_address_gets_more_free_failures_than_a_name() -> None:
    assert POLICY.for_addresses().free_failures == POLICY.free_failures * IP_FAILURE_FACTOR


def test_old_login_records_are_pruned(console: Console) -> None:
    now = console.clock.now
    old = now - POLICY.forget_after_s - 1
    console.db.call(begin_login_attempt, "rita", ATTACKER, old, POLICY)
    console.db.call(begin_login_attempt, "rita", ATTACKER, now, POLICY)
    for username, at in (("old", now - KNOWN_ADDRESS_TTL_S - 1), ("new", now)):
        attempt = console.db.call(begin_login_attempt, username, OWNER_HOME, at, POLICY)
        console.db.call(login_succeeded, attempt, username, OWNER_HOME, at)

    console.db.call(prune_login_records, now, POLICY)

    assert [row.at for row in failure_rows(console)] == [now]
    locks = schema.login_locks
    kept = console.db.call(
        lambda connection: set(connection.execute(sa.select(locks.c.key)).scalars())
    )
    assert kept == {"name:rita", "addr:" + ATTACKER, "name:new", "addr:" + OWNER_HOME}
    known = schema.known_addresses
    users = console.db.call(
        lambda connection: list(connection.execute(sa.select(known.c.username)).scalars())
    )
    assert users == ["new"]


def _env(**values: str) -> Dict[str, str]:
    return {"KNOWLEDGE_DIR": "data/knowledge", **values}


def test_delays_must_fit_in_the_window() -> None:
    from assistant.console.settings import ConsoleSettings

    with pytest.raises(ValueError, match="CONSOLE_LOGIN_MAX_DELAY_S < CONSOLE_LOGIN_WINDOW_S"):
        ConsoleSettings.from_env(_env(CONSOLE_LOGIN_MAX_DELAY_S="900"))
    with pytest.raises(ValueError, match="CONSOLE_LOGIN_DELAY_S <= CONSOLE_LOGIN_MAX_DELAY_S"):
        ConsoleSettings.from_env(_env(CONSOLE_LOGIN_DELAY_S="400"))
    settings = ConsoleSettings.from_env(
        _env(CONSOLE_LOGIN_DELAY_S="10", CONSOLE_LOGIN_MAX_DELAY_S="600")
    )
    assert (settings.login_delay_s, settings.login_max_delay_s) == (10, 600)
