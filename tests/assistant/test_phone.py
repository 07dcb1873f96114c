"""Callback numbers: any common US format, inside a sentence too; nothing else."""

from __future__ import annotations

import pytest

from assistant.phone import parse_callback_number


@pytest.mark.parametrize(
    "text",
    [
        "310-555-0123",
        "(310) 555 0123",
        "+1 310 555 0123",
        "3105550123",
        "310.555.0123",
        "my cell is 310 555 0123 thanks",
    ],
)
def test_us_numbers_are_accepted(text: str) -> None:
    number = parse_callback_number(text)
    assert number is not None
    assert number.e164 == "+13105550123"
    assert number.display == "(310) 555-0123"


@pytest.mark.parametrize(
    "text", ["", "123", "555-0123", "call me maybe", "+44 20 7946 0958", "x" * 500, "000-000-0000"]
)
def test_other_text_is_rejected(text: str) -> None:
    assert parse_callback_number(text) is None
