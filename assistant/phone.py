"""Phone number parsing for the callback form (``phonenumbers``, North American numbers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import phonenumbers

DEFAULT_REGION = "US"
NANP_COUNTRY_CODE = 1


@dataclass(frozen=True)
class PhoneNumber:
    e164: str  # "+13105550123": what staff dial
    display: str  # "(310) 555-0123": what the patient sees


def parse_callback_number(text: str, region: str = DEFAULT_REGION) -> Optional[PhoneNumber]:
    """The first valid North American number in ``text`` ("my cell is 310.555.0123"), or None."""
    if not text or len(text) > 200:
        return None
    for match in phonenumbers.PhoneNumberMatcher(text, region):
        number = match.number
        if number.country_code == NANP_COUNTRY_CODE and phonenumbers.is_valid_number(number):
            return PhoneNumber(
                e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
                display=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
            )
    return None
