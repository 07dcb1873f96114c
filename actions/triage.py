"""The triage answers: ``action_triage`` (911, 988, "call your care team now"; ends a form in
progress) and ``action_symptom_report`` (a side effect the patient has: the page's facts, "tell
your care team", and the red-flag question; a form in progress goes on)."""

from __future__ import annotations

import abc
from dataclasses import replace
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet

from actions.base import KnowledgeAction
from actions.callback_slots import clear_callback_slots
from actions.runtime import TOPIC
from actions.speaker import Speaker
from assistant.dialogue_names import (
    ACTION_SYMPTOM_REPORT,
    ACTION_TRIAGE,
    ENTRY_SIDE_EFFECTS_OVERVIEW,
    META_EMERGENCY,
    META_TRIAGE,
    REQUESTED_SLOT,
)
from assistant.triage.answers import EMERGENCY_TIERS, TriageReading, read_triage, triage_entries
from assistant.triage.tiers import Tier

# A reported side effect: follow-ups ("what about diarrhea") go on with the side effects.
SIDE_EFFECTS_TOPIC = ENTRY_SIDE_EFFECTS_OVERVIEW


class _TriageAction(KnowledgeAction, abc.ABC):
    @property
    @abc.abstractmethod
    def least_tier(self) -> Tier:
        """The tier this action answers when the message carries no triage of its own."""

    @abc.abstractmethod
    def events(self) -> List[Dict[Text, Any]]:
        """The events after the answer."""

    async def respond(
        self, speaker: Speaker, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        reading: TriageReading = read_triage(tracker.latest_message or {}, speaker.language)
        if reading.top is None:  # e.g. a button payload; the rules chose this action
            reading = replace(reading, tiers=frozenset({self.least_tier}))
        top = reading.top or self.least_tier
        flags = {META_EMERGENCY: top in EMERGENCY_TIERS, META_TRIAGE: top.value}
        for entry_id in triage_entries(speaker.knowledge, reading):
            for language in reading.languages:
                speaker.say(entry_id, flags=flags, language=language)
        return self.events()


class ActionTriage(_TriageAction):
    least_tier = Tier.EMERGENCY

    def name(self) -> Text:
        return ACTION_TRIAGE

    def events(self) -> List[Dict[Text, Any]]:
        # The rules expect `active_loop: null` after these answers.
        return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None), *clear_callback_slots()]


class ActionSymptomReport(_TriageAction):
    least_tier = Tier.SYMPTOM_REPORT

    def name(self) -> Text:
        return ACTION_SYMPTOM_REPORT

    def events(self) -> List[Dict[Text, Any]]:
        return [SlotSet(TOPIC, SIDE_EFFECTS_TOPIC)]
