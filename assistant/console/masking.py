"""Masking of phone numbers and email addresses in what staff see by default.

Masking errs on the side of hiding: any run of 7 or more digits (with spaces, dots, dashes,
brackets or a leading +) counts as a phone number, except the public numbers in ``allowed``
(the support line), which are not patient data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import FrozenSet, Iterable

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Dates (2026-11-26, 11-26-2026, 26.11.2026) have as many digits as a short phone number.
_DATE = r"(?:(?:19|20)\d\d[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./](?:19|20)\d\d)(?!\d)"
_PHONE = re.compile(rf"(?<![\w])(?!{_DATE})\+?\(?\d(?:[\s().\-]{{0,2}}\d){{6,14}}(?![\w])")
MIN_PHONE_DIGITS = 7


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _national(digits: str) -> str:
    """10-digit form of a North American number written with its country code."""
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def mask_phone_number(number: str) -> str:
    """``+13105550123`` -> ``•••-•••-0123``: enough to tell two requests apart."""
    digits = _digits(number)
    return f"•••-•••-{digits[-4:]}" if len(digits) >= 4 else "•••"


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


@dataclass(frozen=True)
class Masker:
    allowed: FrozenSet[str] = field(default_factory=frozenset)  # national digits

    @classmethod
    def allowing(cls, public_numbers: Iterable[str]) -> Masker:
        return cls(frozenset(_national(_digits(n)) for n in public_numbers if _digits(n)))

    def _phone(self, match: re.Match[str]) -> str:
        text = match.group(0)
        digits = _digits(text)
        if len(digits) < MIN_PHONE_DIGITS or _national(digits) in self.allowed:
            return text
        return mask_phone_number(digits)

    def mask(self, text: str) -> str:
        """``text`` with emails and phone numbers masked."""
        if not text:
            return text
        text = _EMAIL.sub(lambda m: mask_email(m.group(0)), text)
        return _PHONE.sub(self._phone, text)

    def has_contact_details(self, text: str) -> bool:
        return bool(text) and self.mask(text) != text
