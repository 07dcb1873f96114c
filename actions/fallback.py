"""``action_fallback``: no guessing below the confidence threshold; the second
misunderstanding in a row hands the patient to phone support.

A message that was not understood as a whole but names a knowledge term is answered from the
current topic first ("what about diarrhea" after the side effects). Spanish gets the Spanish
fallback: 911, 988 (press 2, or text AYUDA) and the support line."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.base import KnowledgeAction
from actions.context import resolve_follow_up
from actions.handoff import send_handoff
from actions.runtime import (
    TOPIC,
    latest_entities,
    latest_intent,
)
from actions.speaker import Speaker
from assistant.dialogue_names import (
    ACTION_FALLBACK,
    ENTRY_CONVERSATION_FALLBACK,
    ENTRY_CONVERSATION_FALLBACK_HANDOFF,
    ENTRY_CONVERSATION_OUT_OF_SCOPE,
    META_FALLBACK,
    NLU_FALLBACK,
    OUT_OF_SCOPE,
)

MISUNDERSTOOD = frozenset({NLU_FALLBACK, OUT_OF_SCOPE})
HANDOFF_AFTER = 2


def misunderstandings_in_a_row(events: Iterable[Dict[str, Any]]) -> int:
    """How many of the latest user messages of this session, counting back, were not
    understood."""
    count = 0
    for event in reversed(list(events)):
        if event.get("event") in ("session_started", "restart"):
            break
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent not in MISUNDERSTOOD:
            break
        count += 1
    return count


class ActionFallback(KnowledgeAction):
    def name(self) -> Text:
        return ACTION_FALLBACK

    async def respond(
        self, speaker: Speaker, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        mentions = latest_entities(tracker)
        topic = tracker.get_slot(TOPIC)
        if mentions and latest_intent(tracker) == NLU_FALLBACK:
            entry = resolve_follow_up(speaker.knowledge, mentions, topic)
            if entry is not None:
                speaker.say(entry.id)
                return [SlotSet(TOPIC, entry.id)]
        # Reached through the core fallback too, with an understood intent: still one miss.
        misses = max(1, misunderstandings_in_a_row(tracker.events))
        if misses >= HANDOFF_AFTER:
            speaker.say(ENTRY_CONVERSATION_FALLBACK_HANDOFF)
            send_handoff(speaker, tracker, self.clock)
            return []
        intent = latest_intent(tracker)
        entry_id = (
            ENTRY_CONVERSATION_OUT_OF_SCOPE
            if intent == OUT_OF_SCOPE
            else ENTRY_CONVERSATION_FALLBACK
        )
        speaker.say(entry_id, flags={META_FALLBACK: True})
        return []
