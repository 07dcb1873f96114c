"""SMS conversation ids: a normalized number, then a keyed hash that never shows the number."""

from __future__ import annotations

import pytest

from assistant.channels.sms.identity import ID_PREFIX, conversation_id, normalize_number

SECRET = b"sms-id-secret-0123456789abcdef"
OTHER_SECRET = b"another-secret-0123456789abcdef"
NUMBER = "+13105550142"


@pytest.mark.parametrize(
    "raw",
    ["+1 (310) 555-0142", "3105550142", "310.555.0142", "+13105550142", "1-310-555-0142"],
)
def test_us_numbers_normalize_to_e164(raw: str) -> None:
    assert normalize_number(raw) == NUMBER


def test_international_numbers_keep_their_country_code() -> None:
    assert normalize_number("+44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize(
    "raw", ["", "   ", "hello", "not a number", "abc123", "12", "+1 555", "1234567890123456789"]
)
def test_garbage_is_not_a_number(raw: str) -> None:
    assert normalize_number(raw) is None


def test_conversation_id_is_stable() -> None:
    assert conversation_id(NUMBER, SECRET) == conversation_id(NUMBER, SECRET)


def test_same_number_in_any_format_gives_the_same_id() -> None:
    ids = {
        conversation_id(normalize_number(raw) or "", SECRET)
        for raw in ("+1 (310) 555-0142", "3105550142", "310.555.0142")
    }
    assert len(ids) == 1


def test_conversation_id_depends_on_the_secret() -> None:
    assert conversation_id(NUMBER, SECRET) != conversation_id(NUMBER, OTHER_SECRET)


def test_conversation_id_depends_on_the_number() -> None:
    assert conversation_id(NUMBER, SECRET) != conversation_id("+13105550143", SECRET)


def test_conversation_id_shape() -> None:
    sender = conversation_id(NUMBER, SECRET)
    assert ID_PREFIX == "sms-"
    assert sender.startswith("sms-")
    digest = sender[len("sms-") :]
    assert len(digest) == 40
    assert all(ch in "0123456789abcdef" for ch in digest)


@pytest.mark.parametrize("number", [NUMBER, "+13105550143", "+442079460958", "+18002332771"])
def test_conversation_id_does_not_reveal_the_number(number: str) -> None:
    sender = conversation_id(number, SECRET)
    digits = number.lstrip("+")
    assert digits not in sender
    assert digits[-10:] not in sender
    assert digits[-7:] not in sender
    assert number not in sender


@pytest.mark.parametrize("secret", [b"", b"short", b"x" * 15])
def test_short_secret_is_rejected(secret: bytes) -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        conversation_id(NUMBER, secret)


def test_sixteen_byte_secret_is_enough() -> None:
    assert conversation_id(NUMBER, b"x" * 16).startswith("sms-")
