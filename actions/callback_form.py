"""The callback request: ask actions, slot validation, submit and cancel."""

from __future__ import annotations

import abc
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import KnowledgeAction
from actions.callback_slots import BEST_TIME, CONSENT, NAME, PHONE, REQUEST, clear_callback_slots
from actions.runtime import (
    current_knowledge,
    latest_intent,
)
from actions.speaker import Speaker
from assistant.dialogue_names import (
    ACTION_CANCEL_CALLBACK,
    ACTION_SUBMIT_CALLBACK,
    AFFIRM,
    DENY,
    ENTRY_CALLBACK_ASK_CONSENT,
    ENTRY_CALLBACK_ASK_NAME,
    ENTRY_CALLBACK_ASK_PHONE,
    ENTRY_CALLBACK_ASK_TIME,
    ENTRY_CALLBACK_CONFIRMED,
    ENTRY_CALLBACK_DECLINED,
    ENTRY_CALLBACK_INVALID_NAME,
    ENTRY_CALLBACK_INVALID_PHONE,
    ENTRY_CONVERSATION_CANCEL,
    META_CALLBACK,
    REQUEST_BEST_TIME,
    REQUEST_CHANNEL,
    REQUEST_CONSENT,
    REQUEST_NAME,
    REQUEST_PHONE,
    REQUEST_REQUESTED_AT,
    REQUESTED_SLOT,
    VALIDATE_CALLBACK_FORM,
)
from assistant.knowledge import KnowledgeStore
from assistant.phone import parse_callback_number

MAX_NAME_CHARS = 80
MAX_TIME_CHARS = 100
YES_NO_INTENTS = frozenset({AFFIRM, DENY})


def clean_name(text: Any, intent: Optional[str]) -> Optional[str]:
    """A usable name: has letters, is not a bare yes/no, fits on a callback sheet."""
    if not isinstance(text, str) or intent in YES_NO_INTENTS:
        return None
    name = " ".join(text.split())
    if not name or len(name) > MAX_NAME_CHARS or not any(ch.isalpha() for ch in name):
        return None
    return name


def clean_best_time(text: Any) -> Optional[str]:
    if not isinstance(text, str):
        return None
    best_time = " ".join(text.split())
    if not best_time or len(best_time) > MAX_TIME_CHARS:
        return None
    return best_time


class _AskAction(KnowledgeAction, abc.ABC):
    """Asks for one slot with the knowledge entry ``entry_id``."""

    @property
    @abc.abstractmethod
    def slot(self) -> Text:
        """The slot this action asks for."""

    @property
    @abc.abstractmethod
    def entry_id(self) -> Text:
        """The knowledge entry that asks."""

    def name(self) -> Text:
        return f"action_ask_{self.slot}"

    def params(self, tracker: Tracker) -> Dict[str, str]:
        return {}

    async def respond(
        self, speaker: Speaker, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        speaker.say(self.entry_id, self.params(tracker))
        return []


class ActionAskCallbackName(_AskAction):
    slot = NAME
    entry_id = ENTRY_CALLBACK_ASK_NAME


class ActionAskCallbackPhone(_AskAction):
    slot = PHONE
    entry_id = ENTRY_CALLBACK_ASK_PHONE


class ActionAskCallbackTime(_AskAction):
    slot = BEST_TIME
    entry_id = ENTRY_CALLBACK_ASK_TIME


class ActionAskCallbackConsent(_AskAction):
    slot = CONSENT
    entry_id = ENTRY_CALLBACK_ASK_CONSENT

    def params(self, tracker: Tracker) -> Dict[str, str]:
        return {
            "name": str(tracker.get_slot(NAME) or ""),
            "phone": str(tracker.get_slot(PHONE) or ""),
            "best_time": str(tracker.get_slot(BEST_TIME) or ""),
        }


class ValidateCallbackForm(FormValidationAction):
    """Checks each detail; a bad one is asked again with a reason."""

    def __init__(self, store: Optional[KnowledgeStore] = None) -> None:
        self._store = store

    def name(self) -> Text:
        return VALIDATE_CALLBACK_FORM

    def _say(self, dispatcher: CollectingDispatcher, tracker: Tracker, entry_id: str) -> None:
        Speaker.of(dispatcher, current_knowledge(self._store), tracker).say(entry_id)

    async def validate_callback_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        name = clean_name(value, latest_intent(tracker))
        if name is None:
            self._say(dispatcher, tracker, ENTRY_CALLBACK_INVALID_NAME)
        return {NAME: name}

    async def validate_callback_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        number = parse_callback_number(value) if isinstance(value, str) else None
        if number is None:
            self._say(dispatcher, tracker, ENTRY_CALLBACK_INVALID_PHONE)
            return {PHONE: None}
        return {PHONE: number.display}

    async def validate_callback_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return {BEST_TIME: clean_best_time(value)}

    async def validate_callback_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return {CONSENT: value if isinstance(value, bool) else None}


class ActionSubmitCallback(KnowledgeAction):
    """Records the request as a ``callback_request`` slot event, only with consent."""

    def name(self) -> Text:
        return ACTION_SUBMIT_CALLBACK

    async def respond(
        self, speaker: Speaker, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        name, phone, best_time = (tracker.get_slot(s) for s in (NAME, PHONE, BEST_TIME))
        if tracker.get_slot(CONSENT) is not True or not (name and phone and best_time):
            speaker.say(ENTRY_CALLBACK_DECLINED)
            return clear_callback_slots()
        number = parse_callback_number(str(phone))
        request = {
            REQUEST_NAME: name,
            REQUEST_PHONE: number.e164 if number else phone,
            REQUEST_BEST_TIME: best_time,
            REQUEST_CONSENT: True,
            REQUEST_REQUESTED_AT: self.clock().isoformat(),
            REQUEST_CHANNEL: tracker.get_latest_input_channel(),
        }
        params = {"name": str(name), "best_time": str(best_time)}
        speaker.say(ENTRY_CALLBACK_CONFIRMED, params, flags={META_CALLBACK: True})
        return [SlotSet(REQUEST, request), *clear_callback_slots()]


class ActionCancelCallback(KnowledgeAction):
    """Stops the form and forgets what was typed into it."""

    def name(self) -> Text:
        return ACTION_CANCEL_CALLBACK

    async def respond(
        self, speaker: Speaker, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        speaker.say(ENTRY_CONVERSATION_CANCEL)
        return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None), *clear_callback_slots()]
