"""``action_emergency``: 911 (or 988) first, then the nurse line; ends a form in progress."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import KnowledgeAction
from actions.callback_slots import clear_callback_slots
from actions.runtime import channel_kind, latest_entities, send_entry

EMERGENCY_INTENT = "emergency"


class ActionEmergency(KnowledgeAction):
    def name(self) -> Text:
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        knowledge = self.knowledge
        entry = knowledge.select(EMERGENCY_INTENT, latest_entities(tracker))
        assert entry is not None, "the knowledge loader guarantees a general emergency entry"
        send_entry(dispatcher, knowledge, entry.id, channel_kind(tracker), emergency=True)
        # Always end any loop: the rules expect `active_loop: null` after an emergency.
        return [ActiveLoop(None), SlotSet("requested_slot", None), *clear_callback_slots()]
