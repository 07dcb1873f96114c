"""Signed session cookies: server-chosen ids, no forgery, expiry."""

from __future__ import annotations

import pytest

from assistant.channels.web.sessions import SessionSigner

SECRET = b"0123456789abcdef-web-secret"


def test_new_ids_are_random_and_128_bits() -> None:
    signer = SessionSigner(SECRET, 3600)
    ids = {signer.new_session().session_id for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) >= 22 for i in ids)  # 16 bytes, URL-safe base64


def test_cookie_round_trip() -> None:
    signer = SessionSigner(SECRET, 3600)
    session = signer.new_session()
    assert signer.read(signer.cookie_value(session)) == session
    assert session.sender_id == f"web-{session.session_id}"


@pytest.mark.parametrize(
    "cookie",
    [None, "", "abc", "a.b", "stolen-id.1700000000.deadbeef", "x.y.z.w"],
)
def test_malformed_or_forged_cookies_are_refused(cookie: str | None) -> None:
    assert SessionSigner(SECRET, 3600).read(cookie) is None


def test_a_known_id_without_its_signature_is_refused() -> None:
    signer = SessionSigner(SECRET, 3600)
    session = signer.new_session()
    forged = f"{session.session_id}.{session.issued_at}.{'0' * 64}"
    assert signer.read(forged) is None
    other = SessionSigner(b"another-secret-0123456789", 3600)
    assert other.read(signer.cookie_value(session)) is None


def test_sessions_expire() -> None:
    now = [1_000_000.0]
    signer = SessionSigner(SECRET, 60, clock=lambda: now[0])
    value = signer.cookie_value(signer.new_session())
    now[0] += 59
    assert signer.read(value) is not None
    now[0] += 2
    assert signer.read(value) is None


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        SessionSigner(b"short", 60)
