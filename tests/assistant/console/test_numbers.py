"""URL numbers: ASCII digits only, and a length cap before int() sees them."""

from __future__ import annotations

import pytest

from assistant.console.numbers import is_ascii_number, parse_small_int


@pytest.mark.parametrize("text", ["0", "7", "0012", "9999999"])
def test_ascii_numbers_are_read(text: str) -> None:
    assert is_ascii_number(text)
    assert parse_small_int(text, 7) == int(text)


@pytest.mark.parametrize("text", ["", "-1", "+1", "1.5", " 1", "²", "١٢", "1e3", "0x10"])
def test_anything_else_is_not_a_number(text: str) -> None:
    assert not is_ascii_number(text)
    assert parse_small_int(text, 7) is None


def test_too_many_digits_is_none_without_parsing() -> None:
    assert is_ascii_number("9" * 5000)
    assert parse_small_int("9" * 5000, 7) is None
    assert parse_small_int("12345678", 7) is None
