"""``action_handoff``: the support number, whether the line is open now, the nurse line and a
callback offer."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import KnowledgeAction
from actions.runtime import channel_kind, conversation_language, send_entry
from assistant.clock import Clock
from assistant.dialogue_names import (
    ACTION_HANDOFF,
    CALLBACK_FORM,
    ENTRY_SUPPORT_CALLBACK_OFFER,
    ENTRY_SUPPORT_HANDOFF_CLOSED,
    ENTRY_SUPPORT_HANDOFF_OPEN,
    ENTRY_SUPPORT_NURSE_REMINDER,
    META_HANDOFF,
)
from assistant.knowledge import ES, KnowledgeBase
from assistant.support_hours import format_opening, line_status


def send_handoff(
    dispatcher: CollectingDispatcher,
    knowledge: KnowledgeBase,
    tracker: Tracker,
    clock: Clock,
) -> None:
    """The handoff messages; shared with the fallback's escalation."""
    kind = channel_kind(tracker)
    language = conversation_language(tracker)
    status = line_status(clock(), knowledge.contacts.support_line)
    if status.is_open or status.next_open is None:
        send_entry(
            dispatcher,
            knowledge,
            ENTRY_SUPPORT_HANDOFF_OPEN,
            kind,
            flags={META_HANDOFF: True},
            language=language,
        )
    else:
        in_spanish = language == ES and knowledge.spanish_is_current(ENTRY_SUPPORT_HANDOFF_CLOSED)
        spanish = knowledge.contacts.spanish_dates if in_spanish else None
        params = {"next_open": format_opening(status.next_open, spanish)}
        send_entry(
            dispatcher,
            knowledge,
            ENTRY_SUPPORT_HANDOFF_CLOSED,
            kind,
            params,
            flags={META_HANDOFF: True},
            language=language,
        )
    send_entry(
        dispatcher,
        knowledge,
        ENTRY_SUPPORT_NURSE_REMINDER,
        kind,
        language=language,
    )
    if tracker.active_loop_name != CALLBACK_FORM:
        send_entry(
            dispatcher,
            knowledge,
            ENTRY_SUPPORT_CALLBACK_OFFER,
            kind,
            language=language,
        )


class ActionHandoff(KnowledgeAction):
    def name(self) -> Text:
        return ACTION_HANDOFF

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        send_handoff(dispatcher, self.knowledge, tracker, self.clock)
        return []
