"""The callback form's slots, in one place."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk.events import SlotSet

NAME = "callback_name"
PHONE = "callback_phone"
BEST_TIME = "callback_time"
CONSENT = "callback_consent"
REQUEST = "callback_request"
FORM_SLOTS = (NAME, PHONE, BEST_TIME, CONSENT)


def clear_callback_slots() -> List[Dict[str, Any]]:
    """Forget the details typed into the form (not the recorded request)."""
    return [SlotSet(slot, None) for slot in FORM_SLOTS]
