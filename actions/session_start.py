"""``action_session_start``: every conversation opens with the one-line disclaimer."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted
from rasa_sdk.executor import CollectingDispatcher

from actions.base import KnowledgeAction
from actions.runtime import channel_kind, send_entry


class ActionSessionStart(KnowledgeAction):
    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        send_entry(dispatcher, self.knowledge, "conversation.disclaimer", channel_kind(tracker))
        return [SessionStarted(), ActionExecuted("action_listen")]
