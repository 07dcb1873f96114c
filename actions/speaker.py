"""What an action needs to speak, read once per message: the dispatcher, the knowledge, the
channel kind and the conversation's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import channel_kind, conversation_language, send_entry
from assistant.knowledge import KnowledgeBase


@dataclass(frozen=True)
class Speaker:
    dispatcher: CollectingDispatcher
    knowledge: KnowledgeBase
    kind: str  # the channel kind (assistant.knowledge WEB or SMS)
    language: str  # the conversation's language, this message's choice included

    @classmethod
    def of(
        cls, dispatcher: CollectingDispatcher, knowledge: KnowledgeBase, tracker: Tracker
    ) -> Speaker:
        return cls(dispatcher, knowledge, channel_kind(tracker), conversation_language(tracker))

    def say(
        self,
        entry_id: str,
        params: Optional[Mapping[str, str]] = None,
        *,
        with_buttons: bool = True,
        flags: Optional[Mapping[str, Any]] = None,
        language: Optional[str] = None,
    ) -> None:
        """Utter one knowledge entry (``send_entry``), in the conversation's language unless
        ``language`` says otherwise (a safety answer in both languages)."""
        send_entry(
            self.dispatcher,
            self.knowledge,
            entry_id,
            self.kind,
            params,
            with_buttons=with_buttons,
            language=language or self.language,
            flags=flags,
        )
