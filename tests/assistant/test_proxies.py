"""Forwarded headers, believed only from trusted proxies (the console and the web channel)."""

from __future__ import annotations

import pytest

from assistant.channels.web.channel import WebChatInput
from assistant.proxies import client_address, parse_trusted_proxies, request_scheme

PROXIES = parse_trusted_proxies("127.0.0.1, 10.0.0.0/8 ,")


def test_a_direct_connection_is_its_peer_whatever_it_forwards() -> None:
    assert client_address("203.0.113.9", ["198.51.100.1"], ()) == "203.0.113.9"
    assert client_address("203.0.113.9", ["198.51.100.1"], PROXIES) == "203.0.113.9"


def test_a_malformed_chain_keeps_the_proxy_address() -> None:
    assert client_address("127.0.0.1", ["198.51.100.7, junk"], PROXIES) == "127.0.0.1"


def test_the_forwarded_scheme_counts_only_from_a_trusted_proxy() -> None:
    assert request_scheme("127.0.0.1", ["https"], "http", PROXIES) == "https"
    assert request_scheme("127.0.0.1", ["http, https"], "http", PROXIES) == "https"
    assert request_scheme("127.0.0.1", ["gopher"], "http", PROXIES) == "http"
    assert request_scheme("127.0.0.1", [], "https", PROXIES) == "https"
    assert request_scheme("203.0.113.9", ["https"], "http", PROXIES) == "http"


def test_a_bad_web_setting_names_itself() -> None:
    env = {"WEB_SESSION_SECRET": "s" * 32, "WEB_TRUSTED_PROXIES": "127.0.0.1, nginx.internal"}
    with pytest.raises(ValueError, match=r"WEB_TRUSTED_PROXIES.*nginx\.internal"):
        WebChatInput.from_settings({}, env)
