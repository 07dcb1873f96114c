"""``action_session_start``: every conversation opens with the one-line disclaimer, in the
page's language when the channel says it (the widget does)."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted
from rasa_sdk.executor import CollectingDispatcher

from actions.base import KnowledgeAction
from actions.runtime import channel_kind, conversation_language, language_events, send_entry
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
        events = await self.respond(dispatcher, tracker, domain)
        return [SessionStarted(), *events, *language_events(tracker), ActionExecuted(ACTION_LISTEN)]

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        send_entry(
            dispatcher,
            self.knowledge,
            ENTRY_CONVERSATION_DISCLAIMER,
            channel_kind(tracker),
            language=conversation_language(tracker),
        )
        return []
