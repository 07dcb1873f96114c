"""Base class of every action that speaks: injectable knowledge store and clock."""

from __future__ import annotations

import abc
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import current_knowledge, language_events
from actions.speaker import Speaker
from assistant.clock import Clock, system_clock
from assistant.knowledge import KnowledgeBase, KnowledgeStore


class KnowledgeAction(Action, abc.ABC):
    """An action that answers from the knowledge file. Tests pass their own store and clock."""

    def __init__(self, store: Optional[KnowledgeStore] = None, clock: Clock = system_clock) -> None:
        self._store = store
        self.clock = clock

    @property
    def knowledge(self) -> KnowledgeBase:
        return current_knowledge(self._store)

    @abc.abstractmethod
    def name(self) -> Text:
        """The action's name in the domain."""

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[Text, Any],
    ) -> List[Dict[Text, Any]]:
        """Answer, and record the conversation's language when this message changed it."""
        speaker = Speaker.of(dispatcher, self.knowledge, tracker)
        events = await self.respond(speaker, tracker, domain)
        return [*events, *language_events(tracker, speaker.language)]

    @abc.abstractmethod
    async def respond(
        self,
        speaker: Speaker,
        tracker: Tracker,
        domain: Dict[Text, Any],
    ) -> List[Dict[Text, Any]]:
        """Send the messages (``speaker.say``: in the conversation's language, on this
        message's channel) and return the events."""
