"""The callback form's slots, in one place."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk.events import SlotSet

from assistant.dialogue_names import (
    CALLBACK_CONSENT_SLOT,
    CALLBACK_NAME_SLOT,
    CALLBACK_PHONE_SLOT,
    CALLBACK_REQUEST_SLOT,
    CALLBACK_TIME_SLOT,
)

NAME = CALLBACK_NAME_SLOT
PHONE = CALLBACK_PHONE_SLOT
BEST_TIME = CALLBACK_TIME_SLOT
CONSENT = CALLBACK_CONSENT_SLOT
REQUEST = CALLBACK_REQUEST_SLOT
FORM_SLOTS = (NAME, PHONE, BEST_TIME, CONSENT)


def clear_callback_slots() -> List[Dict[str, Any]]:
    """Forget the details typed into the form (not the recorded request)."""
    return [SlotSet(slot, None) for slot in FORM_SLOTS]
