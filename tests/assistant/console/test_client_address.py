"""Which address a request is recorded with: the connection's peer, or, only when that peer
is one of CONSOLE_TRUSTED_PROXIES, the client the proxy forwarded for."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import pytest
import sqlalchemy as sa

from assistant.console import schema
from assistant.console.settings import ConsoleSettings
from assistant.proxies import (
    client_address,
    parse_address,
    parse_trusted_proxies,
    request_scheme,
)
from bench.console_harness import (
    PASSWORD,
    Console,
    ConsoleClient,
    ManualClock,
    running_console,
)
from tests.assistant.console.builders import client_at

PROXY = "10.0.0.5"
TRUSTED = parse_trusted_proxies("127.0.0.1, 10.0.0.0/8, ::1")
WRONG = "not the right password at all"


def failure_ips(console: Console) -> List[str]:
    query = sa.select(schema.login_failures.c.ip).order_by(schema.login_failures.c.id)
    return console.db.call(lambda connection: list(connection.execute(query).scalars()))


async def login_with_headers(client: ConsoleClient, password: str, headers: dict) -> int:
    await client.get("/login", headers=headers)
    reply = await client.post("/login", {"username": "rita", "password": password}, headers=headers)
    return reply.status_code


# -- the rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7:51234 ", "203.0.113.7"),
        ("2001:db8::1", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ('"[2001:db8::1]"', "2001:db8::1"),
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("unknown", None),
        ("", None),
        ("203.0.113.7, 10.0.0.1", None),
    ],
)
def test_addresses_as_proxies_write_them(text: str, expected: Optional[str]) -> None:
    found = parse_address(text)
    assert (str(found) if found is not None else None) == expected


def test_a_direct_peer_is_the_client_whatever_it_sends() -> None:
    assert client_address("192.0.2.10", ["1.2.3.4"], TRUSTED) == "192.0.2.10"
    assert client_address("192.0.2.10", ["1.2.3.4"], ()) == "192.0.2.10"
    assert client_address("127.0.0.1", ["1.2.3.4"], ()) == "127.0.0.1"  # nothing trusted


def test_behind_trusted_proxies_the_rightmost_untrusted_entry_is_the_client() -> None:
    assert client_address(PROXY, ["203.0.113.7"], TRUSTED) == "203.0.113.7"
    # The client wrote the first entry; the proxies appended the rest.
    chain = ["6.6.6.6, 203.0.113.7, 10.1.2.3"]
    assert client_address(PROXY, chain, TRUSTED) == "203.0.113.7"
    assert client_address(PROXY, ["6.6.6.6", "203.0.113.7"], TRUSTED) == "203.0.113.7"
    assert client_address("::ffff:10.0.0.5", ["[2001:db8::7]:5000"], TRUSTED) == "2001:db8::7"


def test_a_proxy_with_nothing_to_forward_is_the_client() -> None:
    assert client_address(PROXY, [], TRUSTED) == PROXY
    assert client_address(PROXY, ["10.1.1.1, 127.0.0.1"], TRUSTED) == "10.1.1.1"  # all trusted


def test_an_entry_that_is_no_address_stops_at_the_last_trusted_hop() -> None:
    assert client_address(PROXY, ["203.0.113.7, garbage"], TRUSTED) == PROXY
    assert client_address(PROXY, ["garbage, 10.1.2.3"], TRUSTED) == "10.1.2.3"


def test_forwarded_scheme_only_from_a_trusted_proxy() -> None:
    assert request_scheme(PROXY, ["https"], "http", TRUSTED) == "https"
    assert request_scheme(PROXY, ["http, HTTPS"], "http", TRUSTED) == "https"
    assert request_scheme(PROXY, ["gopher"], "http", TRUSTED) == "http"
    assert request_scheme(PROXY, [], "http", TRUSTED) == "http"
    assert request_scheme("192.0.2.10", ["https"], "http", TRUSTED) == "http"


def test_trusted_proxies_setting(tmp_path: Path) -> None:
    env = {"KNOWLEDGE_DIR": str(tmp_path)}
    assert ConsoleSettings.from_env(env).trusted_proxies == ()
    settings = ConsoleSettings.from_env({**env, "CONSOLE_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"})
    assert [str(network) for network in settings.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8"]
    with pytest.raises(ValueError, match=r"CONSOLE_TRUSTED_PROXIES: .*'proxy\.local'"):
        ConsoleSettings.from_env({**env, "CONSOLE_TRUSTED_PROXIES": "127.0.0.1, proxy.local"})


def test_the_old_proxies_count_setting_is_refused_not_ignored(tmp_path: Path) -> None:
    env = {"KNOWLEDGE_DIR": str(tmp_path), "CONSOLE_PROXIES_COUNT": "1"}
    with pytest.raises(ValueError, match="CONSOLE_TRUSTED_PROXIES"):
        ConsoleSettings.from_env(env)
    replaced = ConsoleSettings.from_env({**env, "CONSOLE_TRUSTED_PROXIES": "127.0.0.1"})
    assert [str(n) for n in replaced.trusted_proxies] == ["127.0.0.1/32"]
    assert ConsoleSettings.from_env({**env, "CONSOLE_PROXIES_COUNT": "0"}).trusted_proxies == ()


# -- in the app ---------------------------------------------------------------------------


async def test_a_direct_connection_is_recorded_with_its_peer_address(console: Console) -> None:
    console.add_user("rita")
    client = await client_at(console, "192.0.2.10")
    spoofed = {"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https"}
    assert await login_with_headers(client, WRONG, spoofed) == 401
    assert await login_with_headers(client, PASSWORD, spoofed) == 302
    assert [row.ip for row in console.audit_rows("login_failed")] == ["192.0.2.10"]
    assert [row.ip for row in console.audit_rows("login")] == ["192.0.2.10"]
    assert failure_ips(console) == []  # the right password forgave this address's typo


async def test_a_trusted_proxys_forwarded_address_is_used(db_url: str, clock: ManualClock) -> None:
    async with running_console(db_url, clock, trusted_proxies=TRUSTED) as console:
        console.add_user("rita")
        proxy = await client_at(console, PROXY)
        forwarded = {"X-Forwarded-For": "6.6.6.6, 203.0.113.7, 10.9.9.9"}
        assert await login_with_headers(proxy, WRONG, forwarded) == 401
        assert failure_ips(console) == ["203.0.113.7"]
        assert [row.ip for row in console.audit_rows("login_failed")] == ["203.0.113.7"]

        # A peer that is not in the list is its own address, header or not.
        direct = await client_at(console, "192.0.2.10")
        assert await login_with_headers(direct, PASSWORD, forwarded) == 302
        assert [row.ip for row in console.audit_rows("login")] == ["192.0.2.10"]


async def test_only_a_trusted_proxy_makes_the_cookie_secure(
    db_url: str, clock: ManualClock
) -> None:
    https = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    async with running_console(db_url, clock, trusted_proxies=TRUSTED) as console:
        page = await (await client_at(console, PROXY)).get("/login", headers=https)
        assert "secure" in page.headers["set-cookie"].lower()
        assert "strict-transport-security" in page.headers
        page = await (await client_at(console, "192.0.2.10")).get("/login", headers=https)
        assert "secure" not in page.headers["set-cookie"].lower()
        assert "strict-transport-security" not in page.headers
