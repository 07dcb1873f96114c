"""``action_handoff``: the support number, whether the line is open now, the nurse line and a
callback offer."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker

from actions.base import KnowledgeAction
from actions.speaker import Speaker
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
from assistant.knowledge import ES
from assistant.support_hours import format_opening, line_status


def send_handoff(speaker: Speaker, tracker: Tracker, clock: Clock) -> None:
    """The handoff messages; shared with the fallback's escalation."""
    knowledge = speaker.knowledge
    status = line_status(clock(), knowledge.contacts.support_line)
    if status.is_open or status.next_open is None:
        speaker.say(ENTRY_SUPPORT_HANDOFF_OPEN, flags={META_HANDOFF: True})
    else:
        in_spanish = speaker.language == ES and knowledge.spanish_is_current(
            ENTRY_SUPPORT_HANDOFF_CLOSED
        )
        spanish = knowledge.contacts.spanish_dates if in_spanish else None
        params = {"next_open": format_opening(status.next_open, spanish)}
        speaker.say(ENTRY_SUPPORT_HANDOFF_CLOSED, params, flags={META_HANDOFF: True})
    speaker.say(ENTRY_SUPPORT_NURSE_REMINDER)
    if tracker.active_loop_name != CALLBACK_FORM:
        speaker.say(ENTRY_SUPPORT_CALLBACK_OFFER)


class ActionHandoff(KnowledgeAction):
    def name(self) -> Text:
        return ACTION_HANDOFF

    async def respond(
        self, speaker: Speaker, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        send_handoff(speaker, tracker, self.clock)
        return []
