"""Menu numbers: one or two decimal digits of any script; digit-like symbols are text."""

from __future__ import annotations

from typing import Optional

import pytest

from assistant.channels.sms.menu import chosen_payload, menu_number

MENU = ["/one", "/two", "/three"]


@pytest.mark.parametrize(
    ("body", "number"),
    [
        ("1", 1),
        (" 2 ", 2),
        ("2.", 2),
        ("3)", 3),
        ("12", 12),
        ("07", 7),
        ("\u0661", 1),  # ARABIC-INDIC DIGIT ONE
        ("\u06f2", 2),  # EXTENDED ARABIC-INDIC DIGIT TWO (Persian)
        ("\u0967", 1),  # DEVANAGARI DIGIT ONE
        ("\uff12", 2),  # FULLWIDTH DIGIT TWO
        ("\u0661\u0660", 10),
    ],
)
def test_decimal_digits_are_numbers(body: str, number: int) -> None:
    assert menu_number(body) == number


@pytest.mark.parametrize(
    "body",
    [
        "\u00b2",  # SUPERSCRIPT TWO: isdigit() is true, int() raises
        "\u2460",  # CIRCLED DIGIT ONE
        "\u2082",  # SUBSCRIPT TWO
        "\u2081\u2082",
        "2\u00b2",
        "\u00bd",  # VULGAR FRACTION ONE HALF: numeric, not a digit
        "\u4e00",  # CJK one: numeric, not a digit
        "1" * 40,
        "9" * 5000,
        "123",
        "",
        " ",
        ".",
        "-1",
        "+1",
        "1 2",
        "one",
        "1a",
    ],
)
def test_anything_else_is_not_a_number(body: str) -> None:
    assert menu_number(body) is None


@pytest.mark.parametrize(
    ("body", "payload"),
    [
        ("1", "/one"),
        ("3.", "/three"),
        ("\u0662", "/two"),
        ("0", None),
        ("4", None),
        ("\u00b2", None),
    ],
)
def test_chosen_payload(body: str, payload: Optional[str]) -> None:
    assert chosen_payload(body, MENU) == payload


def test_no_menu_means_no_choice() -> None:
    assert chosen_payload("1", []) is None
