"""Token buckets per key with a fake clock: limits, refill, Retry-After, bounded memory."""

from __future__ import annotations

import pytest

from assistant.channels.web.rate_limits import (
    Rate,
    RateLimiter,
    WebRateLimits,
    address_key,
    retry_after,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_up_to_the_limit_then_one_per_interval() -> None:
    clock = Clock()
    limiter = RateLimiter(Rate(3, 60.0), clock=clock)
    assert [limiter.acquire("s") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("s") == pytest.approx(20.0)  # one token every 20 s
    clock.now += 10
    assert limiter.acquire("s") == pytest.approx(10.0)  # refused requests do not count
    clock.now += 10
    assert limiter.acquire("s") == 0.0
    assert limiter.acquire("s") > 0
    assert limiter.acquire("other") == 0.0  # keys are independent


def test_a_zero_limit_is_off() -> None:
    limiter = RateLimiter(Rate(0, 60.0), clock=Clock())
    assert all(limiter.acquire("s") == 0.0 for _ in range(1000))
    assert len(limiter) == 0


def test_idle_keys_are_dropped_and_the_number_of_keys_is_capped() -> None:
    clock = Clock()
    limiter = RateLimiter(Rate(2, 60.0), max_keys=100, clock=clock)
    for index in range(50):
        limiter.acquire(f"a{index}")
    clock.now += 61  # all full again: nothing to remember
    limiter.acquire("fresh")
    assert len(limiter) == 1
    for index in range(500):
        limiter.acquire(f"b{index}")
    assert len(limiter) == 100
    # The most recent keys are kept, with their counts.
    limiter.acquire("b499")
    assert limiter.acquire("b499") > 0


def test_retry_after_is_whole_seconds_and_at_least_one() -> None:
    assert retry_after(0.01) == "1"
    assert retry_after(19.2) == "20"


def test_ipv6_clients_are_counted_per_64_network() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9")
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("198.51.100.7") == "198.51.100.7"


def test_web_limits_from_the_environment() -> None:
    clock = Clock()
    limits = WebRateLimits.from_env(
        {
            "WEB_RATE_MESSAGES_PER_MIN": "2",
            "WEB_RATE_ADDRESS_MESSAGES_PER_MIN": "3",
            "WEB_RATE_ADDRESS_SESSIONS_PER_10_MIN": "1",
        },
        clock=clock,
    )
    assert limits.message("198.51.100.7", "web-a") == 0.0
    assert limits.message("198.51.100.7", "web-a") == 0.0
    assert limits.message("198.51.100.7", "web-a") == pytest.approx(30.0)  # the session's limit
    assert limits.message("198.51.100.7", "web-b") > 0  # the address's (3 used)
    assert limits.message("198.51.100.8", "web-b") == 0.0
    assert limits.new_session("198.51.100.7") == 0.0
    assert limits.new_session("198.51.100.7") == pytest.approx(600.0)


def test_defaults_and_bad_values() -> None:
    limits = WebRateLimits.from_env({})
    assert limits.session_messages.rate == Rate(20, 60.0)
    assert limits.address_messages.rate == Rate(60, 60.0)
    assert limits.address_sessions.rate == Rate(30, 600.0)
    with pytest.raises(ValueError, match="WEB_RATE_MESSAGES_PER_MIN"):
        WebRateLimits.from_env({"WEB_RATE_MESSAGES_PER_MIN": "-1"})
