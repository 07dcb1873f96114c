"""What is alerted, and where alerts go.

A conversation alerts once per kind: ``emergency`` (the 911 answer), ``self_harm`` (988) or
``urgent`` (an urgent symptom: "call your care team now"); a callback request alerts once.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Tuple

from assistant.dialogue_names import EMERGENCY, META_CALLBACK, SELF_HARM, URGENT_SYMPTOM

# The 911 and 988 kinds are named after their triage tiers, a callback after the message flag.
EMERGENCY_ALERT = EMERGENCY
SELF_HARM_ALERT = SELF_HARM
URGENT_ALERT = "urgent"
CALLBACK_ALERT = META_CALLBACK
KINDS: Tuple[str, ...] = (EMERGENCY_ALERT, SELF_HARM_ALERT, URGENT_ALERT, CALLBACK_ALERT)
# These reach every configured destination, whatever its kinds setting says.
ALWAYS_ALERTED: FrozenSet[str] = frozenset({EMERGENCY_ALERT, SELF_HARM_ALERT})

WEBHOOK = "webhook"
EMAIL = "email"
DESTINATIONS: Tuple[str, ...] = (WEBHOOK, EMAIL)

# A patient message classified as one of these intents alerts.
INTENT_KINDS: Dict[str, str] = {EMERGENCY: EMERGENCY_ALERT, SELF_HARM: SELF_HARM_ALERT}
# A bot answer whose triage tier (the ``triage`` metadata) is one of these alerts.
TRIAGE_KINDS: Dict[str, str] = {
    EMERGENCY: EMERGENCY_ALERT,
    SELF_HARM: SELF_HARM_ALERT,
    URGENT_SYMPTOM: URGENT_ALERT,
}

# console_alerts.status
PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


def conversation_subject(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


def callback_subject(callback_id: int) -> str:
    return f"callback:{callback_id}"
