"""``action_session_start``: every conversation opens with the one-line disclaimer."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted
from rasa_sdk.executor import CollectingDispatcher

from actions.base import KnowledgeAction
from actions.runtime import channel_kind, send_entry
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
        send_entry(dispatcher, self.knowledge, ENTRY_CONVERSATION_DISCLAIMER, channel_kind(tracker))
        return [SessionStarted(), ActionExecuted(ACTION_LISTEN)]
