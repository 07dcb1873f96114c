"""Conversation ids for SMS: a keyed hash of the phone number, never the number itself."""

from __future__ import annotations

import hashlib
import hmac
from typing import Optional

import phonenumbers

ID_PREFIX = "sms-"


def normalize_number(raw: str) -> Optional[str]:
    """E.164 form of the sender's number, or None if it is not a phone number."""
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def conversation_id(phone_e164: str, secret: bytes) -> str:
    """HMAC-SHA256 of the E.164 number with the server secret: stable, not reversible."""
    if len(secret) < 16:
        raise ValueError("the SMS id secret must be at least 16 bytes")
    digest = hmac.new(secret, phone_e164.encode(), hashlib.sha256).hexdigest()
    return f"{ID_PREFIX}{digest[:40]}"
