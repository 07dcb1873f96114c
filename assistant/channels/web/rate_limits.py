"""Rate limits of the web chat channel, per chat session and per client address, in memory.

Each limit is a token bucket per key: up to ``count`` requests at once, then one more every
``period_s / count`` seconds. A request over the limit gets 429 with ``Retry-After`` and never
reaches Rasa. Memory stays bounded: a bucket left alone for a whole period is full again and is
dropped, and at most ``max_keys`` buckets are kept (the least recently used go first).

Settings (environment; whole numbers, ``0`` turns that limit off):

- ``WEB_RATE_MESSAGES_PER_MIN`` (20): messages per minute in one chat session;
- ``WEB_RATE_ADDRESS_MESSAGES_PER_MIN`` (60): messages per minute from one client address;
- ``WEB_RATE_ADDRESS_SESSIONS_PER_10_MIN`` (30): new chat sessions per ten minutes from one
  client address (a new conversation costs the server more than a message).

The client address comes from ``assistant.proxies`` (``WEB_TRUSTED_PROXIES``). IPv6
clients are counted per /64 network, the block one subscriber usually gets. The counts are per
server process: behind a load balancer with n replicas an address can reach up to n times each
limit.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Mapping, Optional

MESSAGES_PER_MIN = "WEB_RATE_MESSAGES_PER_MIN"
ADDRESS_MESSAGES_PER_MIN = "WEB_RATE_ADDRESS_MESSAGES_PER_MIN"
ADDRESS_SESSIONS_PER_10_MIN = "WEB_RATE_ADDRESS_SESSIONS_PER_10_MIN"
DEFAULTS = {MESSAGES_PER_MIN: 20, ADDRESS_MESSAGES_PER_MIN: 60, ADDRESS_SESSIONS_PER_10_MIN: 30}
MAX_KEYS = 50_000
IPV6_PREFIX = 64

Clock = Callable[[], float]


@dataclass(frozen=True)
class Rate:
    count: int  # requests per period; 0: no limit
    period_s: float


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets by key (a session id, an address)."""

    def __init__(self, rate: Rate, max_keys: int = MAX_KEYS, clock: Clock = time.monotonic) -> None:
        if rate.count < 0 or rate.period_s <= 0 or max_keys < 1:
            raise ValueError("a rate needs a count >= 0, a period > 0 and room for one key")
        self.rate = rate
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def acquire(self, key: str) -> float:
        """0.0 if a request for ``key`` may go ahead (it is counted), else the seconds until
        one may."""
        if self.rate.count == 0:
            return 0.0
        now = self._clock()
        per_s = self.rate.count / self.rate.period_s
        bucket = self._buckets.pop(key, None)
        tokens = float(self.rate.count)
        if bucket is not None:
            tokens = min(tokens, bucket.tokens + (now - bucket.at) * per_s)
        wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / per_s
        self._buckets[key] = _Bucket(tokens - 1.0 if wait == 0.0 else tokens, now)
        self._drop_old(now)
        return wait

    def _drop_old(self, now: float) -> None:
        full_again = now - self.rate.period_s
        while self._buckets:
            key, bucket = next(iter(self._buckets.items()))
            if bucket.at > full_again and len(self._buckets) <= self.max_keys:
                return
            del self._buckets[key]


def address_key(address: str) -> str:
    """The key an address is counted under: IPv4 as is, IPv6 by its /64 network."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return str(parsed)


def retry_after(wait_s: float) -> str:
    """The ``Retry-After`` header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait_s)))


def _count(env: Mapping[str, str], name: str) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return DEFAULTS[name]
    if not raw.isdigit():
        raise ValueError(f"{name} must be a whole number (0 turns the limit off), not {raw!r}")
    return int(raw)


class WebRateLimits:
    """The web channel's three limits."""

    def __init__(
        self,
        session_messages: Rate,
        address_messages: Rate,
        address_sessions: Rate,
        clock: Clock = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.session_messages = RateLimiter(session_messages, max_keys, clock)
        self.address_messages = RateLimiter(address_messages, max_keys, clock)
        self.address_sessions = RateLimiter(address_sessions, max_keys, clock)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], clock: Clock = time.monotonic, max_keys: int = MAX_KEYS
    ) -> WebRateLimits:
        return cls(
            Rate(_count(env, MESSAGES_PER_MIN), 60.0),
            Rate(_count(env, ADDRESS_MESSAGES_PER_MIN), 60.0),
            Rate(_count(env, ADDRESS_SESSIONS_PER_10_MIN), 600.0),
            clock,
            max_keys,
        )

    def message(self, address: str, sender_id: Optional[str]) -> float:
        """Seconds to wait before this message may be sent (0.0: go ahead)."""
        wait = self.address_messages.acquire(address_key(address))
        if wait or sender_id is None:
            return wait
        return self.session_messages.acquire(sender_id)

    def new_session(self, address: str) -> float:
        """Seconds to wait before this address may start another session (0.0: go ahead)."""
        return self.address_sessions.acquire(address_key(address))
