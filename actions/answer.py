"""``action_answer``: the knowledge entry for the latest intent and entities."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import KnowledgeAction
from actions.runtime import channel_kind, latest_entities, latest_intent, send_entry

logger = logging.getLogger(__name__)

FALLBACK_ENTRY = "conversation.fallback"


class ActionAnswer(KnowledgeAction):
    def name(self) -> Text:
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        knowledge = self.knowledge
        intent = latest_intent(tracker)
        entry = knowledge.select(intent, latest_entities(tracker)) if intent else None
        if entry is None:
            logger.warning("No knowledge entry answers intent %r", intent)
            entry = knowledge.get(FALLBACK_ENTRY)
        send_entry(dispatcher, knowledge, entry.id, channel_kind(tracker))
        return []
