"""Numbers typed into URLs (page numbers, conversation ids), read without surprises."""

from __future__ import annotations

from typing import Optional


def is_ascii_number(text: str) -> bool:
    """Only the digits 0-9 (``str.isdigit`` also accepts "²", which ``int`` refuses)."""
    return text.isascii() and text.isdigit()


def parse_small_int(text: str, max_digits: int) -> Optional[int]:
    """``text`` as an int if it is an ASCII number of at most ``max_digits`` digits."""
    return int(text) if is_ascii_number(text) and len(text) <= max_digits else None
