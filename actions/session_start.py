"""``action_session_start``: every conversation opens with the one-line disclaimer, in the
page's language when the channel says it (the widget does)."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted
from rasa_sdk.executor import CollectingDispatcher

from actions.base import KnowledgeAction
from actions.runtime import language_events
from actions.speaker import Speaker
from assistant.dialogue_names import (
    ACTION_LISTEN,
    ACTION_SESSION_START,
    ENTRY_CONVERSATION_DISCLAIMER,
)


class ActionSessionStart(KnowledgeAction):
    def name(self) -> Text:
        return ACTION_SESSION_START

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        # The language slot goes before the listen, as Rasa's own session start does with slots.
        speaker = Speaker.of(dispatcher, self.knowledge, tracker)
        events = await self.respond(speaker, tracker, domain)
        return [
            SessionStarted(),
            *events,
            *language_events(tracker, speaker.language),
            ActionExecuted(ACTION_LISTEN),
        ]

    async def respond(
        self, speaker: Speaker, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        speaker.say(ENTRY_CONVERSATION_DISCLAIMER)
        return []
