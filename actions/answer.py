"""``action_answer``: the knowledge entry for the latest intent and entities, in context.

A follow-up resolves against the current topic; a "no"/"stop" statement outside a form is
answered as what it is about (or not understood), not as a command.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.base import KnowledgeAction
from actions.context import (
    answers_an_offer,
    best_alternative,
    is_topic_entry,
    resolve_follow_up,
)
from actions.runtime import (
    TOPIC,
    latest_entities,
    latest_intent,
)
from actions.speaker import Speaker
from assistant.dialogue_names import (
    ACTION_ANSWER,
    ENTRY_CONVERSATION_FALLBACK,
    FOLLOW_UP,
    META_FALLBACK,
    PARSE_STATEMENT,
)
from assistant.knowledge import KnowledgeBase
from assistant.knowledge.models import Entry

logger = logging.getLogger(__name__)

FALLBACK_ENTRY = ENTRY_CONVERSATION_FALLBACK


class ActionAnswer(KnowledgeAction):
    def name(self) -> Text:
        return ACTION_ANSWER

    def _entry(self, knowledge: KnowledgeBase, tracker: Tracker) -> Optional[Entry]:
        intent = latest_intent(tracker)
        mentions = latest_entities(tracker)
        latest = tracker.latest_message or {}
        if (
            latest.get(PARSE_STATEMENT)
            and tracker.active_loop_name is None
            and not answers_an_offer(tracker.events)
        ):
            intent = best_alternative(knowledge, latest.get("intent_ranking") or [])
        if intent == FOLLOW_UP:
            return resolve_follow_up(knowledge, mentions, tracker.get_slot(TOPIC))
        return knowledge.select(intent, mentions) if intent else None

    async def respond(
        self, speaker: Speaker, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        entry = self._entry(speaker.knowledge, tracker)
        if entry is None:
            logger.info("No knowledge entry answers intent %r here", latest_intent(tracker))
            speaker.say(FALLBACK_ENTRY, flags={META_FALLBACK: True})
            return []
        speaker.say(entry.id)
        return [SlotSet(TOPIC, entry.id)] if is_topic_entry(entry) else []
