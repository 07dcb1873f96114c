"""Numbered menu replies: "2" picks the second choice of the menu last sent."""

from __future__ import annotations

import unicodedata
from typing import List, Optional, Sequence, TypeVar

MAX_DIGITS = 2  # menus are short; a longer number is text ("my MRN is 12345")
MAX_CHOICES = 8  # a menu offers at most 1-8: 9 is the feedback number
FEEDBACK_NUMBER = 9  # "Reply 9 if this did not help."

Choice = TypeVar("Choice")


def menu_number(body: str) -> Optional[int]:
    """The number a reply is, when it is only one or two decimal digits ("2", "2.", "2)").

    Decimal digits of any script count, since phones type them in the keyboard's script
    (an Arabic-Indic or a fullwidth one is 1). Superscripts, subscripts and circled numbers
    are not decimal digits (``str.isdigit`` accepts them but ``int`` does not): they are text.
    """
    choice = body.strip().rstrip(".)")
    if not 1 <= len(choice) <= MAX_DIGITS:
        return None
    number = 0
    for character in choice:
        digit = unicodedata.decimal(character, None)
        if digit is None:
            return None
        number = number * 10 + digit
    return number


def offered(choices: Sequence[Choice]) -> List[Choice]:
    """The choices a menu offers: the first ``MAX_CHOICES``, so no menu number is ever the
    feedback number."""
    return list(choices[:MAX_CHOICES])


def chosen_payload(body: str, menu: Sequence[str]) -> Optional[str]:
    """The payload of the menu choice a reply picks, or None when it picks none."""
    number = menu_number(body)
    if number is None or not 1 <= number <= min(len(menu), MAX_CHOICES):
        return None
    return menu[number - 1]


def is_feedback_reply(body: str) -> bool:
    """Whether a reply is the feedback number ("9", "9.", a "9" of another script)."""
    return menu_number(body) == FEEDBACK_NUMBER
